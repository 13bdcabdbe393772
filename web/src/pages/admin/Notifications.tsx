/** Where SLA warnings and breaches go: Slack incoming webhooks and signed webhooks (URLs shown only in part). */
import { type FormEvent, useEffect, useState } from 'react';
import { api } from '../../api';
import { Section } from '../../components';
import { dateTime } from '../../format';
import { ErrorBox } from './shared';

interface Target {
  id: string;
  type: string;
  name: string;
  url: string;
  has_secret: boolean;
  events: string[];
  is_active: boolean;
  created_at: string;
}

export function NotificationsPage() {
  const [items, setItems] = useState<Target[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [form, setForm] = useState({
    type: 'slack',
    name: '',
    url: '',
    secret: '',
    warning: true,
    breach: true,
  });

  const reload = () =>
    api<{ items: Target[] }>('GET', '/v1/notification-targets').then((r) => setItems(r.items), setError);
  useEffect(() => {
    void reload();
  }, []);

  async function add(event: FormEvent) {
    event.preventDefault();
    setError(null);
    const events = [...(form.warning ? ['warning'] : []), ...(form.breach ? ['breach'] : [])];
    try {
      await api('POST', '/v1/notification-targets', {
        type: form.type,
        name: form.name,
        url: form.url,
        events,
        ...(form.type === 'webhook' ? { secret: form.secret } : {}),
      });
      setForm({ ...form, name: '', url: '', secret: '' });
      await reload();
    } catch (e) {
      setError(e);
    }
  }

  async function remove(id: string) {
    try {
      await api('DELETE', `/v1/notification-targets/${id}`);
      await reload();
    } catch (e) {
      setError(e);
    }
  }

  return (
    <div>
      <h1>Notification targets</h1>
      <Section title="Targets">
        {items && items.length === 0 ? (
          <p className="muted">None yet: SLA alerts are recorded but not sent.</p>
        ) : null}
        {items && items.length > 0 ? (
          <table aria-label="Notification targets">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">Added</th>
                <th scope="col">
                  <span className="muted">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((t) => (
                <tr key={t.id}>
                  <td>{t.name}</td>
                  <td>
                    {t.type}
                    {t.has_secret ? ' (signed)' : ''}
                  </td>
                  <td>
                    <code>{t.url}</code>
                  </td>
                  <td>{t.events.join(', ')}</td>
                  <td>{dateTime(t.created_at)}</td>
                  <td>
                    <button
                      type="button"
                      className="secondary"
                      onClick={() => void remove(t.id)}
                      aria-label={`Remove ${t.name}`}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </Section>
      <Section title="Add a target">
        <form onSubmit={add} className="form-grid" noValidate>
          <label>
            Type
            <select value={form.type} onChange={(e) => setForm({ ...form, type: e.target.value })}>
              <option value="slack">Slack incoming webhook</option>
              <option value="webhook">Signed webhook</option>
            </select>
          </label>
          <label>
            Name
            <input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
          </label>
          <label>
            URL
            <input type="url" value={form.url} onChange={(e) => setForm({ ...form, url: e.target.value })} />
          </label>
          {form.type === 'webhook' ? (
            <label>
              Signing secret (16+ characters, write-only)
              <input
                type="password"
                autoComplete="new-password"
                value={form.secret}
                onChange={(e) => setForm({ ...form, secret: e.target.value })}
              />
            </label>
          ) : null}
          <label className="check">
            <input
              type="checkbox"
              checked={form.warning}
              onChange={(e) => setForm({ ...form, warning: e.target.checked })}
            />
            Warnings
          </label>
          <label className="check">
            <input
              type="checkbox"
              checked={form.breach}
              onChange={(e) => setForm({ ...form, breach: e.target.checked })}
            />
            Breaches
          </label>
          <div>
            <button type="submit">Add target</button>
          </div>
        </form>
        <ErrorBox error={error} />
      </Section>
    </div>
  );
}

/**
 * The tenant's ITSM connection. Credentials are write-only: the API returns only the names of the fields set,
 * so saving asks for them again; the inbound secret likewise.
 */
import { type FormEvent, useEffect, useState } from 'react';
import { ApiError, api } from '../../api';
import { Alert, Section } from '../../components';
import { ErrorBox } from './shared';

interface Integration {
  tool_type: string;
  base_url: string;
  settings: Record<string, unknown>;
  credentials: { configured: string[] };
  inbound: { url: string; secret_configured: boolean };
}

const TOOLS = ['jira', 'servicenow', 'zendesk', 'servicedesk_plus', 'webhook'];
const CREDENTIAL_HINTS: Record<string, string> = {
  jira: '{"email": "bot@example.com", "api_token": "…"}',
  servicenow: '{"username": "…", "password": "…"}',
  zendesk: '{"email": "bot@example.com", "api_token": "…"}',
  servicedesk_plus: '{"authtoken": "…"}',
  webhook: '{"secret": "at least 16 characters"}',
};

export function ItsmPage() {
  const [current, setCurrent] = useState<Integration | null | undefined>(undefined);
  const [toolType, setToolType] = useState('jira');
  const [baseUrl, setBaseUrl] = useState('');
  const [settings, setSettings] = useState('{}');
  const [credentials, setCredentials] = useState('');
  const [inboundSecret, setInboundSecret] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);

  function show(i: Integration | null) {
    setCurrent(i);
    if (i) {
      setToolType(i.tool_type);
      setBaseUrl(i.base_url);
      setSettings(JSON.stringify(i.settings, null, 2));
    }
  }

  useEffect(() => {
    api<Integration>('GET', '/v1/integrations/itsm').then(show, (e) =>
      e instanceof ApiError && e.status === 404 ? show(null) : setError(e),
    );
  }, []);

  async function save(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setSaved(false);
    let parsedSettings: unknown;
    let parsedCredentials: unknown;
    try {
      parsedSettings = JSON.parse(settings || '{}');
      parsedCredentials = JSON.parse(credentials || 'null');
    } catch {
      setError(new Error('Settings and credentials must be JSON objects.'));
      return;
    }
    try {
      const body = {
        tool_type: toolType,
        base_url: baseUrl,
        settings: parsedSettings,
        credentials: parsedCredentials,
        ...(inboundSecret ? { inbound_secret: inboundSecret } : {}),
      };
      show(await api<Integration>('PUT', '/v1/integrations/itsm', body));
      setCredentials('');
      setInboundSecret('');
      setSaved(true);
    } catch (e) {
      setError(e);
    }
  }

  async function disconnect() {
    try {
      await api('DELETE', '/v1/integrations/itsm');
      show(null);
    } catch (e) {
      setError(e);
    }
  }

  if (current === undefined && !error) return <p className="loading">Loading…</p>;

  return (
    <div>
      <h1>ITSM connection</h1>
      <Section title="Status">
        {current ? (
          <p>
            Connected to <strong>{current.tool_type}</strong> at <code>{current.base_url}</code>; credentials
            set: {current.credentials.configured.join(', ') || 'none'}. Inbound webhook:{' '}
            <code>{current.inbound.url}</code> (
            {current.inbound.secret_configured ? 'signed' : 'no secret set'}).{' '}
            <button type="button" className="secondary" onClick={() => void disconnect()}>
              Disconnect
            </button>
          </p>
        ) : (
          <p className="muted">Not connected: tickets stay in this platform only.</p>
        )}
      </Section>
      <Section title={current ? 'Change the connection' : 'Connect a tool'}>
        <form onSubmit={save} noValidate>
          <div className="form-grid">
            <label>
              Tool
              <select value={toolType} onChange={(e) => setToolType(e.target.value)}>
                {TOOLS.map((t) => (
                  <option key={t} value={t}>
                    {t.replace(/_/g, ' ')}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Base URL
              <input type="url" value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} />
            </label>
            <label>
              Inbound secret (write-only, optional)
              <input
                type="password"
                autoComplete="new-password"
                value={inboundSecret}
                onChange={(e) => setInboundSecret(e.target.value)}
              />
            </label>
          </div>
          <label htmlFor="itsm-credentials">
            Credentials as JSON (write-only: never shown again), e.g. {CREDENTIAL_HINTS[toolType]}
          </label>
          <textarea
            id="itsm-credentials"
            rows={3}
            spellCheck={false}
            autoComplete="off"
            value={credentials}
            onChange={(e) => setCredentials(e.target.value)}
          />
          <label htmlFor="itsm-settings">
            Settings as JSON (project or queue, field and status mappings, rate limit)
          </label>
          <textarea
            id="itsm-settings"
            rows={8}
            spellCheck={false}
            value={settings}
            onChange={(e) => setSettings(e.target.value)}
          />
          <ErrorBox error={error} />
          {saved ? (
            <Alert kind="ok">Saved. Credentials are stored sealed and will not be shown.</Alert>
          ) : null}
          <button type="submit">Save connection</button>
        </form>
      </Section>
    </div>
  );
}

/** Knowledge-base documents: add (paste or pick a file), follow the ingestion workflow's progress, archive. */
import { type FormEvent, useState } from 'react';
import { api } from '../../api';
import { Alert, Badge, Section } from '../../components';
import { dateTime } from '../../format';
import { usePolling } from '../../hooks';
import { ErrorBox } from './shared';

interface Doc {
  id: string;
  external_id: string | null;
  title: string;
  format: string;
  version: number;
  status: string;
  chunk_count: number;
  error: string | null;
  updated_at: string;
  progress?: { state: string; chunks_total: number; chunks_indexed: number; error: string | null };
}

export function KnowledgePage() {
  const [docs, setDocs] = useState<Doc[] | null>(null);
  const [progress, setProgress] = useState<Record<string, Doc['progress']>>({});
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [form, setForm] = useState({ title: '', external_id: '', content: '', format: '' });

  async function reload() {
    const list = await api<{ items: Doc[] }>('GET', '/v1/kb/documents');
    setDocs(list.items);
    // Documents still ingesting: their workflow's progress.
    const ingesting = list.items.filter((d) => d.status === 'ingesting');
    const details = await Promise.all(ingesting.map((d) => api<Doc>('GET', `/v1/kb/documents/${d.id}`)));
    setProgress(Object.fromEntries(details.map((d) => [d.id, d.progress])));
  }

  usePolling(() => reload().catch(setError), 3000, []);

  async function add(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setNotice(null);
    setBusy(true);
    try {
      const r = await api<{ status: string; document: Doc }>('POST', '/v1/kb/documents', {
        title: form.title,
        content: form.content,
        ...(form.format ? { format: form.format } : {}),
        ...(form.external_id ? { external_id: form.external_id } : {}),
      });
      setNotice(
        `“${r.document.title}”: ${r.status} (version ${r.document.version}, ${r.document.chunk_count} passages).`,
      );
      setForm({ title: '', external_id: '', content: '', format: '' });
      await reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  async function archive(id: string) {
    try {
      await api('DELETE', `/v1/kb/documents/${id}`);
      await reload();
    } catch (e) {
      setError(e);
    }
  }

  return (
    <div>
      <h1>Knowledge base</h1>
      <Section title="Documents">
        {docs && docs.length === 0 ? <p className="muted">No documents: drafts say so plainly.</p> : null}
        {docs && docs.length > 0 ? (
          <table aria-label="Documents">
            <thead>
              <tr>
                <th scope="col">Title</th>
                <th scope="col">Status</th>
                <th scope="col">Version</th>
                <th scope="col">Passages</th>
                <th scope="col">Updated</th>
                <th scope="col">
                  <span className="muted">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {docs.map((d) => {
                const p = progress[d.id];
                return (
                  <tr key={d.id}>
                    <td>
                      {d.title}
                      {d.external_id ? <div className="muted small">{d.external_id}</div> : null}
                    </td>
                    <td>
                      <Badge kind="doc" value={d.status} />
                      {p ? (
                        <div>
                          <progress
                            max={p.chunks_total || 1}
                            value={p.chunks_indexed}
                            aria-label={`Ingestion of ${d.title}`}
                          />{' '}
                          <span className="small">
                            {p.state}: {p.chunks_indexed}/{p.chunks_total}
                          </span>
                        </div>
                      ) : null}
                      {d.error ? <div className="small">{d.error}</div> : null}
                    </td>
                    <td>{d.version}</td>
                    <td>{d.chunk_count}</td>
                    <td>{dateTime(d.updated_at)}</td>
                    <td>
                      <button
                        type="button"
                        className="secondary"
                        onClick={() => void archive(d.id)}
                        aria-label={`Archive ${d.title}`}
                      >
                        Archive
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : null}
      </Section>
      <Section title="Add a document">
        <form onSubmit={add} noValidate>
          <div className="form-grid">
            <label>
              Title
              <input value={form.title} onChange={(e) => setForm({ ...form, title: e.target.value })} />
            </label>
            <label>
              External id (same id, new content: a new version)
              <input
                value={form.external_id}
                onChange={(e) => setForm({ ...form, external_id: e.target.value })}
              />
            </label>
            <label>
              Format
              <select value={form.format} onChange={(e) => setForm({ ...form, format: e.target.value })}>
                <option value="">detect</option>
                <option value="markdown">Markdown</option>
                <option value="html">HTML</option>
                <option value="text">text</option>
              </select>
            </label>
            <label>
              From a file
              <input
                type="file"
                accept=".md,.markdown,.html,.htm,.txt"
                onChange={async (e) => {
                  const file = e.target.files?.[0];
                  if (!file) return;
                  const content = await file.text();
                  setForm((f) => ({ ...f, content, title: f.title || file.name.replace(/\.[^.]+$/, '') }));
                }}
              />
            </label>
          </div>
          <label htmlFor="kb-content">Content</label>
          <textarea
            id="kb-content"
            rows={10}
            value={form.content}
            onChange={(e) => setForm({ ...form, content: e.target.value })}
          />
          <ErrorBox error={error} />
          {notice ? <Alert kind="ok">{notice}</Alert> : null}
          <button type="submit" disabled={busy}>
            {busy ? 'Ingesting…' : 'Add document'}
          </button>
        </form>
      </Section>
    </div>
  );
}

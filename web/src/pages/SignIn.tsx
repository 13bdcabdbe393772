/**
 * Sign-in with a JWT: pasted here in development (`npm run token`), or handed over by the tenant's identity
 * provider in production (README: "Agent console"). The token lives in this tab's sessionStorage only.
 */
import { type FormEvent, useState } from 'react';
import { type Me, api, describeError, storeToken } from '../api';
import { Alert } from '../components';

const CONSOLE_ROLES = ['agent', 'admin', 'superadmin'];

export function SignIn(props: { notice: string | null; onSignedIn: (me: Me) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(props.notice);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const value = token.trim().replace(/^Bearer\s+/i, '');
    if (!value) return setError('Paste an access token.');
    setBusy(true);
    setError(null);
    storeToken(value);
    try {
      const me = await api<Me>('GET', '/v1/me');
      if (!me.roles.some((r) => CONSOLE_ROLES.includes(r))) {
        storeToken(null);
        setError(
          `Access refused: this console is for agents and admins, and this token's role is ${me.roles.join(', ')}.`,
        );
        return;
      }
      props.onSignedIn(me);
    } catch (e) {
      storeToken(null);
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="signin" id="main">
      <h1>Support console</h1>
      <form onSubmit={submit} aria-describedby="signin-help">
        <label htmlFor="token">Access token</label>
        <textarea
          id="token"
          name="token"
          rows={5}
          autoComplete="off"
          spellCheck={false}
          value={token}
          onChange={(e) => setToken(e.target.value)}
          autoFocus
        />
        <p id="signin-help" className="muted">
          Paste the JWT your identity provider issued (in development:{' '}
          <code>npm run token -- --tenant &lt;slug&gt; --role agent</code>). It is kept in this tab only.
        </p>
        {error ? <Alert kind="error">{error}</Alert> : null}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

import { useState, type FormEvent } from 'react';
import { createClient, fetchExchange } from 'urql';
import { LanguageSwitch } from '../../components/LanguageSwitch';
import { useLanguage } from '../../i18n';
import type { Role, Session } from '../../lib/session';
import { WhoAmI } from './queries';

export function SignInPage({ onSignedIn }: { onSignedIn(session: Session): void }) {
  const { t } = useLanguage();
  const [key, setKey] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const trimmed = key.trim();
    if (!trimmed) return;
    setBusy(true);
    setError('');
    // Ask the gateway who this key is before keeping it.
    const probe = createClient({
      url: '/graphql',
      preferGetMethod: false,
      exchanges: [fetchExchange],
      fetchOptions: { headers: { authorization: `Bearer ${trimmed}` }, credentials: 'omit' },
    });
    const result = await probe.query(WhoAmI, {}, { requestPolicy: 'network-only' }).toPromise();
    setBusy(false);
    const caller = result.data?.caller;
    if (!caller) {
      // A wrong key is refused with HTTP 401 before the query is read: that is an answer, not a silent gateway.
      const refused = (result.error?.response as Response | undefined)?.status === 401;
      setError(result.error?.networkError && !refused ? t.errors.network : t.signIn.rejected);
      return;
    }
    if (caller.role === 'service') {
      setError(t.signIn.wrongRole);
      return;
    }
    onSignedIn({ key: trimmed, label: caller.label, role: caller.role as Role });
  };

  return (
    <div className="sign-in">
      <form className="card sign-in-card" onSubmit={submit}>
        <h1>{t.signIn.title}</h1>
        <label className="field">
          <span>{t.signIn.apiKey}</span>
          <input type="password" autoComplete="off" spellCheck={false} value={key} onChange={(event) => setKey(event.target.value)} required />
        </label>
        <p className="hint">{t.signIn.hint}</p>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {t.signIn.submit}
          </button>
          <LanguageSwitch />
        </div>
      </form>
    </div>
  );
}

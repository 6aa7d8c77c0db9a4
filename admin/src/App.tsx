import { useMemo, useState } from 'react';
import { Provider, useQuery } from 'urql';
import { graphql } from './graphql';
import { LanguageSwitch } from './components/LanguageSwitch';
import { useLanguage } from './i18n';
import { createGatewayClient } from './lib/client';
import { LiveProvider, useLive, useRefetchOnChange } from './lib/live';
import { Link, useRouter } from './lib/router';
import { canAct, clearSession, loadSession, saveSession, type Session } from './lib/session';
import { ApiKeysPage } from './pages/api-keys/ApiKeysPage';
import { AuditLogPage } from './pages/audit-log/AuditLogPage';
import { NeedsAttentionPage } from './pages/needs-attention/NeedsAttentionPage';
import { NewPaymentPage } from './pages/new-payment/NewPaymentPage';
import { PaymentPage } from './pages/payment/PaymentPage';
import { PaymentsPage } from './pages/payments/PaymentsPage';
import { ShopsPage } from './pages/shops/ShopsPage';
import { SignInPage } from './pages/sign-in/SignInPage';
import { WebhooksPage } from './pages/webhooks/WebhooksPage';

export function App() {
  const [session, setSession] = useState<Session | null>(loadSession);
  const signOut = () => {
    clearSession();
    setSession(null);
  };
  const client = useMemo(() => (session ? createGatewayClient(session.key, signOut) : null), [session?.key]);

  if (!session || !client) {
    return (
      <SignInPage
        onSignedIn={(next) => {
          saveSession(next);
          setSession(next);
        }}
      />
    );
  }
  return (
    <Provider value={client}>
      <LiveProvider apiKey={session.key}>
        <Shell session={session} onSignOut={signOut} />
      </LiveProvider>
    </Provider>
  );
}

const AttentionCount = graphql(`
  query ConsoleAttentionCount {
    needsAttention {
      count
    }
  }
`);

function Shell({ session, onSignOut }: { session: Session; onSignOut(): void }) {
  const { t } = useLanguage();
  const { path } = useRouter();
  const live = useLive();
  const [attention, refetchAttention] = useQuery({ query: AttentionCount });
  useRefetchOnChange(refetchAttention);
  const count = attention.data?.needsAttention.count ?? 0;
  const admin = canAct(session);

  return (
    <div className="shell">
      <header className="top">
        <div className="brand">
          <span className="brand-name">{t.appTitle}</span>
          <span className={live.connected ? 'live live-on' : 'live live-off'} role="status">
            {live.connected ? t.live.connected : t.live.reconnecting}
          </span>
        </div>
        <nav className="nav" aria-label="main">
          <Link to="/">{t.nav.payments}</Link>
          {admin && <Link to="/new-payment">{t.nav.newPayment}</Link>}
          <Link to="/shops">{t.nav.shops}</Link>
          <Link to="/audit-log">{t.nav.auditLog}</Link>
          <Link to="/webhooks">{t.nav.webhooks}</Link>
          {admin && <Link to="/api-keys">{t.nav.apiKeys}</Link>}
          <Link to="/needs-attention">
            {t.nav.needsAttention}{' '}
            <span className={count > 0 ? 'badge badge-alert' : 'badge'} data-testid="attention-count">
              {count}
            </span>
          </Link>
        </nav>
        <div className="who">
          <LanguageSwitch />
          <span className="role" title={session.label}>
            {session.label} · {t.roles[session.role] ?? session.role}
          </span>
          <button type="button" className="link-button" onClick={onSignOut}>
            {t.signOut}
          </button>
        </div>
      </header>
      <main className="page">
        <Page path={path} session={session} />
      </main>
    </div>
  );
}

function Page({ path, session }: { path: string; session: Session }) {
  const admin = canAct(session);
  const payment = /^\/payments\/([0-9a-f-]{36})$/i.exec(path);
  if (payment) return <PaymentPage id={payment[1]} canAct={admin} />;
  if (path.startsWith('/new-payment') && admin) return <NewPaymentPage />;
  if (path.startsWith('/shops')) return <ShopsPage canAct={admin} />;
  if (path.startsWith('/audit-log')) return <AuditLogPage />;
  if (path.startsWith('/needs-attention')) return <NeedsAttentionPage />;
  if (path.startsWith('/webhooks')) return <WebhooksPage canAct={admin} />;
  if (path.startsWith('/api-keys') && admin) return <ApiKeysPage canAct={admin} />;
  return <PaymentsPage />;
}

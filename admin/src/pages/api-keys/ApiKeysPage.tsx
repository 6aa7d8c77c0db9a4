import { readFragment } from 'gql.tada';
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { Choice, DateTime, Field, LoadState, MutationErrors, PageHeading, SecretOnce } from '../../components/common';
import { useLanguage } from '../../i18n';
import { ApiKeys, CreateApiKey, KeyRow, RevokeApiKey } from './queries';

const ROLES = ['service', 'viewer', 'admin'] as const;

/** API keys: who may call the gateway. A new key's secret is shown once, here, and never again. */
export function ApiKeysPage({ canAct }: { canAct: boolean }) {
  const { t } = useLanguage();
  const [result, refetch] = useQuery({ query: ApiKeys });
  const [adding, setAdding] = useState(false);
  const [secret, setSecret] = useState<{ label: string; secret: string } | null>(null);
  const [revoked, revoke] = useMutation(RevokeApiKey);
  const keys = result.data ? readFragment(KeyRow, result.data.apiKeys) : [];
  const reload = () => refetch({ requestPolicy: 'network-only' });

  return (
    <section>
      <PageHeading title={t.apiKeys.title} addLabel={t.apiKeys.add} onAdd={canAct ? () => setAdding(true) : undefined} />
      {secret && <SecretOnce text={t.apiKeys.secretOnce(secret.label)} secret={secret.secret} onDone={() => setSecret(null)} />}
      {canAct && adding && (
        <KeyForm
          onCancel={() => setAdding(false)}
          onCreated={(label, made) => {
            setAdding(false);
            setSecret({ label, secret: made });
            reload();
          }}
        />
      )}
      <MutationErrors errors={revoked.data?.revokeApiKey.errors} error={revoked.error} />
      <LoadState fetching={result.fetching && !result.data} error={result.error}>
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>{t.apiKeys.label}</th>
                <th>{t.apiKeys.role}</th>
                <th>{t.apiKeys.shops}</th>
                <th>{t.apiKeys.source}</th>
                <th>{t.apiKeys.created}</th>
                <th>{t.apiKeys.status}</th>
                {canAct && <th />}
              </tr>
            </thead>
            <tbody>
              {keys.map((key) => (
                <tr key={key.id} data-key-label={key.label}>
                  <td>{key.label}</td>
                  <td>{t.roles[key.role] ?? key.role}</td>
                  <td>{key.shopIds?.join(', ') ?? t.webhooks.allShops}</td>
                  <td>{key.source === 'ENVIRONMENT' ? t.apiKeys.fromEnvironment : t.apiKeys.fromDatabase}</td>
                  <td>
                    <DateTime iso={key.createdAt} />
                  </td>
                  <td>
                    {key.revokedAt ? (
                      <span className="status status-canceled">
                        {t.apiKeys.revoked} <DateTime iso={key.revokedAt} />
                      </span>
                    ) : (
                      <span className="status status-processed">{t.apiKeys.active}</span>
                    )}
                  </td>
                  {canAct && (
                    <td>
                      {!key.revokedAt && key.source !== 'ENVIRONMENT' && (
                        <button
                          type="button"
                          onClick={async () => {
                            if (!window.confirm(t.apiKeys.confirmRevoke(key.label))) return;
                            await revoke({ id: key.id });
                            reload();
                          }}
                        >
                          {t.apiKeys.revoke}
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </LoadState>
    </section>
  );
}

function KeyForm({ onCreated, onCancel }: { onCreated(label: string, secret: string): void; onCancel(): void }) {
  const { t } = useLanguage();
  const [label, setLabel] = useState('');
  const [role, setRole] = useState<(typeof ROLES)[number]>('service');
  const [shops, setShops] = useState('');
  const [state, create] = useMutation(CreateApiKey);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const shopIds = shops.trim() ? shops.split(/[\s,]+/).filter(Boolean).map(Number) : null;
    const result = await create({ input: { label: label.trim(), role, shopIds } });
    const payload = result.data?.createApiKey;
    if (payload?.apiKey && payload.secret) onCreated(payload.apiKey.label, payload.secret);
  };
  return (
    <form className="card form" onSubmit={submit} aria-label={t.apiKeys.add}>
      <h2>{t.apiKeys.add}</h2>
      <Field label={t.apiKeys.label}>
        <input value={label} onChange={(event) => setLabel(event.target.value)} required maxLength={100} placeholder="main-backend" />
      </Field>
      <Field label={t.apiKeys.role}>
        <Choice value={role} values={ROLES} label={(value) => t.roles[value]} onChange={(value) => value && setRole(value)} />
      </Field>
      <Field label={t.apiKeys.shops} hint={t.webhooks.shopsHint}>
        <input value={shops} onChange={(event) => setShops(event.target.value)} inputMode="numeric" />
      </Field>
      <MutationErrors errors={state.data?.createApiKey.errors} error={state.error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={state.fetching}>
          {t.apiKeys.create}
        </button>
        <button type="button" onClick={onCancel}>
          {t.common.cancel}
        </button>
      </div>
    </form>
  );
}

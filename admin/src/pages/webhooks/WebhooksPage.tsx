import { readFragment } from 'gql.tada';
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { DateTime, Field, LoadState, MutationErrors, PageHeading, SecretOnce, StatusBadge } from '../../components/common';
import { useLanguage } from '../../i18n';
import { useRefetchOnChange } from '../../lib/live';
import { CreateEndpoint, Endpoint, Redeliver, RotateSecret, UpdateEndpoint, Webhooks } from './queries';

const EVENTS = ['PAYMENT_STATUS_CHANGED', 'REFUND_STATUS_CHANGED'] as const;
type EventType = (typeof EVENTS)[number];

/** Webhook endpoints and their recent deliveries; a signing secret is shown once, when made. */
export function WebhooksPage({ canAct }: { canAct: boolean }) {
  const { t } = useLanguage();
  const [result, refetch] = useQuery({ query: Webhooks, variables: { limit: 50 } });
  useRefetchOnChange(refetch);
  const [adding, setAdding] = useState(false);
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const [, update] = useMutation(UpdateEndpoint);
  const [, rotate] = useMutation(RotateSecret);
  const [redelivered, redeliver] = useMutation(Redeliver);
  const endpoints = result.data ? readFragment(Endpoint, result.data.webhookEndpoints) : [];
  const urlOf = (id: string) => endpoints.find((endpoint) => endpoint.id === id)?.url ?? id;
  const reload = () => refetch({ requestPolicy: 'network-only' });

  return (
    <section>
      <PageHeading title={t.webhooks.title} addLabel={t.webhooks.add} onAdd={canAct ? () => setAdding(true) : undefined} />
      {secret && <SecretOnce text={t.webhooks.secretOnce(secret.url)} secret={secret.secret} onDone={() => setSecret(null)} />}
      {canAct && adding && (
        <EndpointForm
          onCancel={() => setAdding(false)}
          onCreated={(url, made) => {
            setAdding(false);
            setSecret({ url, secret: made });
            reload();
          }}
        />
      )}
      <LoadState fetching={result.fetching && !result.data} error={result.error}>
        <h2>{t.webhooks.endpoints}</h2>
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>{t.webhooks.url}</th>
                <th>{t.webhooks.events}</th>
                <th>{t.webhooks.shops}</th>
                <th>{t.webhooks.status}</th>
                {canAct && <th />}
              </tr>
            </thead>
            <tbody>
              {endpoints.map((endpoint) => (
                <tr key={endpoint.id}>
                  <td className="wrap">
                    <code>{endpoint.url}</code>
                    {endpoint.description && <span className="reason">{endpoint.description}</span>}
                  </td>
                  <td className="wrap">{endpoint.events.map((event) => t.webhooks.eventNames[event] ?? event).join(', ')}</td>
                  <td>{endpoint.shopIds?.join(', ') ?? t.webhooks.allShops}</td>
                  <td className="wrap">
                    <span className={endpoint.isActive ? 'status status-processed' : 'status status-failed'}>{endpoint.isActive ? t.webhooks.on : t.webhooks.off}</span>
                    {endpoint.disabledReason && <span className="reason">{endpoint.disabledReason}</span>}
                  </td>
                  {canAct && (
                    <td className="row-actions">
                      <button
                        type="button"
                        onClick={async () => {
                          const rotated = await rotate({ id: endpoint.id });
                          const made = rotated.data?.rotateWebhookSecret.secret;
                          if (made) setSecret({ url: endpoint.url, secret: made });
                        }}
                      >
                        {t.webhooks.rotate}
                      </button>
                      <button
                        type="button"
                        onClick={async () => {
                          await update({ id: endpoint.id, input: { isActive: !endpoint.isActive } });
                          reload();
                        }}
                      >
                        {endpoint.isActive ? t.webhooks.turnOff : t.webhooks.turnOn}
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {endpoints.length === 0 && <p className="muted">{t.common.none}</p>}

        <h2>{t.webhooks.deliveries}</h2>
        <MutationErrors errors={redelivered.data?.redeliverWebhook.errors} error={redelivered.error} />
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>{t.webhooks.time}</th>
                <th>{t.webhooks.url}</th>
                <th>{t.webhooks.event}</th>
                <th>{t.webhooks.status}</th>
                <th className="num">{t.webhooks.httpStatus}</th>
                <th className="num">{t.webhooks.attempts}</th>
                <th>{t.webhooks.error}</th>
                {canAct && <th />}
              </tr>
            </thead>
            <tbody>
              {(result.data?.webhookDeliveries ?? []).map((delivery) => (
                <tr key={delivery.id}>
                  <td>
                    <DateTime iso={delivery.createdAt} />
                  </td>
                  <td>
                    <code>{urlOf(delivery.endpointId)}</code>
                  </td>
                  <td>{t.webhooks.eventNames[delivery.eventType] ?? delivery.eventType}</td>
                  <td>
                    <StatusBadge status={delivery.status} />
                  </td>
                  <td className="num">{delivery.lastResponseStatus ?? '—'}</td>
                  <td className="num">{delivery.attempts}</td>
                  <td className="wrap error-text">{delivery.lastError ?? ''}</td>
                  {canAct && (
                    <td>
                      <button
                        type="button"
                        onClick={async () => {
                          await redeliver({ deliveryId: delivery.id });
                          reload();
                        }}
                      >
                        {t.webhooks.redeliver}
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {result.data?.webhookDeliveries.length === 0 && <p className="muted">{t.common.none}</p>}
      </LoadState>
    </section>
  );
}

function EndpointForm({ onCreated, onCancel }: { onCreated(url: string, secret: string): void; onCancel(): void }) {
  const { t } = useLanguage();
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<EventType[]>([...EVENTS]);
  const [shops, setShops] = useState('');
  const [description, setDescription] = useState('');
  const [state, create] = useMutation(CreateEndpoint);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const shopIds = shops.trim() ? shops.split(/[\s,]+/).filter(Boolean).map(Number) : null;
    const result = await create({ input: { url: url.trim(), events, shopIds, description: description || null } });
    const payload = result.data?.createWebhookEndpoint;
    if (payload?.endpoint && payload.secret) onCreated(readFragment(Endpoint, payload.endpoint).url, payload.secret);
  };
  return (
    <form className="card form" onSubmit={submit} aria-label={t.webhooks.add}>
      <h2>{t.webhooks.add}</h2>
      <Field label={t.webhooks.url}>
        <input type="url" value={url} onChange={(event) => setUrl(event.target.value)} required placeholder="https://shop.example.kz/webhooks/payments" />
      </Field>
      <fieldset className="checks">
        <legend>{t.webhooks.events}</legend>
        {EVENTS.map((value) => (
          <label key={value} className="check">
            <input
              type="checkbox"
              checked={events.includes(value)}
              onChange={(event) => setEvents(event.target.checked ? [...events, value] : events.filter((e) => e !== value))}
            />{' '}
            {t.webhooks.eventNames[value]}
          </label>
        ))}
      </fieldset>
      <Field label={t.webhooks.shops} hint={t.webhooks.shopsHint}>
        <input value={shops} onChange={(event) => setShops(event.target.value)} inputMode="numeric" />
      </Field>
      <Field label={t.webhooks.description}>
        <input value={description} onChange={(event) => setDescription(event.target.value)} />
      </Field>
      <MutationErrors errors={state.data?.createWebhookEndpoint.errors} error={state.error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={state.fetching || events.length === 0}>
          {t.common.save}
        </button>
        <button type="button" onClick={onCancel}>
          {t.common.cancel}
        </button>
      </div>
    </form>
  );
}

import { readFragment, type ResultOf } from 'gql.tada';
import { useState, type FormEvent, type ReactNode } from 'react';
import { useMutation, useQuery } from 'urql';
import { DateTime, Field, LoadState, Money, MutationErrors, StatusBadge } from '../../components/common';
import { useLanguage } from '../../i18n';
import { useLive, useRefetchOnChange } from '../../lib/live';
import { PaymentDetails, PaymentWithTimeline, RefundPayment, ResolvePayment, ResolveRefund } from './queries';

type Payment = ResultOf<typeof PaymentDetails>;

export function PaymentPage({ id, canAct }: { id: string; canAct: boolean }) {
  const { t } = useLanguage();
  const [result, refetch] = useQuery({ query: PaymentWithTimeline, variables: { id } });
  useRefetchOnChange(refetch);
  const payment = result.data?.payment ? readFragment(PaymentDetails, result.data.payment) : null;
  // The audit rows and the webhook deliveries, in the order they happened.
  const timeline = [
    ...(result.data?.logs ?? []).map((row) => ({ kind: 'audit' as const, at: row.createdAt, key: `a${row.id}`, row })),
    ...(result.data?.payment?.webhookDeliveries ?? []).map((delivery) => ({ kind: 'delivery' as const, at: delivery.createdAt, key: `d${delivery.id}`, delivery })),
  ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.key < b.key ? -1 : 1));

  return (
    <section>
      <h1>
        {t.payment.title} {payment && <StatusBadge status={payment.status} />}
      </h1>
      <LoadState fetching={result.fetching && !result.data} error={result.error}>
        {result.data && !payment && <p className="muted">{t.payment.notFound}</p>}
        {payment && (
          <>
            <Summary payment={payment} />
            {canAct && <Actions payment={payment} />}
            <h2>{t.payment.refunds}</h2>
            <Refunds payment={payment} canAct={canAct} />
            <h2>{t.payment.timeline}</h2>
            <ol className="timeline" data-testid="timeline">
              {timeline.map((entry) =>
                entry.kind === 'delivery' ? (
                  <li key={entry.key} className={entry.delivery.status === 'FAILED' ? 'timeline-error timeline-webhook' : 'timeline-webhook'}>
                    <DateTime iso={entry.delivery.createdAt} />
                    <strong>{t.payment.webhook}</strong>
                    <span>{t.webhooks.eventNames[entry.delivery.eventType] ?? entry.delivery.eventType}</span>
                    <StatusBadge status={entry.delivery.status} />
                    {entry.delivery.lastResponseStatus != null && <span className="muted">HTTP {entry.delivery.lastResponseStatus}</span>}
                    <span className="muted">
                      {t.webhooks.attempts}: {entry.delivery.attempts}
                    </span>
                    {entry.delivery.lastError && <span className="error-text">{entry.delivery.lastError}</span>}
                  </li>
                ) : (
                  <li key={entry.key} className={entry.row.errorCode ? 'timeline-error' : undefined}>
                    <DateTime iso={entry.row.createdAt} />
                    <strong>{t.operations[entry.row.operationType] ?? entry.row.operationType}</strong>
                    {entry.row.status && <StatusBadge status={entry.row.status} />}
                    {entry.row.amount != null && <Money amount={entry.row.amount} />}
                    {entry.row.actor && (
                      <span className="muted">
                        {t.payment.actor}: {entry.row.actor}
                      </span>
                    )}
                    {entry.row.reason && <q>{entry.row.reason}</q>}
                    {entry.row.errorCode && (
                      <span className="error-text">
                        {entry.row.errorCode}
                        {entry.row.errorMessage ? `: ${entry.row.errorMessage}` : ''}
                      </span>
                    )}
                  </li>
                ),
              )}
            </ol>
          </>
        )}
      </LoadState>
    </section>
  );
}

function Summary({ payment }: { payment: Payment }) {
  const { t } = useLanguage();
  const rows: Array<[string, ReactNode]> = [
    [t.payment.amount, <Money amount={payment.amount} />],
    [t.payment.refunded, <Money amount={payment.refundedAmount} />],
    [t.payment.refundable, <Money amount={payment.refundableAmount} />],
    [t.payment.status, <StatusBadge status={payment.status} />],
    [t.payment.providerStatus, payment.providerStatus ?? '—'],
    [t.payment.shop, payment.shopId],
    [t.payment.bin, payment.organizationBin],
    [t.payment.method, t.methods[payment.method] ?? payment.method],
    [t.payment.phone, payment.phoneMasked || '—'],
    [t.payment.message, payment.message ?? '—'],
    [t.payment.externalId, <code>{payment.externalId ?? '—'}</code>],
    [t.payment.id, <code>{payment.id}</code>],
    [t.payment.created, <DateTime iso={payment.createdAt} />],
  ];
  if (payment.paymentUrl) {
    rows.push([
      t.payment.link,
      <a href={payment.paymentUrl} target="_blank" rel="noreferrer noopener">
        {payment.paymentUrl}
      </a>,
    ]);
  }
  if (payment.expiresAt) rows.push([t.payment.expires, <DateTime iso={payment.expiresAt} />]);
  // The gateway draws the QR code; shown as an image, so that nothing in it can run.
  if (payment.qrSvg) rows.push([t.payment.qr, <img className="qr" alt={t.payment.qr} src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(payment.qrSvg)}`} />]);
  return (
    <dl className="summary" data-testid="summary">
      {rows.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function Actions({ payment }: { payment: Payment }) {
  const { t } = useLanguage();
  const [open, setOpen] = useState<'refund' | 'resolve' | null>(null);
  const unsettled = payment.refunds.some((refund) => refund.status === 'UNKNOWN' || refund.status === 'PENDING');
  const refundable = payment.status === 'PROCESSED' && payment.refundableAmount > 0;
  return (
    <div className="actions-bar">
      {payment.status === 'PROCESSED' && (
        <button type="button" className="primary" disabled={!refundable || unsettled} onClick={() => setOpen(open === 'refund' ? null : 'refund')}>
          {t.payment.refund}
        </button>
      )}
      {payment.status === 'UNKNOWN' && (
        <button type="button" className="primary" onClick={() => setOpen(open === 'resolve' ? null : 'resolve')}>
          {t.payment.resolve}
        </button>
      )}
      {unsettled && <span className="muted">{t.payment.refundPendingHint}</span>}
      {open === 'refund' && refundable && !unsettled && <RefundForm payment={payment} onDone={() => setOpen(null)} />}
      {open === 'resolve' && payment.status === 'UNKNOWN' && <ResolvePaymentForm payment={payment} onDone={() => setOpen(null)} />}
    </div>
  );
}

function RefundForm({ payment, onDone }: { payment: Payment; onDone(): void }) {
  const { t } = useLanguage();
  const live = useLive();
  const [amount, setAmount] = useState(String(payment.refundableAmount));
  const [reason, setReason] = useState('');
  // One key per form: a double click or a retry after a lost answer refunds once.
  const [idempotencyKey] = useState(() => `console-refund-${crypto.randomUUID()}`);
  const [state, refund] = useMutation(RefundPayment);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await refund({
      input: { shopId: payment.shopId, externalId: payment.externalId!, amount: Number(amount.replace(',', '.')), reason: reason || null, idempotencyKey },
    });
    live.bump();
    if (result.data?.refund.errors.length === 0) onDone();
  };
  return (
    <form className="card inline-form" onSubmit={submit} aria-label={t.payment.refund}>
      <Field label={t.payment.refundAmount} hint={`${t.payment.refundable}: ${payment.refundableAmount}`}>
        <input inputMode="decimal" value={amount} onChange={(event) => setAmount(event.target.value)} required />
      </Field>
      <Field label={t.payment.refundReason}>
        <input value={reason} onChange={(event) => setReason(event.target.value)} maxLength={500} />
      </Field>
      <MutationErrors errors={state.data?.refund.errors} error={state.error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={state.fetching}>
          {t.payment.refundSubmit}
        </button>
      </div>
    </form>
  );
}

function ResolvePaymentForm({ payment, onDone }: { payment: Payment; onDone(): void }) {
  const { t } = useLanguage();
  const live = useLive();
  const [externalId, setExternalId] = useState('');
  const [markFailed, setMarkFailed] = useState(false);
  const [reason, setReason] = useState('');
  const [state, resolve] = useMutation(ResolvePayment);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await resolve({
      input: { paymentId: payment.id, reason, ...(markFailed ? { markFailed: true } : { externalId: externalId.trim() }) },
    });
    live.bump();
    if (result.data?.resolveUnknownPayment.errors.length === 0) onDone();
  };
  return (
    <form className="card inline-form" onSubmit={submit} aria-label={t.payment.resolve}>
      <p className="hint">{t.payment.resolveHint}</p>
      <Field label={t.payment.resolveExternalId}>
        <input value={externalId} disabled={markFailed} onChange={(event) => setExternalId(event.target.value)} required={!markFailed} />
      </Field>
      <label className="check">
        <input type="checkbox" checked={markFailed} onChange={(event) => setMarkFailed(event.target.checked)} /> {t.payment.resolveMarkFailed}
      </label>
      <Field label={t.payment.resolveReason}>
        <input value={reason} onChange={(event) => setReason(event.target.value)} required minLength={3} maxLength={500} />
      </Field>
      <MutationErrors errors={state.data?.resolveUnknownPayment.errors} error={state.error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={state.fetching}>
          {t.payment.resolveSubmit}
        </button>
      </div>
    </form>
  );
}

function Refunds({ payment, canAct }: { payment: Payment; canAct: boolean }) {
  const { t } = useLanguage();
  if (payment.refunds.length === 0) return <p className="muted">{t.payment.noRefunds}</p>;
  return (
    <div className="table-wrap">
      <table className="table">
        <thead>
          <tr>
            <th>{t.payment.status}</th>
            <th className="num">{t.payment.amount}</th>
            <th>{t.payment.externalId}</th>
            <th>{t.payment.created}</th>
            {canAct && <th />}
          </tr>
        </thead>
        <tbody>
          {payment.refunds.map((refund) => (
            <tr key={refund.id}>
              <td>
                <StatusBadge status={refund.status} />
              </td>
              <td className="num">
                <Money amount={refund.amount} />
              </td>
              <td>
                <code>{refund.returnOperationId ?? '—'}</code>
              </td>
              <td>
                <DateTime iso={refund.createdAt} />
              </td>
              {canAct && <td>{refund.status === 'UNKNOWN' && <ResolveRefundForm refundId={refund.id} />}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ResolveRefundForm({ refundId }: { refundId: string }) {
  const { t } = useLanguage();
  const live = useLive();
  const [open, setOpen] = useState(false);
  const [outcome, setOutcome] = useState<'SUCCEEDED' | 'FAILED'>('SUCCEEDED');
  const [reason, setReason] = useState('');
  const [state, resolve] = useMutation(ResolveRefund);
  if (!open) {
    return (
      <button type="button" onClick={() => setOpen(true)}>
        {t.payment.resolve}
      </button>
    );
  }
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await resolve({ input: { refundId, outcome, reason } });
    live.bump();
  };
  return (
    <form className="inline-form" onSubmit={submit}>
      <p className="hint">{t.payment.resolveRefundHint}</p>
      <label className="check">
        <input type="radio" name={`outcome-${refundId}`} checked={outcome === 'SUCCEEDED'} onChange={() => setOutcome('SUCCEEDED')} /> {t.payment.resolveSucceeded}
      </label>
      <label className="check">
        <input type="radio" name={`outcome-${refundId}`} checked={outcome === 'FAILED'} onChange={() => setOutcome('FAILED')} /> {t.payment.resolveFailed}
      </label>
      <Field label={t.payment.resolveReason}>
        <input value={reason} onChange={(event) => setReason(event.target.value)} required minLength={3} maxLength={500} />
      </Field>
      <MutationErrors errors={state.data?.resolveUnknownRefund.errors} error={state.error} />
      <button type="submit" className="primary" disabled={state.fetching}>
        {t.payment.resolveSubmit}
      </button>
    </form>
  );
}

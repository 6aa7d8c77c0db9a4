import type { ResultOf } from 'gql.tada';
import { useEffect, useState } from 'react';
import { useClient, useQuery } from 'urql';
import { Choice, DateTime, Field, LoadState, Money, StatusBadge } from '../../components/common';
import { useLanguage } from '../../i18n';
import { useRefetchOnChange } from '../../lib/live';
import { Link } from '../../lib/router';
import { AuditLog } from './queries';

const PAGE_SIZE = 50;
const OPERATIONS = ['CREATE', 'STATUS', 'REFUND', 'RESOLVE', 'CONFIG_CREATE', 'CONFIG_UPDATE', 'CONFIG_DEACTIVATE'] as const;
type Row = ResultOf<typeof AuditLog>['logs'][number];

/** The audit log, newest first, live: a committed change brings its rows without a reload. */
export function AuditLogPage() {
  const { t } = useLanguage();
  const client = useClient();
  const [shop, setShop] = useState('');
  const [operation, setOperation] = useState('');
  const [id, setId] = useState('');
  const [older, setOlder] = useState<Row[]>([]);
  const [exhausted, setExhausted] = useState(false);
  const variables = {
    shopId: /^\d+$/.test(shop) ? Number(shop) : null,
    operationType: (operation || null) as (typeof OPERATIONS)[number] | null,
    id: id.trim() || null,
    limit: PAGE_SIZE,
  };
  const [result, refetch] = useQuery({ query: AuditLog, variables });
  useRefetchOnChange(refetch);
  useEffect(() => {
    setOlder([]);
    setExhausted(false);
  }, [shop, operation, id]);
  const latest = result.data?.logs ?? [];
  const rows = [...latest, ...older.filter((row) => !latest.some((l) => l.id === row.id))];

  const loadMore = async () => {
    const last = rows[rows.length - 1];
    if (!last) return;
    const more = await client.query(AuditLog, { ...variables, before: last.id }, { requestPolicy: 'network-only' }).toPromise();
    const next = more.data?.logs ?? [];
    setOlder((current) => [...current, ...next]);
    if (next.length < PAGE_SIZE) setExhausted(true);
  };

  return (
    <section>
      <h1>{t.auditLog.title}</h1>
      <form className="filters" onSubmit={(event) => event.preventDefault()}>
        <Field label={t.auditLog.shop}>
          <input inputMode="numeric" value={shop} onChange={(event) => setShop(event.target.value)} size={6} />
        </Field>
        <Field label={t.auditLog.operation}>
          <Choice value={operation} values={OPERATIONS} label={(value) => t.operations[value]} onChange={setOperation} anyLabel={t.common.all} />
        </Field>
        <Field label={t.auditLog.id} className="grow">
          <input type="search" value={id} placeholder={t.auditLog.idPlaceholder} onChange={(event) => setId(event.target.value)} />
        </Field>
      </form>
      <LoadState fetching={result.fetching && !result.data} error={result.error}>
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>{t.auditLog.time}</th>
                <th>{t.auditLog.shop}</th>
                <th>{t.auditLog.bin}</th>
                <th>{t.auditLog.operation}</th>
                <th>{t.auditLog.externalId}</th>
                <th className="num">{t.auditLog.amount}</th>
                <th>{t.auditLog.status}</th>
                <th>{t.auditLog.actor}</th>
                <th>{t.auditLog.error}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.id}>
                  <td>
                    <DateTime iso={row.createdAt} />
                  </td>
                  <td>{row.shopId}</td>
                  <td>
                    <code>{row.organizationBin}</code>
                  </td>
                  <td>{t.operations[row.operationType] ?? row.operationType}</td>
                  <td>{row.paymentId ? <Link to={`/payments/${row.paymentId}`}>{row.externalId ?? row.paymentId.slice(0, 8)}</Link> : (row.externalId ?? '')}</td>
                  <td className="num">{row.amount != null && <Money amount={row.amount} />}</td>
                  <td>{row.status && <StatusBadge status={row.status} />}</td>
                  <td className="wrap">
                    {row.actor}
                    {row.reason && <q className="reason">{row.reason}</q>}
                  </td>
                  <td className="error-text">{row.errorCode ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {rows.length === 0 && <p className="muted">{t.common.none}</p>}
        {rows.length >= PAGE_SIZE && !exhausted && (
          <div className="pager">
            <button type="button" data-pager onClick={loadMore}>
              {t.common.loadMore}
            </button>
          </div>
        )}
      </LoadState>
    </section>
  );
}

import { useState } from 'react';
import { useQuery } from 'urql';
import { Choice, DateTime, Field, LoadState, Money, StatusBadge } from '../../components/common';
import { readFragment, type VariablesOf } from 'gql.tada';
import { useLanguage } from '../../i18n';
import { startOfLocalDay } from '../../lib/format';
import { useRefetchOnChange } from '../../lib/live';
import { Link } from '../../lib/router';
import { PaymentRow, SearchPayments } from './queries';

const PAGE_SIZE = 25;
const STATUSES = ['PENDING', 'WAITING', 'PROCESSED', 'FAILED', 'CANCELED', 'EXPIRED', 'UNKNOWN'] as const;
const METHODS = ['KASPI_REMOTE', 'KASPI_QR', 'KASPI_LINK', 'CLOUDPAYMENTS_LINK'] as const;
type Filter = NonNullable<VariablesOf<typeof SearchPayments>['filter']>;

export function PaymentsPage() {
  const { t } = useLanguage();
  const [status, setStatus] = useState('');
  const [shop, setShop] = useState('');
  const [method, setMethod] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [search, setSearch] = useState('');
  const [offset, setOffset] = useState(0);

  const filter: Filter = {
    status: status ? (status as Filter['status']) : null,
    shopId: /^\d+$/.test(shop) ? Number(shop) : null,
    method: method ? (method as Filter['method']) : null,
    createdFrom: from ? startOfLocalDay(from) : null,
    createdTo: to ? startOfLocalDay(to, 1) : null,
    search: search.trim() || null,
  };
  const [result, refetch] = useQuery({ query: SearchPayments, variables: { filter, offset, limit: PAGE_SIZE } });
  useRefetchOnChange(refetch);
  const page = result.data?.paymentSearch;
  const rows = page ? readFragment(PaymentRow, page.items) : [];
  const narrow = <T,>(set: (value: T) => void) => (value: T) => {
    set(value);
    setOffset(0);
  };

  return (
    <section>
      <h1>{t.payments.title}</h1>
      <form className="filters" onSubmit={(event) => event.preventDefault()}>
        <Field label={t.payments.status}>
          <Choice value={status} values={STATUSES} label={(value) => t.status[value]} onChange={narrow(setStatus)} anyLabel={t.common.all} />
        </Field>
        <Field label={t.payments.shop}>
          <input inputMode="numeric" value={shop} onChange={(event) => narrow(setShop)(event.target.value)} size={6} />
        </Field>
        <Field label={t.payments.method}>
          <Choice value={method} values={METHODS} label={(value) => t.methods[value]} onChange={narrow(setMethod)} anyLabel={t.common.all} />
        </Field>
        <Field label={t.payments.from}>
          <input type="date" value={from} onChange={(event) => narrow(setFrom)(event.target.value)} />
        </Field>
        <Field label={t.payments.to}>
          <input type="date" value={to} onChange={(event) => narrow(setTo)(event.target.value)} />
        </Field>
        <Field label={t.payments.search} className="grow">
          <input type="search" value={search} placeholder={t.payments.searchPlaceholder} onChange={(event) => narrow(setSearch)(event.target.value)} />
        </Field>
      </form>
      <LoadState fetching={result.fetching && !page} error={result.error}>
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>{t.payments.status}</th>
                <th className="num">{t.payments.amount}</th>
                <th>{t.payments.shop}</th>
                <th>{t.payments.method}</th>
                <th>{t.payments.created}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((payment) => (
                <tr key={payment.id} data-payment-id={payment.id}>
                  <td>
                    <Link to={`/payments/${payment.id}`}>
                      <StatusBadge status={payment.status} />
                    </Link>
                  </td>
                  <td className="num">
                    <Link to={`/payments/${payment.id}`}>
                      <Money amount={payment.amount} />
                    </Link>
                  </td>
                  <td>{payment.shopId}</td>
                  <td>{t.methods[payment.method] ?? payment.method}</td>
                  <td>
                    <DateTime iso={payment.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {page && page.totalCount === 0 && <p className="muted">{t.payments.empty}</p>}
        {page && page.totalCount > 0 && (
          <div className="pager">
            <button type="button" data-pager disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}>
              {t.common.previous}
            </button>
            <span>{t.common.pageOf(offset + 1, Math.min(offset + PAGE_SIZE, page.totalCount), page.totalCount)}</span>
            <button type="button" data-pager disabled={offset + PAGE_SIZE >= page.totalCount} onClick={() => setOffset(offset + PAGE_SIZE)}>
              {t.common.next}
            </button>
          </div>
        )}
      </LoadState>
    </section>
  );
}

import { useQuery } from 'urql';
import { DateTime, LoadState, Money, StatusBadge } from '../../components/common';
import { useLanguage } from '../../i18n';
import { useRefetchOnChange } from '../../lib/live';
import { Link } from '../../lib/router';
import { NeedsAttention } from './queries';

/** The queue of what the gateway could not settle by itself. */
export function NeedsAttentionPage() {
  const { t } = useLanguage();
  const [result, refetch] = useQuery({ query: NeedsAttention, requestPolicy: 'cache-and-network' });
  useRefetchOnChange(refetch);
  const found = result.data?.needsAttention;

  return (
    <section>
      <h1>{t.needsAttention.title}</h1>
      <LoadState fetching={result.fetching && !found} error={result.error}>
        {found && found.count === 0 && <p className="muted">{t.needsAttention.nothing}</p>}
        {found && found.unknownPayments.length > 0 && (
          <>
            <h2>{t.needsAttention.unknownPayments}</h2>
            <ul className="queue">
              {found.unknownPayments.map((payment) => (
                <li key={payment.id}>
                  <StatusBadge status={payment.status} />
                  <Money amount={payment.amount} />
                  <span>
                    {t.payments.shop} {payment.shopId}
                  </span>
                  <span>{payment.phoneMasked}</span>
                  <DateTime iso={payment.createdAt} />
                  <Link to={`/payments/${payment.id}`}>{t.needsAttention.open}</Link>
                </li>
              ))}
            </ul>
          </>
        )}
        {found && found.unknownRefunds.length > 0 && (
          <>
            <h2>{t.needsAttention.unknownRefunds}</h2>
            <ul className="queue">
              {found.unknownRefunds.flatMap((payment) =>
                payment.refunds
                  .filter((refund) => refund.status === 'UNKNOWN')
                  .map((refund) => (
                    <li key={refund.id}>
                      <StatusBadge status={refund.status} />
                      <Money amount={refund.amount} />
                      <span>
                        {t.payments.shop} {payment.shopId}
                      </span>
                      <code>{payment.externalId}</code>
                      <DateTime iso={payment.createdAt} />
                      <Link to={`/payments/${payment.id}`}>{t.needsAttention.open}</Link>
                    </li>
                  )),
              )}
            </ul>
          </>
        )}
        {found && found.disabledWebhookEndpoints.length > 0 && (
          <>
            <h2>{t.needsAttention.disabledEndpoints}</h2>
            <ul className="queue">
              {found.disabledWebhookEndpoints.map((endpoint) => (
                <li key={endpoint.id}>
                  <code>{endpoint.url}</code>
                  <span className="error-text">{endpoint.disabledReason}</span>
                  <DateTime iso={endpoint.updatedAt} />
                  <Link to="/webhooks">{t.needsAttention.open}</Link>
                </li>
              ))}
            </ul>
          </>
        )}
      </LoadState>
    </section>
  );
}

import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { Choice, Field, LoadState, MutationErrors } from '../../components/common';
import { useLanguage } from '../../i18n';
import { useRouter } from '../../lib/router';
import { ActiveShops, CreatePayment } from './queries';

const METHODS_BY_PROVIDER: Record<string, readonly Method[]> = {
  kaspi: ['KASPI_REMOTE', 'KASPI_QR', 'KASPI_LINK'],
  cloudpayments: ['CLOUDPAYMENTS_LINK'],
};
type Method = 'KASPI_REMOTE' | 'KASPI_QR' | 'KASPI_LINK' | 'CLOUDPAYMENTS_LINK';

/** The earlier admin page's "test payment", grown up: a real payment from the console. */
export function NewPaymentPage() {
  const { t } = useLanguage();
  const { navigate } = useRouter();
  const [shops] = useQuery({ query: ActiveShops });
  const [shopId, setShopId] = useState('');
  const [amount, setAmount] = useState('');
  const [phone, setPhone] = useState('');
  const [message, setMessage] = useState('');
  const [chosenMethod, setMethod] = useState<Method | ''>('');
  const [email, setEmail] = useState('');
  // One key per form: a double click or a retry after a lost answer sends one invoice.
  const [idempotencyKey] = useState(() => `console-${crypto.randomUUID()}`);
  const [state, create] = useMutation(CreatePayment);
  const configs = shops.data?.configs ?? [];
  const chosenShop = shopId || (configs[0] ? String(configs[0].shopId) : '');
  const provider = configs.find((config) => String(config.shopId) === chosenShop)?.provider ?? 'kaspi';
  const methods = METHODS_BY_PROVIDER[provider] ?? [];
  const method = chosenMethod && methods.includes(chosenMethod) ? chosenMethod : methods[0];

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await create({
      input: {
        shopId: Number(chosenShop),
        amount: Number(amount.replace(',', '.')),
        method,
        phone: phone.trim() || null,
        email: method === 'CLOUDPAYMENTS_LINK' ? email.trim() || null : null,
        message: message || null,
        idempotencyKey,
      },
    });
    const payment = result.data?.createPayment.payment;
    if (payment) navigate(`/payments/${payment.id}`);
  };

  return (
    <section>
      <h1>{t.newPayment.title}</h1>
      <LoadState fetching={shops.fetching && !shops.data} error={shops.error}>
        {configs.length === 0 ? (
          <p className="muted">{t.newPayment.noShops}</p>
        ) : (
          <form className="card form" onSubmit={submit}>
            <Field label={t.newPayment.shop}>
              <select value={chosenShop} onChange={(event) => setShopId(event.target.value)}>
                {configs.map((config) => (
                  <option key={config.id} value={config.shopId}>
                    {config.shopId}
                    {config.description ? ` · ${config.description}` : ''}
                  </option>
                ))}
              </select>
            </Field>
            <Field label={t.newPayment.amount}>
              <input inputMode="decimal" value={amount} onChange={(event) => setAmount(event.target.value)} required placeholder="1500" />
            </Field>
            <Field label={t.newPayment.method}>
              <Choice value={method} values={methods} label={(value) => t.methods[value]} onChange={(value) => value && setMethod(value)} />
            </Field>
            <Field label={t.newPayment.phone}>
              <input
                type="tel"
                value={phone}
                onChange={(event) => setPhone(event.target.value)}
                required={method === 'KASPI_REMOTE'}
                placeholder="+7 701 234 56 78"
                autoComplete="off"
              />
            </Field>
            {method === 'CLOUDPAYMENTS_LINK' && (
              <Field label={t.newPayment.email}>
                <input type="email" value={email} onChange={(event) => setEmail(event.target.value)} autoComplete="off" />
              </Field>
            )}
            <Field label={t.newPayment.message}>
              <input value={message} onChange={(event) => setMessage(event.target.value)} maxLength={255} />
            </Field>
            <MutationErrors errors={state.data?.createPayment.errors} error={state.error} />
            <div className="actions">
              <button type="submit" className="primary" disabled={state.fetching}>
                {t.newPayment.submit}
              </button>
            </div>
          </form>
        )}
      </LoadState>
    </section>
  );
}

import { cloneElement, useId, type ReactElement } from 'react';
import type { ReactNode } from 'react';
import type { CombinedError } from 'urql';
import { useLanguage } from '../i18n';
import { errorText } from '../lib/client';
import { formatDate, formatMoney } from '../lib/format';

export function StatusBadge({ status }: { status: string }) {
  const { t } = useLanguage();
  return <span className={`status status-${status.toLowerCase()}`}>{t.status[status] ?? status}</span>;
}

export function Money({ amount }: { amount: number | null | undefined }) {
  const { language } = useLanguage();
  return <span className="money">{formatMoney(amount, language)}</span>;
}

export function DateTime({ iso }: { iso: string | null | undefined }) {
  const { language } = useLanguage();
  return <time dateTime={iso ?? undefined}>{formatDate(iso, language)}</time>;
}

export function LoadState({ fetching, error, children }: { fetching: boolean; error?: CombinedError; children?: ReactNode }) {
  const { t } = useLanguage();
  if (error) return <p className="error" role="alert">{t.common.failed + errorText(error, t.errors.network)}</p>;
  if (fetching) return <p className="muted">{t.common.loading}</p>;
  return <>{children}</>;
}

/** Business errors a mutation returned as data, or the error it failed with. */
export function MutationErrors({ errors, error }: { errors?: ReadonlyArray<{ message: string; code: string }>; error?: CombinedError }) {
  const { t } = useLanguage();
  const messages = [...(errors ?? []).map((e) => e.message), ...(error ? [errorText(error, t.errors.network)] : [])];
  if (messages.length === 0) return null;
  return (
    <div className="error" role="alert">
      {messages.map((message, index) => (
        <p key={index}>{message}</p>
      ))}
    </div>
  );
}

/** A labelled control; the label names the control alone (not a select's options, nor the hint). */
export function Field({ label, children, hint, className }: { label: string; children: ReactElement<{ id?: string }>; hint?: string; className?: string }) {
  const id = useId();
  return (
    <div className={className ? `field ${className}` : 'field'}>
      <label htmlFor={id}>{label}</label>
      {cloneElement(children, { id })}
      {hint && <small className="hint">{hint}</small>}
    </div>
  );
}

/**
 * A choice among fixed values, each shown by its label. With `anyLabel`, an empty choice comes first
 * and stands for "any" (a filter that is not set).
 */
export function Choice<V extends string>({
  id,
  value,
  values,
  label,
  onChange,
  anyLabel,
}: {
  id?: string;
  value: V | '';
  values: readonly V[];
  label: (value: V) => string;
  onChange: (value: V | '') => void;
  anyLabel?: string;
}) {
  return (
    <select id={id} value={value} onChange={(event) => onChange(event.target.value as V | '')}>
      {anyLabel !== undefined && <option value="">{anyLabel}</option>}
      {values.map((choice) => (
        <option key={choice} value={choice}>
          {label(choice)}
        </option>
      ))}
    </select>
  );
}

/** A list page's title, and its one "add" button where the caller may act (no `onAdd`: no button). */
export function PageHeading({ title, addLabel, onAdd }: { title: string; addLabel: string; onAdd?: () => void }) {
  return (
    <div className="heading">
      <h1>{title}</h1>
      {onAdd && (
        <button type="button" className="primary" onClick={onAdd}>
          {addLabel}
        </button>
      )}
    </div>
  );
}

/** A secret just made, shown this once: the gateway never returns it again. */
export function SecretOnce({ text, secret, onDone }: { text: string; secret: string; onDone: () => void }) {
  const { t } = useLanguage();
  return (
    <div className="card secret" role="status" data-testid="secret">
      <p>{text}</p>
      <code>{secret}</code>
      <div className="actions">
        <button type="button" onClick={onDone}>
          {t.webhooks.secretDone}
        </button>
      </div>
    </div>
  );
}

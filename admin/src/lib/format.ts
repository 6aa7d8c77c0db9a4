import type { Language } from '../i18n';

const LOCALES: Record<Language, string> = { en: 'en-US', ru: 'ru-RU' };

const moneyFormats = new Map<Language, Intl.NumberFormat>();
const dateFormats = new Map<Language, Intl.DateTimeFormat>();

/** Tenge as people read them: `1 234,50 ₸` in Russian, `₸1,234.50` in English. */
export function formatMoney(amount: number | null | undefined, language: Language): string {
  if (amount == null) return '—';
  let format = moneyFormats.get(language);
  if (!format) {
    format = new Intl.NumberFormat(LOCALES[language], {
      style: 'currency',
      currency: 'KZT',
      currencyDisplay: 'narrowSymbol',
      minimumFractionDigits: 2,
      maximumFractionDigits: 2,
    });
    moneyFormats.set(language, format);
  }
  return format.format(amount);
}

/** A moment in the browser's own time zone. */
export function formatDate(iso: string | null | undefined, language: Language): string {
  if (!iso) return '—';
  let format = dateFormats.get(language);
  if (!format) {
    format = new Intl.DateTimeFormat(LOCALES[language], { dateStyle: 'medium', timeStyle: 'medium' });
    dateFormats.set(language, format);
  }
  return format.format(new Date(iso));
}

/** The start of a calendar day (YYYY-MM-DD from a date input) in the browser's time zone, as an ISO moment. */
export function startOfLocalDay(day: string, plusDays = 0): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return null;
  return new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + plusDays).toISOString();
}

/**
 * Normalises a Kazakh mobile number to Kaspi's 7XXXXXXXXXX. Accepts 7XXXXXXXXXX, +7 XXX XXX XX XX
 * (with spaces, dashes or brackets) and the domestic 8XXXXXXXXXX; anything else is refused (null).
 */
export function normalisePhone(input: string): string | null {
  if (input.length > 32 || !/^[\d\s()+-]+$/.test(input)) return null;
  const hasPlus = input.trim().startsWith('+');
  const digits = input.replace(/\D/g, '');
  if (digits.length !== 11) return null;
  if (digits.startsWith('7')) return digits;
  if (digits.startsWith('8') && !hasPlus) return `7${digits.slice(1)}`;
  return null;
}

/** Only the first and last digits survive, e.g. 7*********5 — for logs and read models. */
export function maskPhone(phone: string): string {
  if (phone.length < 3) return '*'.repeat(phone.length);
  return `${phone[0]}${'*'.repeat(phone.length - 2)}${phone[phone.length - 1]}`;
}

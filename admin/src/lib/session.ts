/** The operator's API key lives in this tab's sessionStorage only: never in a URL, a cookie or localStorage. */
const KEY_ITEM = 'gateway-console.api-key';

export type Role = 'admin' | 'service' | 'viewer';

export interface Session {
  key: string;
  label: string;
  role: Role;
}

export function loadSession(): Session | null {
  try {
    const stored = sessionStorage.getItem(KEY_ITEM);
    if (!stored) return null;
    const parsed = JSON.parse(stored) as Session;
    return typeof parsed.key === 'string' ? parsed : null;
  } catch {
    return null;
  }
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(KEY_ITEM, JSON.stringify(session));
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY_ITEM);
}

/** Admins act; viewers (and services, which have no business in a console) only read. */
export function canAct(session: Session): boolean {
  return session.role === 'admin';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Kaspi's device token is the UUID that device/register returned for one trade point. */
export function isValidDeviceToken(token: string): boolean {
  return UUID.test(token);
}

/** The admin schema shows only the first 8 characters: "66cbf4e5…". */
export function maskDeviceToken(token: string | null | undefined): string | null {
  if (!token) return null;
  return `${token.slice(0, 8)}…`;
}

/** True when admin/dist is missing or older than a source of the console. */
export function consoleBuildIsStale(): boolean;
/** Builds the console into admin/dist; with `ifStale`, only when it is missing or stale. Resolves to whether it built. */
export function buildConsole(options?: { ifStale?: boolean }): Promise<boolean>;

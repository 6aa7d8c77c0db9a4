import { createClient, type Client as WsClient } from 'graphql-ws';
import { stringifyDocument } from '@urql/core';
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { graphql, type ResultOf } from '../graphql';

const StatusChanged = graphql(`
  subscription ConsoleStatusChanged($since: DateTime) {
    paymentStatusChanged(since: $since) {
      id
      status
      previousStatus
      changedAt
      payment {
        id
        status
        providerStatus
        refundedAmount
        refundableAmount
        updatedAt
      }
    }
  }
`);

export type StatusChange = ResultOf<typeof StatusChanged>['paymentStatusChanged'];

interface LiveState {
  connected: boolean;
  /** Grows with every change seen: pages read again when it moves. */
  version: number;
  last: StatusChange | null;
  /** For a page's own change (a mutation it made): read again now, as for a change from elsewhere. */
  bump(): void;
}

const LiveContext = createContext<LiveState>({ connected: false, version: 0, last: null, bump: () => undefined });

const MAX_BACKOFF_MS = 10_000;
/** A replay overlaps the last change seen by this much; ids already seen are dropped. */
const REPLAY_OVERLAP_MS = 1_000;

/**
 * One `paymentStatusChanged` subscription for the whole console over graphql-ws, with the key in
 * connectionParams. When the socket drops it reconnects (backing off) and asks with `since` for
 * every change committed meanwhile, so nothing is missed; there is no polling.
 */
export function LiveProvider({ apiKey, children }: { apiKey: string; children: ReactNode }) {
  const [state, setState] = useState<Omit<LiveState, 'bump'>>({ connected: false, version: 0, last: null });
  const seen = useRef(new Set<string>());

  useEffect(() => {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
    let stopped = false;
    let since: string | null = null;
    let failures = 0;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let client: WsClient | null = null;
    let unsubscribe: (() => void) | null = null;

    const connect = () => {
      client = createClient({
        url,
        lazy: true,
        retryAttempts: 0,
        connectionParams: { authorization: `Bearer ${apiKey}` },
        on: {
          connected: () => {
            failures = 0;
            // Changes committed from now on come live; a later replay starts here if none came.
            since ??= new Date(Date.now() - REPLAY_OVERLAP_MS).toISOString();
            setState((s) => ({ ...s, connected: true }));
          },
        },
      });
      const lost = () => {
        setState((s) => ({ ...s, connected: false }));
        unsubscribe = null;
        void client?.dispose();
        if (stopped) return;
        const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** failures++);
        retry = setTimeout(connect, delay);
      };
      unsubscribe = client.subscribe<ResultOf<typeof StatusChanged>>(
        { query: stringifyDocument(StatusChanged), variables: { since } },
        {
          next(result) {
            const change = result.data?.paymentStatusChanged;
            if (!change || seen.current.has(change.id)) return;
            seen.current.add(change.id);
            const overlapStart = new Date(new Date(change.changedAt).getTime() - REPLAY_OVERLAP_MS).toISOString();
            if (!since || overlapStart > since) since = overlapStart;
            setState((s) => ({ connected: s.connected, version: s.version + 1, last: change }));
          },
          error: lost,
          complete: lost,
        },
      );
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(retry);
      unsubscribe?.();
      void client?.dispose();
    };
  }, [apiKey]);

  const bump = () => setState((s) => ({ ...s, version: s.version + 1 }));
  return <LiveContext.Provider value={{ ...state, bump }}>{children}</LiveContext.Provider>;
}

export function useLive(): LiveState {
  return useContext(LiveContext);
}

/** Reads a page's data again whenever a change is committed anywhere (or the page bumps it itself). */
export function useRefetchOnChange(refetch: (opts: { requestPolicy: 'network-only' }) => void): void {
  const { version } = useLive();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    refetch({ requestPolicy: 'network-only' });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [version]);
}

import type { MikroORM } from '@mikro-orm/postgresql';
import express from 'express';
import type { AppConfig } from '../config';
import type { GatewayMetrics } from '../metrics/metrics';
import type { ProviderRegistry } from '../providers/registry';
import { bearerMatches } from '../security/bearer-token';

export interface ProbeSources {
  config: AppConfig;
  orm: MikroORM;
  registry: ProviderRegistry;
  metrics: GatewayMetrics;
  /** Whether the drain has begun: readiness then fails, so that no new work is routed here. */
  isClosing: () => boolean;
}

/** `/healthz` (the process answers), `/readyz` (it can take work) and `/metrics` (behind its own token). */
export function probesRouter({ config, orm, registry, metrics, isClosing }: ProbeSources): express.Router {
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    if (isClosing()) {
      res.status(503).json({ status: 'shutting down' });
      return;
    }
    try {
      await withTimeout(orm.em.fork().getConnection().execute('select 1'), config.readinessTimeoutMs);
      const providers = registry.ids();
      if (providers.length === 0) throw new Error('no provider configured');
      res.json({ status: 'ready', providers });
    } catch {
      res.status(503).json({ status: 'not ready' });
    }
  });
  router.get('/metrics', async (req, res) => {
    const token = config.metrics.token;
    if (!token) {
      res.status(404).type('text/plain').send('Not Found');
      return;
    }
    if (!bearerMatches(req.headers.authorization, token)) {
      res.status(401).setHeader('WWW-Authenticate', 'Bearer realm="metrics"').type('text/plain').send('Unauthorized');
      return;
    }
    const { contentType, body } = await metrics.render();
    res.type(contentType).send(body);
  });
  return router;
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

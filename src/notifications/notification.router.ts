import express, { type Router } from 'express';
import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../logger';
import type { NotificationService } from '../services/notification.service';

/** A notification is a few hundred bytes of form fields; nothing bigger is read. */
const BODY_LIMIT = '32kb';

/**
 * `POST {mount}/{provider}/{type}`: notifications from providers, read as raw bytes because their
 * signatures are computed over the body exactly as sent. No API key: the signature is the proof.
 */
export function createNotificationRouter(orm: MikroORM, notifications: NotificationService, logger: Logger): Router {
  const router = express.Router();
  router.post('/:provider/:type', express.raw({ type: () => true, limit: BODY_LIMIT }), async (req, res) => {
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value.join(',') : value;
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const requestId = randomUUID();
    try {
      const answer = await notifications.receive(
        orm.em.fork(),
        req.params.provider.toLowerCase(),
        { type: req.params.type.toLowerCase(), headers, rawBody },
        requestId,
      );
      res.status(answer.httpStatus).json(answer.body);
    } catch (error) {
      // No answer the provider takes as "done": it sends the notification again later.
      logger.error({ err: error, provider: req.params.provider, type: req.params.type, requestId }, 'notification could not be processed');
      res.status(500).json({ error: 'the notification could not be processed' });
    }
  });
  return router;
}

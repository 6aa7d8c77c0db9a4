import express from 'express';
import fs from 'node:fs';
import path from 'node:path';

export const ADMIN_PATH = '/admin';

/**
 * Everything the console loads comes from the gateway itself: no inline script or style, no other
 * origin, so that a script injected into the page has nowhere to send the operator's key.
 * `connect-src 'self'` covers `/graphql` over HTTP and over WebSocket.
 */
export const ADMIN_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Where `npm run build` (and `npm start`, when the build is missing or stale) puts the console. */
export function defaultConsoleDir(from = __dirname): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, 'admin', 'dist');
}

/**
 * Serves the built console: hashed assets for a year, the page itself never from a cache, and the
 * page for every path under /admin that is not a file, since the console routes in the browser.
 */
export function adminConsoleRouter(consoleDir = defaultConsoleDir()): express.Router {
  const router = express.Router();
  router.use((_req, res, next) => {
    res.setHeader('Content-Security-Policy', ADMIN_CONTENT_SECURITY_POLICY);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    next();
  });
  router.use(
    '/assets',
    express.static(path.join(consoleDir, 'assets'), { immutable: true, maxAge: '365d', index: false }),
    (_req: express.Request, res: express.Response) => {
      res.status(404).type('text/plain').send('Not Found');
    },
  );
  router.use(express.static(consoleDir, { index: false, redirect: false, maxAge: 0 }));
  router.get(/.*/, (_req, res) => {
    const page = path.join(consoleDir, 'index.html');
    if (!fs.existsSync(page)) {
      res.status(503).type('text/plain').send('The admin console is not built: run `npm run build:console` (npm start builds it when missing).\n');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(page);
  });
  return router;
}

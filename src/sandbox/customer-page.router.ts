import express, { type Request, type Response, type Router } from 'express';
import { tiynToTengeString } from '../domain/money';
import type { KaspiSandboxStore } from './kaspi-sandbox.store';
import type { CustomerAction } from './kaspi-sandbox.types';

const ACTIONS: ReadonlyArray<{ action: CustomerAction; label: string }> = [
  { action: 'scan', label: 'Scan / open in Kaspi' },
  { action: 'confirm', label: 'Confirm the payment' },
  { action: 'scanerror', label: 'Fail while opening' },
  { action: 'confirmerror', label: 'Fail while confirming' },
];

/**
 * Where a sandbox QR code and payment link lead (Kaspi's are `https://pay.kaspi.kz/pay/…`): a
 * page on which a tester plays the customer. Under whatever path the sandbox is mounted at.
 */
export function customerPageUrl(req: Request, qrPaymentId: string): string {
  const root = req.baseUrl.replace(/\/(r3|proxy)$/, '');
  return `${req.protocol}://${req.get('host') ?? 'localhost'}${root}/pay/${encodeURIComponent(qrPaymentId)}`;
}

/**
 * `GET /pay/:id` shows the payment with one button per thing the customer can do; `POST
 * /pay/:id/:action` does it, exactly as Kaspi's test calls (`test/payment/scan`, …) do, and answers
 * JSON to a client that asks for it, else goes back to the page.
 */
export function createCustomerPageRouter(store: KaspiSandboxStore): Router {
  const router = express.Router();

  router.get('/:qrPaymentId', (req: Request, res: Response) => {
    const payment = store.find(String(req.params.qrPaymentId));
    if (!payment) {
      res.status(404).type('text/plain').send('No such payment');
      return;
    }
    const view = store.view(payment, Date.now());
    const buttons = ACTIONS.map(
      ({ action, label }) =>
        `<form method="post" action="${escapeHtml(view.qrPaymentId)}/${action}"><button type="submit">${escapeHtml(label)}</button></form>`,
    ).join('\n');
    res
      .status(200)
      .type('text/html')
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Kaspi sandbox: pay ${escapeHtml(view.qrPaymentId)}</title>` +
          `<meta name="viewport" content="width=device-width, initial-scale=1"></head><body>` +
          `<h1>Kaspi sandbox</h1><p>You are the customer. Payment <b>${escapeHtml(view.qrPaymentId)}</b> of ` +
          `<b>${escapeHtml(tiynToTengeString(payment.amount))} ₸</b> (${escapeHtml(view.kind)}).</p>` +
          `<p>Status: <b id="status">${escapeHtml(view.status)}</b>` +
          `${view.expiresAt ? `; open it before ${escapeHtml(view.expiresAt)}` : ''}</p>\n${buttons}</body></html>`,
      );
  });

  router.post('/:qrPaymentId/:action', (req: Request, res: Response) => {
    const action = ACTIONS.find((candidate) => candidate.action === req.params.action)?.action;
    const qrPaymentId = String(req.params.qrPaymentId);
    if (!action) {
      res.status(404).type('text/plain').send('No such action');
      return;
    }
    const changed = store.customerAction(qrPaymentId, action, Date.now());
    const wantsJson = req.accepts(['html', 'json']) === 'json';
    if (!changed.ok) {
      const status = store.find(qrPaymentId) ? 409 : 404;
      if (wantsJson) res.status(status).json({ error: changed.outcome.message });
      else res.status(status).type('text/plain').send(changed.outcome.message);
      return;
    }
    if (wantsJson) res.status(200).json({ qrPaymentId, status: changed.value.status });
    else res.redirect(303, `../${encodeURIComponent(qrPaymentId)}`);
  });

  return router;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

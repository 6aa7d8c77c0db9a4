import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxControlClient } from '../../src/sandbox/sandbox-control.client';
import { CREATE_KASPI_PAYMENT, CREATE_PAYMENT, PAYMENT } from '../support/documents';
import { ADMIN_KEY, startTestGateway, VIEWER_KEY, type TestGateway } from '../support/gateway';
import { chromiumFound, launchBrowser } from './browser';

const SHOP = 31;
const BIN = '891027350515';
const DEVICE_TOKEN = '5b0c41e7-2f0a-4d63-9f4e-0a8e3f1c2d77';
/** Set UPDATE_SCREENSHOTS=1 to write the README's pictures into docs/. */
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? path.resolve(__dirname, '../../docs') : null;
const UI_TIMEOUT = 15_000;

describe.skipIf(!chromiumFound)('the admin console in a real browser', () => {
  let gw: TestGateway;
  let sandbox: SandboxControlClient;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let context: BrowserContext;
  let page: Page;
  let paymentId: string;
  let viewerKey: string | undefined;
  const foreignRequests: string[] = [];
  /** A merchant's webhook receiver on loopback: answers 204 and counts what it got. */
  const received: string[] = [];
  let receiver: http.Server;
  let receiverUrl: string;
  const cspViolations: string[] = [];

  beforeAll(async () => {
    const { buildConsole } = await import('../../admin/build-console.mjs');
    await buildConsole({ ifStale: true });
    receiver = http.createServer((req, res) => {
      received.push(req.headers['webhook-id'] as string);
      req.resume().on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    gw = await startTestGateway();
    sandbox = new SandboxControlClient(`${gw.url}/sandbox/kaspi`);
    browser = await launchBrowser();
    context = browser.context;
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(UI_TIMEOUT);
    context.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(gw.url) && !url.startsWith('ws://127.0.0.1') && !url.startsWith('data:')) foreignRequests.push(url);
    });
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
    receiver?.close();
  });

  const shoot = async (name: string, target: Page = page) => {
    if (SCREENSHOTS) await target.screenshot({ path: path.join(SCREENSHOTS, `console-${name}.png`), fullPage: true });
  };

  async function signIn(target: Page, key: string) {
    await target.goto(`${gw.url}/admin`);
    await target.getByLabel('API key', { exact: true }).fill(key);
    await target.getByRole('button', { name: 'Sign in' }).click();
    await target.getByRole('navigation').getByRole('link', { name: 'Payments' }).waitFor();
  }

  it('is served with a strict Content Security Policy and loads nothing from another origin', async () => {
    const response = await fetch(`${gw.url}/admin/payments/anything`);
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    const html = await response.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/(src|href)="https?:/);
  });

  it('signs in with an admin key kept in sessionStorage, never in the URL, and adds a shop', async () => {
    await page.goto(`${gw.url}/admin`);
    await shoot('sign-in');
    await page.getByLabel('API key', { exact: true }).fill('not-a-key-0123456789abcdef');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('This key was not accepted.').waitFor();
    await signIn(page, ADMIN_KEY);
    expect(page.url()).not.toContain(ADMIN_KEY);
    expect(await page.evaluate<string>('JSON.stringify(sessionStorage)')).toContain(ADMIN_KEY);
    expect(await page.evaluate<string>('JSON.stringify(localStorage) + document.cookie')).not.toContain(ADMIN_KEY);

    await page.getByRole('navigation').getByRole('link', { name: 'Shops' }).click();
    await page.getByRole('button', { name: 'Add shop' }).click();
    await page.getByLabel('Shop ID', { exact: true }).fill(String(SHOP));
    await page.getByLabel('BIN', { exact: true }).fill(BIN);
    await page.getByLabel('Device token', { exact: true }).fill(DEVICE_TOKEN);
    await page.getByLabel('Description', { exact: true }).fill('Main shop');
    await page.getByRole('button', { name: 'Save' }).click();

    const row = page.locator(`tr[data-shop-id="${SHOP}"]`);
    await expect.poll(() => row.innerText(), { timeout: UI_TIMEOUT }).toContain(BIN);
    expect(await row.innerText()).toContain(`${DEVICE_TOKEN.slice(0, 8)}…`);
    expect(await page.content()).not.toContain(DEVICE_TOKEN);
    await shoot('shops');
  });

  it('adds a webhook endpoint and shows its signing secret once', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByLabel('URL', { exact: true }).fill(receiverUrl);
    await page.getByRole('button', { name: 'Save' }).click();
    const secret = page.getByTestId('secret');
    await expect.poll(() => secret.innerText(), { timeout: UI_TIMEOUT }).toMatch(/whsec_\S+/);
    await page.getByRole('button', { name: 'I have copied it' }).click();
    expect(await page.content()).not.toContain('whsec_');
  });

  it('creates a payment from the console and shows it turn PROCESSED live while the customer pays', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'New payment' }).click();
    await page.getByLabel('Amount', { exact: true }).fill('1234.50');
    await page.getByLabel('Phone', { exact: true }).fill('+7 701 521 15 45');
    await page.getByLabel('Message', { exact: true }).fill('Order 5521');
    await page.getByRole('button', { name: 'Create' }).click();

    await page.waitForURL(/\/admin\/payments\/[0-9a-f-]{36}$/);
    paymentId = page.url().split('/').pop()!;
    const summary = page.getByTestId('summary');
    await expect.poll(() => summary.innerText(), { timeout: UI_TIMEOUT }).toContain('Waiting');
    expect(await summary.innerText()).toContain('₸1,234.50');
    expect(await page.content()).not.toContain('7015211545');

    // The page stays as it is (no reload) while the status changes under it.
    await page.evaluate('window.stillHere = true');
    const { data } = await gw.gql(PAYMENT, { id: paymentId });
    await sandbox.confirm(data.payment.externalId);
    await expect.poll(() => summary.innerText(), { timeout: UI_TIMEOUT }).toContain('Processed');
    expect(await page.evaluate<boolean>('window.stillHere === true')).toBe(true);
  });

  it('refunds part of the payment with a reason and shows the timeline', async () => {
    await page.getByRole('button', { name: 'Refund' }).click();
    const form = page.getByRole('form', { name: 'Refund' });
    await form.getByLabel('Amount', { exact: true }).fill('234.50');
    await form.getByLabel('Reason', { exact: true }).fill('Goods returned');
    await form.getByRole('button', { name: 'Refund' }).click();

    const summary = page.getByTestId('summary');
    await expect.poll(() => summary.innerText(), { timeout: UI_TIMEOUT }).toMatch(/Refundable\s+₸1,000\.00/i);
    expect(await summary.innerText()).toMatch(/Refunded\s+₸234\.50/i);
    const timeline = page.getByTestId('timeline');
    await expect.poll(() => timeline.innerText(), { timeout: UI_TIMEOUT }).toContain('Goods returned');
    const text = await timeline.innerText();
    for (const event of ['Create', 'Status check', 'Refund']) expect(text).toContain(event);
    // The webhook endpoint added above was told of each change; its deliveries are in the timeline too.
    await expect.poll(() => timeline.innerText(), { timeout: UI_TIMEOUT }).toMatch(/Webhook\s+Payment status changed\s+Succeeded\s+HTTP 204/);
    expect(text.indexOf('Create')).toBeLessThan(text.indexOf('Refund'));
    await shoot('payment');

    await page.getByRole('navigation').getByRole('link', { name: 'Payments' }).click();
    await page.locator(`tr[data-payment-id="${paymentId}"]`).waitFor();
    await shoot('payments');
  });

  it('lists the webhook deliveries with their HTTP status and redelivers one', async () => {
    await expect.poll(() => received.length, { timeout: UI_TIMEOUT }).toBeGreaterThan(0);
    await page.getByRole('navigation').getByRole('link', { name: 'Webhooks' }).click();
    const firstDelivery = page.locator('main table').nth(1).locator('tbody tr').first();
    await expect.poll(() => firstDelivery.innerText(), { timeout: UI_TIMEOUT }).toMatch(/Succeeded[\s\S]*204/);
    await shoot('webhooks');
    const before = received.length;
    await firstDelivery.getByRole('button', { name: 'Redeliver' }).click();
    await expect.poll(() => received.length, { timeout: UI_TIMEOUT }).toBeGreaterThan(before);
    await page.getByRole('navigation').getByRole('link', { name: 'Payments' }).click();
  });

  it('switches to Russian, with amounts as 1 234,50 ₸', async () => {
    await page.getByLabel('Language', { exact: true }).selectOption('ru');
    const nav = page.getByRole('navigation');
    await nav.getByRole('link', { name: 'Платежи' }).waitFor();
    const row = page.locator(`tr[data-payment-id="${paymentId}"]`);
    expect((await row.innerText()).replace(/\s/g, ' ')).toContain('1 234,50 ₸');
    expect(await row.innerText()).toContain('Оплачен');
    await page.getByLabel('Язык', { exact: true }).selectOption('en');
    await nav.getByRole('link', { name: 'Payments' }).waitFor();
  });

  it('filters the payments by method beside status and shop', async () => {
    const created = await gw.gql(CREATE_PAYMENT, {
      input: { shopId: SHOP, amount: 75, method: 'KASPI_QR' },
    });
    expect(created.data.createPayment.errors).toEqual([]);
    const qrRow = page.locator(`tr[data-payment-id="${created.data.createPayment.payment.id}"]`);
    const invoiceRow = page.locator(`tr[data-payment-id="${paymentId}"]`);
    await qrRow.waitFor();
    await invoiceRow.waitFor();

    const method = page.getByLabel('Method', { exact: true });
    await method.selectOption({ label: 'Kaspi QR' });
    await invoiceRow.waitFor({ state: 'detached' });
    expect(await qrRow.innerText()).toContain('Kaspi QR');
    expect(await page.locator('tr[data-payment-id]').count()).toBe(1);

    await method.selectOption({ label: 'Kaspi invoice to a phone' });
    await qrRow.waitFor({ state: 'detached' });
    await invoiceRow.waitFor();
    await page.getByLabel('Shop', { exact: true }).fill(String(SHOP + 1));
    await invoiceRow.waitFor({ state: 'detached' });
    await page.getByLabel('Shop', { exact: true }).fill('');
    await method.selectOption({ label: 'All' });
    await qrRow.waitFor();
    await invoiceRow.waitFor();
  });

  it('shows an UNKNOWN payment in the needs-attention count and resolves it', async () => {
    await sandbox.injectFault({ operation: 'create', fault: 'drop' });
    const created = await gw.gql(CREATE_KASPI_PAYMENT, {
      input: { shopId: SHOP, amount: 500, phone: '77015211545', idempotencyKey: 'console-unknown-1' },
    });
    expect(created.data.createKaspiPayment.payment.status).toBe('UNKNOWN');
    const unknownId = created.data.createKaspiPayment.payment.id;

    const count = page.getByTestId('attention-count');
    await expect.poll(() => count.innerText(), { timeout: UI_TIMEOUT }).toBe('1');
    await page.getByRole('navigation').getByRole('link', { name: /Needs attention/ }).click();
    await page.getByRole('link', { name: 'Open' }).click();
    await page.waitForURL(new RegExp(`/admin/payments/${unknownId}$`));
    await shoot('needs-attention-payment');
    await page.getByRole('button', { name: 'Resolve' }).click();
    const form = page.getByRole('form', { name: 'Resolve' });
    await form.getByLabel('No invoice exists: mark it failed', { exact: true }).check();
    await form.getByLabel('Reason', { exact: true }).fill('No such invoice in the Kaspi cabinet');
    await form.getByRole('button', { name: 'Resolve' }).click();

    await expect.poll(() => page.getByTestId('summary').innerText(), { timeout: UI_TIMEOUT }).toContain('Failed');
    await expect.poll(() => count.innerText(), { timeout: UI_TIMEOUT }).toBe('0');
    await expect.poll(() => page.getByTestId('timeline').innerText(), { timeout: UI_TIMEOUT }).toContain('No such invoice in the Kaspi cabinet');

    await page.getByRole('navigation').getByRole('link', { name: 'Audit log' }).click();
    await page.getByText('No such invoice in the Kaspi cabinet').waitFor();
    await shoot('audit-log');
  });

  it('creates a viewer key from the API keys page, its secret shown once', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByLabel('Label', { exact: true }).fill('console-viewer');
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const secret = page.getByTestId('secret').locator('code');
    await expect.poll(() => secret.innerText(), { timeout: UI_TIMEOUT }).toMatch(/\S{16,}/);
    viewerKey = (await secret.innerText()).trim();
    await page.getByRole('button', { name: 'I have copied it' }).click();
    await page.locator('tr[data-key-label="console-viewer"]').waitFor();
    expect(await page.content()).not.toContain(viewerKey);
  });

  it('shows a viewer key no action button anywhere', async () => {
    const viewer = await context.newPage();
    viewer.setDefaultTimeout(UI_TIMEOUT);
    await signIn(viewer, viewerKey ?? VIEWER_KEY);
    const nav = viewer.getByRole('navigation');
    expect(await nav.getByRole('link', { name: 'New payment' }).count()).toBe(0);
    const actionButtons = () => viewer.locator('main button:not([data-pager])').count();

    await viewer.locator(`tr[data-payment-id="${paymentId}"]`).waitFor();
    expect(await actionButtons()).toBe(0);
    await viewer.goto(`${gw.url}/admin/payments/${paymentId}`);
    await viewer.getByTestId('timeline').waitFor();
    expect(await actionButtons()).toBe(0);
    await nav.getByRole('link', { name: 'Shops' }).click();
    await viewer.locator(`tr[data-shop-id="${SHOP}"]`).waitFor();
    expect(await actionButtons()).toBe(0);
    await nav.getByRole('link', { name: 'Webhooks' }).click();
    await viewer.getByText(receiverUrl).first().waitFor();
    expect(await actionButtons()).toBe(0);
    await viewer.goto(`${gw.url}/admin/new-payment`);
    await viewer.getByRole('heading', { name: 'Payments' }).waitFor();
    expect(await actionButtons()).toBe(0);

    // On a phone the page itself never scrolls sideways: wide tables scroll inside their frame.
    await viewer.setViewportSize({ width: 390, height: 844 });
    await nav.getByRole('link', { name: 'Payments' }).click();
    await viewer.locator(`tr[data-payment-id="${paymentId}"]`).waitFor();
    expect(await viewer.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await shoot('phone', viewer);
    await viewer.close();

    expect(foreignRequests).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
  it('creates a Kaspi QR payment and a Kaspi link payment from the console, with the QR code and the link the gateway made', async () => {
    const create = async (method: string, amount: string) => {
      await page.getByRole('navigation').getByRole('link', { name: 'New payment' }).click();
      await page.getByLabel('Method', { exact: true }).selectOption({ label: method });
      await page.getByLabel('Amount', { exact: true }).fill(amount);
      await page.getByRole('button', { name: 'Create' }).click();
      await page.waitForURL(/\/admin\/payments\/[0-9a-f-]{36}$/);
      const id = page.url().split('/').pop()!;
      const { data } = await gw.gql(PAYMENT, { id });
      return data.payment as { externalId: string; method: string; paymentUrl: string | null; qrToken: string | null };
    };

    const qr = await create('Kaspi QR', '500');
    expect(qr).toMatchObject({ method: 'KASPI_QR', paymentUrl: null });
    const picture = page.getByRole('img', { name: 'QR code' });
    await picture.waitFor();
    expect(await picture.getAttribute('src')).toMatch(/^data:image\/svg\+xml/);
    // The browser drew it: an image that failed to decode has no size.
    await expect.poll(() => picture.evaluate((image) => (image as unknown as { naturalWidth: number }).naturalWidth), { timeout: UI_TIMEOUT }).toBeGreaterThan(0);
    const summary = page.getByTestId('summary');
    await sandbox.scan(qr.externalId);
    await sandbox.confirm(qr.externalId);
    await expect.poll(() => summary.innerText(), { timeout: UI_TIMEOUT }).toContain('Processed');

    const link = await create('Kaspi link', '700');
    expect(link.method).toBe('KASPI_LINK');
    await page.getByRole('link', { name: link.paymentUrl! }).waitFor();
    expect(await page.getByRole('link', { name: link.paymentUrl! }).getAttribute('rel')).toContain('noopener');
    await sandbox.confirm(link.externalId);
    await expect.poll(() => page.getByTestId('summary').innerText(), { timeout: UI_TIMEOUT }).toContain('Processed');
    await shoot('payment-qr');
  });

  it('keeps its live view across a dropped WebSocket: a change committed while it was down shows once it is back', async () => {
    const live = await context.newPage();
    live.setDefaultTimeout(UI_TIMEOUT);
    // The console's WebSocket passes through here, so that the test can cut it and keep it down.
    let down = false;
    const sockets: WebSocketRoute[] = [];
    await live.routeWebSocket(/\/graphql$/, (socket) => {
      if (down) {
        void socket.close({ code: 1012, reason: 'the gateway is restarting' });
        return;
      }
      socket.connectToServer();
      sockets.push(socket);
    });
    await signIn(live, ADMIN_KEY);
    const created = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: SHOP, amount: 88, phone: '77015211545' } });
    const { id, externalId } = created.data.createKaspiPayment.payment;
    await live.goto(`${gw.url}/admin/payments/${id}`);
    const summary = live.getByTestId('summary');
    const status = live.getByRole('status');
    await expect.poll(() => summary.innerText(), { timeout: UI_TIMEOUT }).toContain('Waiting');
    await expect.poll(() => status.innerText(), { timeout: UI_TIMEOUT }).toBe('Live');

    down = true;
    await Promise.all(sockets.map((socket) => socket.close({ code: 1012, reason: 'the gateway is restarting' })));
    await expect.poll(() => status.innerText(), { timeout: UI_TIMEOUT }).toBe('Reconnecting…');
    await sandbox.confirm(externalId);
    await expect
      .poll(async () => (await gw.gql(PAYMENT, { id })).data.payment.status, { timeout: UI_TIMEOUT })
      .toBe('PROCESSED');
    // Committed while the console could not hear it: the page still shows what it last heard.
    expect(await summary.innerText()).toContain('Waiting');

    down = false;
    await expect.poll(() => status.innerText(), { timeout: 30_000 }).toBe('Live');
    await expect.poll(() => summary.innerText(), { timeout: UI_TIMEOUT }).toContain('Processed');
    await live.close();
  });

  it('revokes the viewer key on the API keys page, after which a console open with it asks for a key again', async () => {
    const viewer = await context.newPage();
    viewer.setDefaultTimeout(UI_TIMEOUT);
    await signIn(viewer, viewerKey ?? VIEWER_KEY);

    await page.getByRole('navigation').getByRole('link', { name: 'API keys' }).click();
    const row = page.locator('tr[data-key-label="console-viewer"]');
    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Revoke' }).click();
    await expect.poll(() => row.innerText(), { timeout: UI_TIMEOUT }).toContain('Revoked');
    expect(await row.getByRole('button', { name: 'Revoke' }).count()).toBe(0);

    // The viewer's next request is refused (once the gateway's short key cache has passed) and the console signs it out.
    const signInHeading = viewer.getByRole('heading', { name: 'Sign in to the console' });
    let turn = 0;
    await expect
      .poll(async () => {
        if (await signInHeading.isVisible()) return true;
        turn += 1;
        const link = viewer.getByRole('navigation').getByRole('link', { name: turn % 2 ? 'Shops' : 'Payments' });
        await link.click({ timeout: 1_000 }).catch(() => undefined);
        return false;
      }, { timeout: 30_000, interval: 500 })
      .toBe(true);
    await viewer.getByLabel('API key', { exact: true }).fill(viewerKey ?? VIEWER_KEY);
    await viewer.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => viewer.getByRole('alert').innerText(), { timeout: UI_TIMEOUT }).toBe('This key was not accepted.');
    await viewer.close();
    expect(cspViolations).toEqual([]);
  });
});

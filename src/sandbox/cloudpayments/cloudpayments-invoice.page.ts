import { tiynToTengeString } from '../../domain/money';
import type { Order, Transaction } from './cloudpayments-sandbox.store';
import { TEST_CARDS } from './cloudpayments-sandbox.store';

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}button{padding:.5rem 1rem;margin:.25rem 0}
.card{display:block;margin:.3rem 0}.note{color:#666;font-size:.9rem}</style></head><body>${body}</body></html>`;
}

/** The invoice page a customer opens from `Url`: the order, and a form to pay it with a test card. */
export function invoicePage(order: Order, lastAttempt: Transaction | undefined): string {
  const amount = `${tiynToTengeString(order.amount)} ₸`;
  if (order.status !== 'Created') {
    return page(`Order ${order.number}`, `<h1>Order ${order.number}</h1><p>${amount}: ${order.status === 'Paid' ? 'paid' : 'cancelled'}.</p>`);
  }
  const cards = TEST_CARDS.map(
    (card, index) =>
      `<label class="card"><input type="radio" name="card" value="${card.number}"${index === 0 ? ' checked' : ''}> ${card.number.replace(/(\d{4})(?=\d)/g, '$1 ')} — ${escape(card.label)}</label>`,
  ).join('');
  const declined = lastAttempt?.status === 'Declined' ? `<p role="alert">The last card was declined (${lastAttempt.reasonCode}). Try another card.</p>` : '';
  return page(
    `Order ${order.number}`,
    `<h1>Order ${order.number}</h1><p>${escape(order.description)}</p><p><strong>${amount}</strong></p>${declined}
<form method="post" action="${escape(order.id)}/pay">${cards}<button type="submit">Pay</button></form>
<form method="post" action="${escape(order.id)}/pay"><input type="hidden" name="card" value="4012888888881881"><button type="submit">Decline (insufficient funds)</button></form>
<p class="note">CloudPayments sandbox: no money moves. Test cards only.</p>`,
  );
}

export function resultPage(order: Order, transaction: Transaction): string {
  const text = transaction.status === 'Completed' ? 'Payment completed.' : `Payment declined (${transaction.reasonCode}).`;
  return page(`Order ${order.number}`, `<h1>Order ${order.number}</h1><p>${text}</p><p><a href="../${escape(order.id)}">Back to the invoice</a></p>`);
}

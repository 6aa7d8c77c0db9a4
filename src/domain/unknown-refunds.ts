import type { Tiyn } from './money';

const MAX_UNKNOWN_TO_EXPLAIN = 12;

/**
 * Which unknown refunds, taken together, make up `unexplained`? Answers only when every way of
 * making it up uses the same amounts (so which of two equal refunds went through does not change
 * any total); otherwise null, and a human decides.
 */
export function explainUnknownRefunds(unknown: Array<{ id: string; amount: Tiyn }>, unexplained: Tiyn): Set<string> | null {
  if (unexplained < 0 || unknown.length === 0 || unknown.length > MAX_UNKNOWN_TO_EXPLAIN) return null;
  const solutions = new Map<string, number>();
  for (let mask = 0; mask < 1 << unknown.length; mask += 1) {
    let sum = 0;
    const amounts: number[] = [];
    unknown.forEach((refund, index) => {
      if (mask & (1 << index)) {
        sum += refund.amount;
        amounts.push(refund.amount);
      }
    });
    if (sum === unexplained) solutions.set(amounts.sort((a, b) => a - b).join(','), mask);
  }
  if (solutions.size !== 1) return null;
  const [mask] = solutions.values();
  return new Set(unknown.filter((_, index) => mask & (1 << index)).map((refund) => refund.id));
}

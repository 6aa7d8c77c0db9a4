const FIRST_WEIGHTS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const SECOND_WEIGHTS = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];

/**
 * A Kazakh BIN (or IIN) is 12 digits whose last one is a check digit: the weighted sum of the first
 * eleven modulo 11, with a second set of weights when the first gives 10. A number for which both
 * give 10 is never issued.
 */
export function isValidBin(bin: string): boolean {
  if (!/^\d{12}$/.test(bin)) return false;
  const digits = [...bin].map(Number);
  let check = weightedSum(digits, FIRST_WEIGHTS) % 11;
  if (check === 10) {
    check = weightedSum(digits, SECOND_WEIGHTS) % 11;
    if (check === 10) return false;
  }
  return check === digits[11];
}

function weightedSum(digits: number[], weights: number[]): number {
  return weights.reduce((sum, weight, index) => sum + weight * digits[index], 0);
}

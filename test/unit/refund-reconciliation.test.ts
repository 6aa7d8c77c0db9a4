import { describe, expect, it } from 'vitest';
import { explainUnknownRefunds } from '../../src/domain/unknown-refunds';

const refund = (id: string, amount: number) => ({ id, amount });

describe('settling unknown refunds from the refunded total', () => {
  it('fails them all when nothing is unexplained, and succeeds them all when everything is', () => {
    expect(explainUnknownRefunds([refund('a', 10), refund('b', 20)], 0)).toEqual(new Set());
    expect(explainUnknownRefunds([refund('a', 10), refund('b', 20)], 30)).toEqual(new Set(['a', 'b']));
  });

  it('picks the one combination that makes up the total', () => {
    expect(explainUnknownRefunds([refund('a', 10), refund('b', 20), refund('c', 40)], 50)).toEqual(new Set(['a', 'c']));
  });

  it('settles equal refunds when which one went through changes no total', () => {
    expect(explainUnknownRefunds([refund('a', 10), refund('b', 10)], 10)?.size).toBe(1);
  });

  it('refuses to guess when two different combinations fit', () => {
    expect(explainUnknownRefunds([refund('a', 10), refund('b', 20), refund('c', 30)], 30)).toBeNull();
  });

  it('refuses a total that no combination makes up', () => {
    expect(explainUnknownRefunds([refund('a', 10)], 7)).toBeNull();
    expect(explainUnknownRefunds([refund('a', 10)], -10)).toBeNull();
  });
});

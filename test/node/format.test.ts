import { describe, expect, it } from 'vitest';
import { describeCounts } from '../../shared/batch';
import { groupDigits } from '../../shared/format';

describe('groupDigits', () => {
  it('groups thousands as en-US does', () => {
    const samples = [
      0,
      7,
      999,
      1000,
      1001,
      12_345,
      999_999,
      1_000_000,
      268_402_689,
      -1,
      -1000,
      -1_234_567,
      Number.MAX_SAFE_INTEGER,
    ];
    for (let n = 1; n < 1e15; n = n * 7 + 3) samples.push(n, -n);
    for (const n of samples) expect(groupDigits(n)).toBe(n.toLocaleString('en-US'));
    expect(groupDigits(1_234_567)).toBe('1,234,567');
  });

  it('leaves fractions and non-finite numbers to toLocaleString', () => {
    for (const n of [1234.5, 0.25, NaN, Infinity]) expect(groupDigits(n)).toBe(n.toLocaleString('en-US'));
  });

  it('is what a batch summary counts in', () => {
    expect(describeCounts({ total: 12_000, ok: 11_990, failed: 10, skipped: 1500 })).toBe(
      '12,000 files: 11,990 ok, 10 failed (1,500 skipped: done before)',
    );
  });
});

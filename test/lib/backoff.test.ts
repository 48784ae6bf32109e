import assert from 'assert';
import { backoffMs } from '../../lib/backoff';

describe('lib/backoff', () => {
  it('doubles from the minimum per failure, never past the maximum, however many failures', () => {
    assert.deepStrictEqual([0, 1, 2, 3, 4].map((n) => backoffMs(n, 2000, 10_000)), [2000, 4000, 8000, 10_000, 10_000]);
    assert.strictEqual(backoffMs(1e6, 1, 60_000), 60_000);
  });
});

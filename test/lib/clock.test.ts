import assert from 'assert';
import { ManualClock, SystemClock } from '../../lib/clock';

describe('lib/clock', () => {
  it('ManualClock fires timers in due order while advancing', async () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b@200'), 200);
    clock.setTimeout(() => fired.push('a@100'), 100);
    const c = clock.setTimeout(() => fired.push('cancelled'), 150);
    clock.clearTimeout(c);
    await clock.advance(150);
    assert.deepStrictEqual(fired, ['a@100']);
    assert.strictEqual(clock.nowMs(), 150);
    await clock.advance(100);
    assert.deepStrictEqual(fired, ['a@100', 'b@200']);
    assert.strictEqual(clock.pendingTimers(), 0);
  });

  it('ManualClock runs timers scheduled by timers within the same advance', async () => {
    const clock = new ManualClock(0);
    let ticks = 0;
    const tick = (): void => {
      ticks++;
      clock.setTimeout(tick, 10);
    };
    clock.setTimeout(tick, 10);
    await clock.advance(100);
    assert.strictEqual(ticks, 10);
  });

  it('ManualClock.sleep resolves when the clock passes the delay', async () => {
    const clock = new ManualClock(1000);
    let done = false;
    void clock.sleep(50).then(() => (done = true));
    await clock.advance(49);
    assert.strictEqual(done, false);
    await clock.advance(1);
    assert.strictEqual(done, true);
  });

  it('SystemClock tracks and clears pending timers', async () => {
    const clock = new SystemClock();
    const h = clock.setTimeout(() => assert.fail('should not fire'), 10_000);
    assert.strictEqual(clock.pendingTimers(), 1);
    clock.clearTimeout(h);
    assert.strictEqual(clock.pendingTimers(), 0);
    await clock.sleep(5);
    assert.strictEqual(clock.pendingTimers(), 0);
  });
});

import assert from 'assert';
import { ManualClock } from '../../../lib/clock';
import { UserInputError } from '../../../lib/errors';
import { FlowReportSource, parseReportedCurrent } from '../../../lib/meter/flowReport';
import type { MeterSample } from '../../../lib/balancer/types';

describe('meter/flowReport', () => {
  it('turns a report into a sample stamped with the clock time', async () => {
    const clock = new ManualClock(1_000_000);
    const src = new FlowReportSource(clock);
    await src.start();
    const got: MeterSample[] = [];
    src.onSample((s) => got.push(s));
    src.report(12.5, -3, 0);
    await clock.advance(4000);
    src.report('7,5', '', undefined);
    assert.deepStrictEqual(got, [
      { timeMs: 1_000_000, seq: 1, currentsA: [12.5, -3, 0] },
      { timeMs: 1_004_000, seq: 2, currentsA: [7.5, null, null] },
    ]);
    assert.deepStrictEqual(src.status().perPhaseAgeS, [0, 4, 4]);
    assert.strictEqual(src.status().lastSampleMs, 1_004_000);
  });

  it('rejects bad arguments with one line naming the argument, and emits nothing', () => {
    const src = new FlowReportSource(new ManualClock());
    let n = 0;
    src.onSample(() => n++);
    const cases: [unknown[], RegExp][] = [
      [[undefined], /^l1: a current in A is required/],
      [[5, 'abc'], /^l2: expected a number of amps, got "abc"/],
      [[5, 1, Infinity], /^l3: expected a number of amps, got number/],
      [[5, 1, NaN], /^l3: expected a number of amps/],
      [[250], /^l1: 250 A is outside −200…200 A; report amps, not watts/],
      [[5, -3450], /^l2: -3450 A is outside/],
      [[{}], /^l1: expected a number of amps, got object/],
    ];
    for (const [args, re] of cases) {
      assert.throws(() => src.report(...(args as [unknown, unknown?, unknown?])), (err: unknown) => {
        assert.ok(err instanceof UserInputError);
        assert.match(err.message, re);
        assert.ok(!err.message.includes('\n'));
        return true;
      });
    }
    assert.strictEqual(n, 0);
    assert.strictEqual(parseReportedCurrent('l2', -200, false), -200);
  });

  it('keeps going when a listener throws, and unsubscribes', () => {
    const src = new FlowReportSource(new ManualClock());
    let n = 0;
    src.onSample(() => {
      throw new Error('consumer broke');
    });
    const off = src.onSample(() => n++);
    src.report(1);
    off();
    src.report(2);
    assert.strictEqual(n, 1);
    assert.strictEqual(src.listenerError, 'consumer broke');
  });

  it('makes every report fresh on receipt: a repeat and a wall-clock step back still raise seq by one', async () => {
    const clock = new ManualClock(1_000_000);
    const src = new FlowReportSource(clock);
    const a = src.report(5, 5, 5);
    const b = src.report(5, 5, 5); // the same values in the same millisecond: still a new report
    clock.jump(-3_600_000);
    await clock.advance(1000);
    const c = src.report(5, 5, 5);
    clock.jump(7_200_000);
    const d = src.report(6, 5, 5);
    assert.deepStrictEqual([a, b, c, d].map((s) => s.seq), [1, 2, 3, 4]);
    assert.deepStrictEqual([a, b, c, d].map((s) => s.timeMs), [1_000_000, 1_000_000, 1_000_000 - 3_600_000 + 1000, 1_000_000 + 3_600_000 + 1000], 'timeMs is the wall time, for display');
    assert.deepStrictEqual(src.status().perPhaseAgeS, [0, 0, 0], 'ages are monotonic: the steps change nothing');
    assert.strictEqual(src.status().lastSampleAgeS, 0);
  });

  it('cuts an echoed bad argument to a short prefix', () => {
    const src = new FlowReportSource(new ManualClock());
    assert.throws(() => src.report(5, 'x'.repeat(1_000_000)), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.match(err.message, /^l2: expected a number of amps, got "x{20}…"$/);
      return true;
    });
  });
});

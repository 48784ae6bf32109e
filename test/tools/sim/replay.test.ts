import assert from 'assert';
import { ManualClock } from '../../../lib/clock';
import type { MeterSample } from '../../../lib/balancer/types';
import { replayTrace } from '../../../tools/sim/replay';
import { parseTraceCsv } from '../../../tools/sim/trace';

const trace = parseTraceCsv('time,l1,l2,l3\n0,1,2,3\n10,4,5,6\n', 't.csv'); // lasts 20 s

describe('tools/sim/replay', () => {
  it('emits a sample per meter interval on the clock, adding the chargers draw', async () => {
    const clock = new ManualClock(1_000_000);
    const samples: MeterSample[] = [];
    let ended = 0;
    replayTrace({ trace, clock, meter: { intervalS: 5 }, extraA: () => [0.6, 0, 0], onSample: (s) => samples.push(s), onEnd: () => ended++ });
    await clock.advance(30_000);
    assert.deepStrictEqual(samples.map((s) => s.timeMs - 1_000_000), [0, 5000, 10_000, 15_000]);
    assert.deepStrictEqual(samples.map((s) => s.currentsA), [[2, 2, 3], [2, 2, 3], [5, 5, 6], [5, 5, 6]]);
    assert.deepStrictEqual(samples.map((s) => s.seq), [1, 2, 3, 4]);
    assert.strictEqual(ended, 1);
    assert.strictEqual(clock.pendingTimers(), 0);
  });

  it('loops, runs faster with speed, and stops cleanly', async () => {
    const clock = new ManualClock(0);
    const samples: MeterSample[] = [];
    const r = replayTrace({ trace, clock, meter: { intervalS: 10, wholeAmps: false }, speed: 10, loop: true, onSample: (s) => samples.push(s) });
    await clock.advance(3_000); // 30 s of trace at 10× speed
    assert.deepStrictEqual(samples.map((s) => s.currentsA[0]), [1, 4, 1, 4]);
    r.stop();
    await clock.advance(10_000);
    assert.strictEqual(samples.length, 4);
    assert.strictEqual(clock.pendingTimers(), 0);
  });
});

import assert from 'assert';
import { ManualClock } from '../../../lib/clock';
import { PhaseMerger, phaseCurrentA } from '../../../lib/meter/source';
import { ReplaySource } from '../../../lib/meter/replay';
import type { MeterSample } from '../../../lib/balancer/types';

describe('meter/source', () => {
  describe('phaseCurrentA', () => {
    it('takes the reported current when there is nothing better', () => {
      assert.strictEqual(phaseCurrentA(4.2, null, null), 4.2);
      assert.strictEqual(phaseCurrentA(-4, undefined, 231), -4);
    });

    it('derives I = P/U signed by P, with the nominal voltage when none is reported', () => {
      assert.strictEqual(phaseCurrentA(null, -2300, 230), -10);
      assert.strictEqual(phaseCurrentA(null, 2400, null), Math.round((2400 / 230) * 1000) / 1000);
      assert.strictEqual(phaseCurrentA(null, 2400, 0), phaseCurrentA(null, 2400, null), 'a 0 V placeholder is no voltage');
      assert.strictEqual(phaseCurrentA(null, 2400, null, 240), 10);
    });

    it('refines truncated whole amps with P/U and signs unsigned currents by power', () => {
      assert.strictEqual(phaseCurrentA(2, -676, 236), -2.864);
      assert.strictEqual(phaseCurrentA(16, 3600, 230), 16, 'reactive current: |I| > P/U stays');
      assert.strictEqual(phaseCurrentA(-4, 0, null), -4, 'zero power: the current keeps its own sign');
    });

    it('returns null without current or power', () => {
      assert.strictEqual(phaseCurrentA(null, null, 230), null);
      assert.strictEqual(phaseCurrentA(NaN, undefined, 230), null);
    });
  });

  describe('PhaseMerger', () => {
    it('holds unchanged phases, drops values older than the limit, and builds a sample only for news', () => {
      const m = new PhaseMerger(10_000);
      assert.strictEqual(m.take(0), null);
      m.update(0, 5, 1000);
      m.update(1, 6, 1000);
      assert.deepStrictEqual(m.take(1000), { timeMs: 1000, currentsA: [5, 6, null] });
      assert.strictEqual(m.take(1000), null, 'nothing new');
      m.update(0, 7, 9000);
      assert.deepStrictEqual(m.take(9000), { timeMs: 9000, currentsA: [7, 6, null] });
      m.touch(12_000);
      assert.deepStrictEqual(m.take(12_000), { timeMs: 12_000, currentsA: [7, null, null] }, 'L2 is 11 s old');
      assert.deepStrictEqual(m.ageS(12_000), [3, 11, null]);
    });

    it('ignores an update older than the one it has', () => {
      const m = new PhaseMerger(10_000);
      m.update(2, 3, 5000);
      m.update(2, 9, 4000);
      assert.deepStrictEqual(m.current(5000), [null, null, 3]);
    });
  });

  describe('ReplaySource', () => {
    it('emits the trace at its cadence with increasing seq, until stopped', async () => {
      const clock = new ManualClock(0);
      const src = new ReplaySource(clock, (t) => [t / 1000, null, -1], 1000);
      const got: MeterSample[] = [];
      src.onSample((s) => got.push(s));
      await src.start();
      await clock.advance(2500);
      assert.deepStrictEqual(got.map((s) => [s.timeMs, s.seq, s.currentsA]), [
        [0, 1, [0, null, -1]],
        [1000, 2, [1, null, -1]],
        [2000, 3, [2, null, -1]],
      ]);
      assert.deepStrictEqual(src.status().perPhaseAgeS, [0.5, null, 0.5]);
      await src.stop();
      await clock.advance(5000);
      assert.strictEqual(got.length, 3);
      assert.strictEqual(clock.pendingTimers(), 0);
    });
  });
});

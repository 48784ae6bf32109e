import assert from 'assert';
import { ManualClock } from '../../../lib/clock';
import { MAX_GRID_VOLTAGE_V, PhaseMerger, phaseCurrentA, totalPowerExplains } from '../../../lib/meter/source';
import { ReplaySource } from '../../../tools/sim/meterReplay';
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
    it('holds phases while their own values change, leaves out those unchanged for staleAfterMs, and builds a sample only for news', () => {
      const m = new PhaseMerger(10_000);
      assert.strictEqual(m.take(0, false), null);
      m.set(0, 5, true, 1000);
      m.set(1, 6, true, 1000);
      assert.deepStrictEqual(m.take(1000, false), [5, 6, null]);
      assert.strictEqual(m.take(1000, false), null, 'nothing new');
      m.set(0, 7, true, 9000);
      assert.deepStrictEqual(m.take(9000, false), [7, 6, null]);
      m.set(1, 6, false, 10_500); // the same value again: no news, no life
      assert.strictEqual(m.take(10_500, false), null);
      m.touch();
      assert.deepStrictEqual(m.take(11_000, false), [7, null, null], 'L2 unchanged for 10 s while the meter changed');
      assert.deepStrictEqual(m.alive(11_000), [true, false, false]);
      m.touch();
      assert.deepStrictEqual(m.take(11_000, true), [7, 6, null], 'unless the caller vouches for it');
    });

    it('takes a value without news (start-up) as held but not alive', () => {
      const m = new PhaseMerger(10_000);
      m.set(0, 3, false, 0);
      m.set(1, 4, false, 0);
      assert.strictEqual(m.take(0, true), null, 'no news yet');
      m.set(1, 5, true, 100);
      assert.deepStrictEqual(m.take(100, false), [null, 5, null]);
      m.touch();
      assert.deepStrictEqual(m.take(200, true), [3, 5, null]);
      assert.deepStrictEqual(m.alive(200), [false, true, false]);
    });
  });

  describe('totalPowerExplains', () => {
    const ph = (currentA: number | null, powerW: number | null = null, voltageV: number | null = null) => ({ currentA, powerW, voltageV });

    it('with per-phase power: the signed sum within 50 W + 3 %, both ways', () => {
      const phases = [ph(10, 2300), ph(0, 0), ph(-5, -1150)];
      assert.strictEqual(totalPowerExplains(1150, phases), true);
      assert.strictEqual(totalPowerExplains(1150 + 50 + 103, phases), true, '3 % of 3450 W = 103.5 W');
      assert.strictEqual(totalPowerExplains(1150 + 50 + 104, phases), false);
      assert.strictEqual(totalPowerExplains(1150 - 200, phases), false, 'a phase reading more than it carries is caught too');
      assert.strictEqual(totalPowerExplains(3450, phases), false, 'export on L3 is not import');
    });

    it('with whole-amp currents only: the total may not exceed what the phases can carry at 253 V (+1 A each)', () => {
      const phases = [ph(3), ph(3), ph(3)];
      const canCarryW = MAX_GRID_VOLTAGE_V * 12;
      assert.strictEqual(totalPowerExplains(canCarryW + 50, phases), true);
      assert.strictEqual(totalPowerExplains(canCarryW + 51, phases), false);
      assert.strictEqual(totalPowerExplains(-(canCarryW + 51), phases), false, 'unsigned currents: judged by magnitude');
      assert.strictEqual(totalPowerExplains(0, phases), true, 'reading more than the total is never called stale');
      assert.strictEqual(totalPowerExplains(8970, phases), false, '33 + 3 + 3 A at 230 V behind currents frozen at 3 A');
      // A truthful whole-amp meter is never inconsistent: 3.99 A per phase at 253 V.
      assert.strictEqual(totalPowerExplains(3 * 3.99 * 253, phases), true);
    });

    it('is false without any phase value or without a total', () => {
      assert.strictEqual(totalPowerExplains(100, [ph(null), ph(null)]), false);
      assert.strictEqual(totalPowerExplains(NaN, [ph(3)]), false);
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

    it('plays on through wall-clock steps: the trace follows the monotonic clock, timeMs the wall clock', async () => {
      const clock = new ManualClock(0);
      const src = new ReplaySource(clock, (t) => [t / 1000, null, null], 1000);
      const got: MeterSample[] = [];
      src.onSample((s) => got.push(s));
      await src.start();
      clock.jump(-3_600_000);
      await clock.advance(1000);
      clock.jump(7_200_000);
      await clock.advance(1000);
      assert.deepStrictEqual(got.map((s) => [s.seq, s.currentsA[0], s.timeMs]), [
        [1, 0, 0],
        [2, 1, 1000 - 3_600_000],
        [3, 2, 2000 + 3_600_000],
      ]);
      await src.stop();
    });
  });
});

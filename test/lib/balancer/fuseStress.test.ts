import { strict as assert } from 'assert';
import { validateBalancerConfig } from '../../../lib/balancer/balancer';
import { quickRules } from '../../../lib/balancer/config';
import { FuseStress } from '../../../lib/balancer/fuseStress';
import { holdWindowMs } from '../../../lib/balancer/work';
import type { BalancerOutput, Triple } from '../../../lib/balancer/types';
import { MCB_C_FASTEST, tripTimeS } from '../../../lib/tripCurve';
import { Rig } from './rig';

const ALL: Triple<boolean> = [true, true, true];
/** A balancer whose last hour is known (as the simulator starts it). */
const KNOWN = { lastHourKnown: true };

/** The raises (time s, limit A) of a run of `outs` that started after `t0` s. */
function raises(outs: BalancerOutput[], t0: number): [number, number][] {
  return outs.flatMap((o, i) => o.commands.flatMap((c) => (c.type === 'setCurrentLimit' ? [[t0 + i + 1, c.currentA] as [number, number]] : [])));
}

describe('lib/balancer/fuseStress', () => {
  it('adds dt / t_trip of the fastest type C breaker per phase, nothing under 1.13 × the fuse, the worst phase counts', () => {
    const s = new FuseStress();
    s.add(0, [28, 40, 0], ALL, 25, 15_000);
    for (let t = 1; t <= 20; t++) s.add(t * 1000, [28, 40, 0], ALL, 25, 15_000);
    const want = 20 / tripTimeS(MCB_C_FASTEST, 40 / 25);
    assert.ok(Math.abs(s.value(20_000) - want) < 1e-9, `${s.value(20_000)} vs ${want}`);
    assert.ok(want > 0.1 && want < 0.3, `40 A on 25 A for 20 s is ${want}`);
  });

  it('a gap longer than the stale time counts only the stale time; the hour moves on; a clock step back keeps it', () => {
    const s = new FuseStress();
    s.add(0, [40, 0, 0], ALL, 25, 15_000);
    s.add(600_000, [40, 0, 0], ALL, 25, 15_000); // 10 min later: counted as 15 s
    const one = 15 / tripTimeS(MCB_C_FASTEST, 40 / 25);
    assert.ok(Math.abs(s.value(600_000) - one) < 1e-9);
    s.shift(-300_000); // the clock went back 5 min
    assert.ok(Math.abs(s.value(300_000 + 30 * 60_000) - one) < 1e-9, 'still there half an hour later');
    assert.strictEqual(s.value(300_000 + 62 * 60_000), 0, 'gone after the hour (and its last minute)');
  });

  it('a phase missing from a sample keeps its own time: the gap counts when it comes back; a bad fuse adds nothing', () => {
    const s = new FuseStress();
    s.add(0, [40, 0, 0], ALL, 25, 15_000);
    s.add(1000, [null, 0, 0], [false, true, true], 25, 15_000); // L1 missing: its second is not lost
    s.add(2000, [40, 0, 0], ALL, 25, 15_000);
    s.add(3000, [40, 0, 0], ALL, 0, 15_000);
    assert.ok(Math.abs(s.value(3000) - 2 / tripTimeS(MCB_C_FASTEST, 1.6)) < 1e-9, String(s.value(3000)));
  });

  it('regression: an interval counts at the larger of its two readings (an upper bound), not only the later one', () => {
    const s = new FuseStress();
    s.add(0, [10, 0, 0], ALL, 25, 15_000);
    s.add(10_000, [40, 0, 0], ALL, 25, 15_000); // 10 s meter: the load may have come right after the first reading
    s.add(20_000, [10, 0, 0], ALL, 25, 15_000); // and left right before the third
    const want = 20 / tripTimeS(MCB_C_FASTEST, 40 / 25);
    assert.ok(Math.abs(s.value(20_000) - want) < 1e-9, `${s.value(20_000)} vs ${want}`);
  });
});

describe('lib/balancer: quick while the fuse is cool', () => {
  it('takes the held headroom in one raise after 2 s while the fuse is cool (the careful rules: 2 A per 30 s)', () => {
    const r = new Rig({ quickStressBudget: 0.1 }, KNOWN);
    r.add();
    r.house = [14, 0, 0];
    r.step(1);
    assert.strictEqual(r.limit(), 10);
    r.house = [0, 0, 0];
    assert.deepStrictEqual(raises(r.run(60), 1), [[4, 16]]); // the house fell at 2 s: 2 s of held headroom, one raise
    assert.strictEqual(r.balancer.fuseStressNow(r.nowMs).quick, true);
  });

  it('after an overload worth more than the budget the careful rules apply again, until it leaves the hour', () => {
    const r = new Rig({ quickStressBudget: 0.1, restoreHoldS: 30 }, KNOWN);
    r.add();
    r.house = [0, 0, 0];
    r.run(30);
    for (let i = 0; i < 15; i++) r.step(1, true, [45, 0, 0]); // 1.8 × the fuse for 15 s (a cut that did not land)
    const stress = r.balancer.fuseStressNow(r.nowMs);
    assert.ok(stress.stress > 0.1 && !stress.quick, JSON.stringify(stress));
    r.house = [14, 0, 0];
    r.run(5);
    r.house = [0, 0, 0];
    // it was paused by the overload: it resumes at 6 A after the careful resume window, then climbs 2 A per 30 s
    const careful = raises(r.run(400), 0);
    assert.deepStrictEqual(careful.map(([, a]) => a), [8, 10, 12, 14, 16], 'steps of 2 A');
    assert.ok(careful.every(([t], i) => i === 0 || t - careful[i - 1][0] >= 30), JSON.stringify(careful));
    r.run(3600);
    assert.strictEqual(r.balancer.fuseStressNow(r.nowMs).quick, true, 'an hour later the fuse is cool again');
  });

  it('after a restart the last hour is unknown: the careful rules for the first hour', () => {
    const first = new Rig({ quickStressBudget: 0.1 }, KNOWN);
    first.add();
    first.run(10);
    const r = new Rig({ quickStressBudget: 0.1 }, KNOWN);
    r.balancer.restoreState(first.balancer.getState());
    r.add();
    r.house = [14, 0, 0];
    r.run(10);
    assert.strictEqual(r.balancer.fuseStressNow(r.nowMs).quick, false);
    r.house = [0, 0, 0];
    assert.deepStrictEqual(raises(r.run(100), 0).map(([, a]) => a), [12, 14, 16]);
    r.run(3600);
    assert.strictEqual(r.balancer.fuseStressNow(r.nowMs).quick, true);
  });

  it('regression: a first start (no saved state) is careful too: the hour before it is unknown', () => {
    const r = new Rig({ quickStressBudget: 0.1 });
    r.add();
    r.house = [14, 0, 0];
    r.step(1);
    assert.strictEqual(r.balancer.fuseStressNow(r.nowMs).quick, false);
    r.house = [0, 0, 0];
    assert.deepStrictEqual(raises(r.run(100), 1).map(([, a]) => a), [12, 14, 16]);
  });

  it('regression: a site ceiling (capacity cap) keeps the careful rules only while it binds; the live reading says so', () => {
    const binding = new Rig({ quickStressBudget: 0.1 }, KNOWN);
    binding.site = { ceilingA: [20, 20, 20], reason: 'Capacity cap' }; // under the fuse's 24 A of headroom once the house is 0
    binding.add();
    binding.house = [14, 0, 0];
    binding.step(1);
    binding.house = [0, 0, 0];
    assert.deepStrictEqual(raises(binding.run(100), 1).map(([, a]) => a), [12, 14, 16]);
    assert.strictEqual(binding.balancer.fuseStressNow(binding.nowMs).quick, false);
    const loose = new Rig({ quickStressBudget: 0.1 }, KNOWN);
    loose.site = { ceilingA: [100, 100, 100], reason: 'Capacity cap' }; // never below the fuse's headroom
    loose.add();
    loose.house = [14, 0, 0];
    loose.step(1);
    loose.house = [0, 0, 0];
    assert.deepStrictEqual(raises(loose.run(100), 1), [[4, 16]]);
    assert.strictEqual(loose.balancer.fuseStressNow(loose.nowMs).quick, true);
  });

  it('regression: a load that cycles (40/40 s to 100/100 s) is not chased every cycle under the quick rules', () => {
    for (const [onS, offS] of [[40, 40], [30, 30], [20, 60], [80, 80], [100, 100], [20, 100]]) {
      const r = new Rig({ quickStressBudget: 0.1 }, KNOWN);
      r.add({ maxCurrentA: 32 });
      r.house = [4, 4, 4];
      r.run(60);
      let raises = 0;
      for (let t = 0; t < 3600; t++) {
        r.house = [4 + (t % (onS + offS) < onS ? 4 : 0), 4, 4]; // +4 A on L1: cut from 20 A to 16 A, room again when it is off
        raises += r.step(1).events.filter((e) => e.type === 'restored' || e.type === 'resumed').length;
      }
      // the careful rules give 5 in the hour; the configured hold's back-off (30 s doubling to 120 s) holds here too
      assert.ok(raises <= 8, `${onS}/${offS} s: ${raises} raises in an hour`);
      assert.strictEqual(r.balancer.fuseStressNow(r.nowMs).quick, true, 'it never overloaded past 1.13 × the fuse: still quick');
    }
  });

  it('regression: a site ceiling on a phase where the fuse leaves less anyway limits no charger: the quick rules stay', () => {
    const r = new Rig({ quickStressBudget: 0.1 }, KNOWN);
    r.site = { ceilingA: [15, 15, 15], reason: 'Capacity cap' }; // the cap's equal share per phase
    r.add({ maxCurrentA: 32 });
    r.house = [12, 0, 0]; // L1 leaves 12 A: the fuse binds the 3-phase car there, under the cap's 15 A
    r.run(10);
    r.house = [32, 0, 0]; // a kettle on L1: paused
    r.run(5);
    r.house = [12, 0, 0];
    const outs = r.run(60);
    const resumedAt = outs.findIndex((o) => o.commands.some((c) => c.type === 'resume'));
    assert.ok(resumedAt >= 0 && resumedAt <= 10, `resumed after ${resumedAt} s (the configured rules: ~30 s)`);
    assert.strictEqual(r.limit(), 12);
    assert.strictEqual(r.balancer.fuseStressNow(r.nowMs).quick, true);
  });

  it('regression: cuts the house did not cause (a lower maximum) do not count as a cycling load under the quick rules', () => {
    const r = new Rig({ quickStressBudget: 0.1 }, KNOWN);
    const c = r.add();
    r.run(30);
    for (let k = 0; k < 3; k++) {
      c.input.maxCurrentA = 8; // e.g. solar mode or a manual current, for 20 s every 3 min
      r.run(20);
      c.input.maxCurrentA = 16;
      r.run(160);
    }
    r.house = [22, 0, 0]; // then one kettle: cut, and room again 20 s later
    r.run(20);
    r.house = [0, 0, 0];
    const outs = r.run(120);
    const backAt = outs.findIndex((o) => o.allowedA.a === 16) + 1;
    assert.ok(backAt > 0 && backAt <= 15, `back to 16 A after ${backAt} s (the configured rules: 61 s)`);
  });

  it('regression: a back-off earned under the quick rules waits at most the configured rules\' longest hold under them', () => {
    const careful = validateBalancerConfig({});
    assert.strictEqual(holdWindowMs(careful, 3), 120_000, 'clamped to the configured rules\' 4 × 30 s');
    assert.strictEqual(holdWindowMs(quickRules(careful), 5), 120_000);
    assert.deepStrictEqual([0, 1, 2, 3, 4].map((b) => holdWindowMs(quickRules(careful), b)), [2_000, 15_000, 30_000, 60_000, 120_000]);
  });

  it('a load that returns once costs half the configured hold under the quick rules (15 s), a third time the configured 30 s', () => {
    const r = new Rig({ quickStressBudget: 0.1 }, KNOWN);
    r.add();
    r.run(30);
    const backAfter: number[] = [];
    for (let k = 0; k < 3; k++) {
      r.house = [12, 0, 0]; // a kettle on L1 for 20 s (1 phase under 1.13 × the fuse: the fuse stays cool)
      r.run(20);
      r.house = [0, 0, 0];
      const outs = r.run(120);
      backAfter.push(outs.findIndex((o) => o.allowedA.a === 16) + 1);
      r.run(60);
    }
    // 2 s of held room (+ the step it is seen); then the second cut within 10 min: 15 s; the third: 30 s
    assert.deepStrictEqual(backAfter.map((s) => (s <= 4 ? 'quick' : s >= 15 && s <= 18 ? 'half' : s >= 30 && s <= 33 ? 'configured' : s)), ['quick', 'half', 'configured']);
    assert.strictEqual(r.balancer.fuseStressNow(r.nowMs).quick, true);
  });

  it('validates quickStressBudget: 0 to 1, one line naming the field', () => {
    assert.strictEqual(validateBalancerConfig({}).quickStressBudget, 0.1);
    assert.strictEqual(validateBalancerConfig({ quickStressBudget: 0 }).quickStressBudget, 0);
    assert.throws(() => validateBalancerConfig({ quickStressBudget: 2 }), /quickStressBudget.*at most 1/);
    assert.throws(() => validateBalancerConfig({ quickStressBudget: 'fast' }), /quickStressBudget.*expected a number/);
  });
});

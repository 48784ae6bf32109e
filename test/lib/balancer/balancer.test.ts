import assert from 'assert';
import { Balancer, BalancerConfigError, validateBalancerConfig } from '../../../lib/balancer/balancer';
import { DEFAULT_BALANCER_CONFIG, type BalancerCommand, type BalancerOutput } from '../../../lib/balancer/types';
import { UserInputError } from '../../../lib/errors';
import { limits, types } from './helpers';
import { chargerInput, Rig } from './rig';

// Also under describe('lib/balancer/balancer'): balancer.writes.test.ts (writes, who is balanced) and
// balancer.edgeCases.test.ts (overloadUnresolved, partial samples, edge cases, state).
describe('lib/balancer/balancer', () => {
  describe('validateBalancerConfig', () => {
    it('fills defaults and accepts numeric strings', () => {
      const c = validateBalancerConfig({ fuseA: '35', marginA: 2 });
      assert.strictEqual(c.fuseA, 35);
      assert.strictEqual(c.marginA, 2);
      assert.strictEqual(c.restoreStepA, DEFAULT_BALANCER_CONFIG.restoreStepA);
      assert.strictEqual(c.overloadUnresolvedAfterS, 60);
      assert.deepStrictEqual(validateBalancerConfig(undefined).fuseA, DEFAULT_BALANCER_CONFIG.fuseA);
    });

    it('names each bad field in one line', () => {
      try {
        validateBalancerConfig({ fuseA: -5, restoreStepA: 'abc', staleAfterS: NaN });
        assert.fail('should throw');
      } catch (err) {
        assert.ok(err instanceof BalancerConfigError);
        assert.ok(err instanceof UserInputError);
        assert.strictEqual(err.field, 'fuseA');
        assert.deepStrictEqual(
          err.problems.map((p) => p.field),
          ['fuseA', 'restoreStepA', 'staleAfterS'],
        );
        assert.ok(!err.message.includes('\n'));
        assert.match(err.message, /^fuseA: must be at least 6 A and at most 100 A, got -5/);
        assert.match(err.message, /restoreStepA: expected a number of A .*got "abc"/);
      }
    });

    it('rejects a margin at or above the fuse and a pause that comes before stale', () => {
      assert.throws(() => validateBalancerConfig({ fuseA: 25, marginA: 25 }), /marginA: must be less than the fuse \(25 A\)/);
      assert.throws(() => validateBalancerConfig({ staleAfterS: 60, pauseAfterS: 60 }), /pauseAfterS: must be longer than staleAfterS \(60 s\)/);
      assert.throws(() => validateBalancerConfig('fast'), (e: unknown) => e instanceof UserInputError && e.field === 'balancer');
      assert.throws(() => new Balancer({ ...DEFAULT_BALANCER_CONFIG, fuseA: Number.NaN }), /fuseA/);
      assert.throws(() => validateBalancerConfig({ cloudRaiseWindowS: -1 }), /cloudRaiseWindowS: must be at least 0 s and at most 3600 s, got -1$/);
    });
  });

  describe('headroom and reduction', () => {
    it('computes headroom per phase as fuse − margin − (measured − own draw)', () => {
      const b = new Balancer(DEFAULT_BALANCER_CONFIG);
      const ch = chargerInput({ measuredA: [10, 10, 0], phaseMap: ['L2', 'L3', 'L1'] });
      const out = b.step(1000, { timeMs: 1000, currentsA: [5, 20, 14] }, [ch]);
      // own draw: L2 10, L3 10, L1 0 → house 5, 10, 4 → headroom 24-5, 24-10, 24-4
      assert.deepStrictEqual(out.headroomA, [19, 14, 20]);
      assert.deepStrictEqual(out.measuredA, [5, 20, 14]);
      assert.strictEqual(out.stale, false);
    });

    it('cuts in one step on a fresh over-limit sample, with a readable reason', () => {
      const r = new Rig();
      r.add();
      r.run(3);
      assert.strictEqual(r.limit(), 16);
      r.house = [5, 13, 5];
      const out = r.step(1);
      assert.deepStrictEqual(out.commands, [
        { type: 'setCurrentLimit', chargerId: 'a', currentA: 11, reason: out.commands[0]?.reason },
      ]);
      const ev = out.events.find((e) => e.type === 'reduced');
      assert.ok(ev);
      assert.strictEqual(ev.phase, 'L2');
      assert.strictEqual(ev.fromA, 16);
      assert.strictEqual(ev.toA, 11);
      assert.strictEqual(ev.reason, 'L2 at 29 A of 25 A fuse (house 13 A): lowered Garage from 16 A to 11 A');
      // the car follows; the next samples need nothing more
      assert.deepStrictEqual(limits(r.run(5)), []);
    });

    it('acts on fresh samples only: repeated or older telegrams change nothing', () => {
      const b = new Balancer(DEFAULT_BALANCER_CONFIG);
      const ch = chargerInput({ measuredA: [16, 16, 16] });
      assert.deepStrictEqual(b.step(0, { timeMs: 100, seq: 5, currentsA: [20, 20, 20] }, [ch]).commands, []);
      // same seq, new values: ignored (a poll faster than the meter)
      assert.deepStrictEqual(b.step(500, { timeMs: 600, seq: 5, currentsA: [40, 40, 40] }, [ch]).commands, []);
      // older timestamp without seq: ignored
      const b2 = new Balancer(DEFAULT_BALANCER_CONFIG);
      b2.step(0, { timeMs: 100, currentsA: [20, 20, 20] }, [ch]);
      assert.deepStrictEqual(b2.step(500, { timeMs: 100, currentsA: [40, 40, 40] }, [ch]).commands, []);
      assert.deepStrictEqual(b2.step(600, { timeMs: 50, currentsA: [40, 40, 40] }, [ch]).commands, []);
      const cut = b2.step(700, { timeMs: 200, currentsA: [30, 20, 20] }, [ch]).commands;
      assert.deepStrictEqual(cut.map((c) => c.type === 'setCurrentLimit' && c.currentA), [10]);
      // a meter restart (seq back to 0, time forward) is fresh
      const b3 = new Balancer(DEFAULT_BALANCER_CONFIG);
      b3.step(0, { timeMs: 100, seq: 900, currentsA: [20, 20, 20] }, [ch]);
      assert.strictEqual(b3.step(1000, { timeMs: 1100, seq: 1, currentsA: [30, 20, 20] }, [ch]).commands.length, 1);
    });

    it('a fast poll of one telegram never ramps twice (no sawtooth)', () => {
      const r = new Rig({ restoreHoldS: 0, localWriteIntervalS: 0 });
      r.add({ currentLimitA: 6 });
      // one telegram polled 20 times: at most one raise
      const b = r.balancer;
      const sample = { timeMs: 5000, seq: 1, currentsA: r.meter() };
      const cmds: BalancerCommand[] = [];
      for (let i = 0; i < 20; i++) cmds.push(...b.step(5000 + i * 100, sample, r.chargers.map((c) => c.input)).commands);
      assert.deepStrictEqual(
        cmds.map((c) => c.type === 'setCurrentLimit' && c.currentA),
        [8],
      );
    });
  });

  describe('restore', () => {
    it('raises in steps of restoreStepA after restoreHoldS, up to the maximum', () => {
      const r = new Rig();
      r.add();
      r.house = [14, 0, 0];
      r.step(1);
      assert.strictEqual(r.limit(), 10);
      r.house = [0, 0, 0];
      const outs = r.run(200);
      // a raise needs restoreHoldS since the last change and 30 s of headroom: the house read 14 A at 1 s,
      // so the first raise comes at 32 s (12 A), then every 30 s: 14 @62, 16 @92
      const raises = outs.flatMap((o, i) => o.commands.map((c) => [i + 2, c.type === 'setCurrentLimit' && c.currentA]));
      assert.deepStrictEqual(raises, [
        [32, 12],
        [62, 14],
        [92, 16],
      ]);
      assert.ok(types(outs).every((t) => t === 'restored'));
    });

    it('never raises above the headroom', () => {
      const r = new Rig({ restoreHoldS: 5, localWriteIntervalS: 0 });
      r.add();
      r.house = [14, 0, 0];
      r.step(1);
      r.house = [11, 0, 0];
      r.run(100);
      assert.strictEqual(r.limit(), 13);
      assert.ok(r.meter()[0] <= 24);
    });

    it('raises only into headroom that held for the hold window, and waits twice as long after a raise a cycling load cut back', () => {
      const r = new Rig();
      r.add({ phaseMap: ['L1', null, null], maxCurrentA: 12 }, [0]);
      r.house = [14, 0, 0];
      r.step(1);
      assert.strictEqual(r.limit(), 10);
      // a load that cycles: 40 s off, 40 s on
      const outs: BalancerOutput[] = [];
      for (let cycle = 0; cycle < 5; cycle++) {
        r.house = [0, 0, 0];
        outs.push(...r.run(40));
        r.house = [14, 0, 0];
        outs.push(...r.run(40));
      }
      // one raise into the first 40 s gap, cut when the load came back; after that the headroom must hold
      // 60 s, longer than any gap: no raise, no cut
      assert.deepStrictEqual(limits(outs), [12, 10]);
      // a stretch with room: the next raise waits for 60 s of it
      r.house = [0, 0, 0];
      const quiet = r.run(140);
      assert.deepStrictEqual(limits(quiet.slice(0, 60)), []);
      assert.deepStrictEqual(limits(quiet), [12]);
      // a cut long after that raise and ten minutes without a raise cut back soon: the back-off is gone,
      // a raise after 30 s of room again
      r.house = [14, 0, 0];
      r.run(600);
      r.house = [0, 0, 0];
      const again = r.run(31);
      assert.deepStrictEqual(limits(again), [12]);
    });
  });

  describe('pause and resume', () => {
    it('pauses below the minimum and resumes once the headroom held for resumeWindowS × (minimum / lowest headroom)²', () => {
      const r = new Rig();
      r.add();
      r.house = [20, 0, 0];
      const out = r.step(1);
      assert.deepStrictEqual(out.commands.map((c) => c.type), ['pause']);
      assert.strictEqual(out.events[0].reason, 'L1 at 36 A of 25 A fuse (house 20 A): paused Garage (needs 6 A)');
      r.house = [18.5, 0, 0]; // 5.5 A headroom: not enough for 6 A
      assert.deepStrictEqual(limits(r.run(300)), []);
      r.house = [18, 0, 0]; // 6 A: just the minimum, the whole window
      const outs = r.run(60);
      r.house = [19, 0, 0]; // a dip below the minimum starts the window again
      outs.push(...r.run(5));
      r.house = [18, 0, 0];
      outs.push(...r.run(120));
      assert.deepStrictEqual(limits(outs), []);
      const resumed = r.step(1);
      assert.deepStrictEqual(resumed.commands.map((c) => [c.type, c.type === 'resume' && c.currentA]), [['resume', 6]]);
      assert.strictEqual(resumed.events[0].type, 'resumed');
      assert.match(resumed.events[0].reason, /L1 had 6 A or more free for the chargers for 120 s: resumed Garage at 6 A$/);
    });

    it('with more room a paused charger waits less: 8 A for 120 × (6/8)² = 67.5 s, never less than a quarter of the window', () => {
      const r = new Rig();
      r.add({ phaseMap: ['L1', null, null] }, [0]);
      r.house = [30, 0, 0];
      r.run(2);
      assert.strictEqual(r.limit(), 0);
      r.house = [24 - 8, 0, 0];
      r.run(68);
      assert.strictEqual(r.limit(), 0);
      r.run(1);
      assert.strictEqual(r.limit(), 6);
      // resumeHysteresisA counts in what it needs: (6 + 2) / 8 = 1, the whole window
      const h = new Rig({ resumeHysteresisA: 2 });
      h.add({ phaseMap: ['L1', null, null] }, [0]);
      h.house = [30, 0, 0];
      h.run(2);
      h.house = [24 - 8, 0, 0];
      h.run(120);
      assert.strictEqual(h.limit(), 0);
      h.run(1);
      assert.strictEqual(h.limit(), 6);
    });

    it('a single in-range spike pauses for a quarter of the resume window when there is plenty of room; absurd values are ignored', () => {
      const r = new Rig();
      r.add();
      r.run(2);
      // absurd (beyond 2 × fuse + 100) and non-finite values: treated as missing, nothing happens
      r.step(1, true, [1e6, Number.NaN, Infinity]);
      r.step(1, true, [-500, 0, 0]);
      assert.strictEqual(r.limit(), 16);
      r.step(1, true, [45, 16, 16]);
      assert.strictEqual(r.limit(), 0);
      r.run(29); // the house is empty: 24 A free, four times the 6 A a resume needs, but never before 30 s
      assert.strictEqual(r.limit(), 0);
      const out = r.run(2);
      assert.strictEqual(r.limit(), 6);
      assert.match(out.flatMap((o) => o.events).find((e) => e.type === 'resumed')!.reason, /had 24 A or more free for the chargers for 30 s/);
    });
  });

  describe('stale meter', () => {
    it('drops to the minimum, then pauses, never raises on stale data, and recovers', () => {
      const r = new Rig();
      r.add();
      r.run(2);
      const outs: BalancerOutput[] = [];
      for (let i = 0; i < 14; i++) outs.push(r.step(1, false));
      assert.deepStrictEqual(limits(outs), []);
      const s15 = r.step(1, false);
      assert.deepStrictEqual(types([s15]), ['reduced', 'meterStale']);
      assert.strictEqual(s15.stale, true);
      assert.match(s15.events[1].reason, /^No fresh meter data for L1, L2, L3 for 15 s/);
      assert.strictEqual(r.limit(), 6);
      // repeated old telegrams are not fresh data either
      const old = { timeMs: r.nowMs - 20_000, seq: r.seq, currentsA: [0, 0, 0] as [number, number, number] };
      const more: BalancerOutput[] = [];
      for (let i = 0; i < 45; i++) {
        r.nowMs += 1000;
        more.push(r.balancer.step(r.nowMs, old, r.chargers.map((c) => c.input)));
        r.applyCommands(more[more.length - 1].commands);
      }
      assert.deepStrictEqual(limits(more), [0]);
      assert.deepStrictEqual(types(more), ['paused']);
      assert.match(more.flatMap((o) => o.events)[0].reason, /^No fresh meter data for L\d for 60 s: paused Garage/);
      // data returns: not stale, resume after the window, then restore in steps
      const back = r.step(1);
      assert.strictEqual(back.stale, false);
      assert.deepStrictEqual(back.commands, []);
      const rec = r.run(400);
      assert.deepStrictEqual(limits(rec), [6, 8, 10, 12, 14, 16]);
    });

    it('starts stale when no sample ever arrives', () => {
      const b = new Balancer(DEFAULT_BALANCER_CONFIG);
      const ch = chargerInput({ measuredA: [16, 16, 16] });
      assert.deepStrictEqual(b.step(0, null, [ch]).commands, []);
      const out = b.step(15_000, null, [ch]);
      assert.strictEqual(out.stale, true);
      assert.deepStrictEqual(out.commands.map((c) => c.type === 'setCurrentLimit' && c.currentA), [6]);
    });
  });

  describe('per phase', () => {
    it('a 1-phase charger on L1 is not limited by an overload on L3', () => {
      const r = new Rig();
      r.add({ phaseMap: ['L1', null, null] }, [0]);
      r.house = [0, 0, 30];
      const outs = r.run(5);
      assert.strictEqual(r.limit(), 16);
      assert.deepStrictEqual(types(outs), []);
    });

    it('detects a 1-phase car on a 3-phase charger, conservative until the car draws, remembered for the session', () => {
      const r = new Rig();
      const c = r.add({ currentLimitA: 16 }, [0]);
      c.input.measuredA = [0, 0, 0]; // car connected, not drawing yet
      r.house = [0, 0, 14];
      r.step(1, true, [0, 0, 14]);
      // all mapped phases assumed: L3 limits to 10
      assert.strictEqual(r.limit(), 10);
      r.step(1); // car now draws 10 on phase 1 (L1) only
      r.house = [0, 0, 20];
      r.run(100);
      assert.strictEqual(r.limit(), 16);
      // the car pauses drawing (e.g. full for a moment): still 1-phase
      c.carMaxA = 0;
      r.updateDraw();
      r.run(5);
      assert.strictEqual(r.limit(), 16);
      // unplug and plug in again: phases unknown again, so L3 counts
      c.input.carConnected = false;
      r.step(1);
      c.input.carConnected = true;
      const out = r.step(1);
      assert.deepStrictEqual(limits([out]), [0]);
    });

    it('counts a charger twice on a grid phase when two of its phases are wired to it', () => {
      const b = new Balancer(DEFAULT_BALANCER_CONFIG);
      const ch = chargerInput({ phaseMap: ['L1', 'L1', null], measuredA: [10, 10, 0], currentLimitA: 10 });
      const out = b.step(1000, { timeMs: 1, currentsA: [28, 0, 0] }, [ch]);
      // house 8 A on L1 → 16 A left → 8 A per charger phase
      assert.deepStrictEqual(limits([out]), [8]);
    });
  });

  describe('several chargers', () => {
    it('shares fairly, then by priority, never over a phase', () => {
      const r = new Rig({ restoreHoldS: 0, localWriteIntervalS: 0 });
      r.add({ id: 'a', name: 'A', currentLimitA: 6 });
      r.add({ id: 'b', name: 'B', currentLimitA: 6, priority: 1 });
      r.house = [1, 0, 0];
      r.run(30);
      // 23 A for two: fair 11 each, the odd amp to the higher priority
      assert.deepStrictEqual([r.limit('a'), r.limit('b')], [11, 12]);
      assert.ok(r.meter()[0] <= 24);
    });

    it('pauses the lowest priority when both minimums do not fit', () => {
      const r = new Rig();
      r.add({ id: 'a', name: 'A', priority: 2 });
      r.add({ id: 'b', name: 'B', priority: 1 });
      r.house = [14, 0, 0];
      const out = r.step(1);
      assert.deepStrictEqual([r.limit('a'), r.limit('b')], [10, 0]);
      assert.deepStrictEqual(out.commands.map((c) => `${c.chargerId}:${c.type}`).sort(), ['a:setCurrentLimit', 'b:pause']);
    });

    it('gives a newly connected car a fair share by lowering the other at once', () => {
      const r = new Rig();
      r.add({ id: 'a', name: 'A' });
      const b = r.add({ id: 'b', name: 'B', carConnected: false });
      r.house = [0, 0, 0];
      r.run(3);
      assert.strictEqual(r.limit('a'), 16);
      b.input.carConnected = true;
      const out = r.step(1);
      assert.deepStrictEqual([r.limit('a'), r.limit('b')], [12, 12]);
      assert.ok(out.commands.some((c) => c.chargerId === 'b' && /^Car connected to B: starting at 12 A/.test(c.reason)));
    });
  });
});

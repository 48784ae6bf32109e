import assert from 'assert';
import { Balancer } from '../../../lib/balancer/balancer';
import { DEFAULT_BALANCER_CONFIG } from '../../../lib/balancer/types';
import { limits, pausedWhenTheCarLeft } from './helpers';
import { chargerInput, Rig } from './rig';

describe('lib/balancer/balancer', () => {
  describe('writes', () => {
    it('names the phase that really stopped a charger, not the one with the least raw headroom', () => {
      const r = new Rig();
      r.add({ id: 'goe', name: 'go-e', currentLimitA: 16 });
      r.add({ id: 'ca', name: 'Halo', currentLimitA: 16, phaseMap: ['L3', null, null] }, [0]);
      r.house = [8, 8, 2]; // raw headroom L1 16 A, L3 22 A; but L3 is shared: 11 A each
      const out = r.step(1);
      const cut = out.events.find((e) => e.chargerId === 'goe' && e.type === 'reduced');
      assert.ok(cut, JSON.stringify(out.events));
      assert.strictEqual(cut.phase, 'L3');
      assert.match(cut.reason, /^L3 at 34 A of 25 A fuse \(house 2 A, Halo 16 A\): lowered go-e from 16 A to 11 A$/, 'and what else is on it');
    });

    it('does not take back a raise to exactly fuse − margin when the meter then reads a few hundredths more', () => {
      const r = new Rig({ restoreHoldS: 0, localWriteIntervalS: 0 });
      r.add({ currentLimitA: 10, phaseMap: ['L1', null, null] }, [0]);
      r.house = [14, 0, 0];
      r.run(30);
      assert.strictEqual(r.limit(), 10, 'raised to exactly 24 − 14 = 10 A');
      r.house = [14.02, 0, 0]; // P/U rounding at the meter: 24.02 A
      const outs = r.run(60);
      assert.deepStrictEqual(outs.flatMap((o) => o.commands), [], 'no cut, no raise/cut pair');
      r.house = [14.6, 0, 0]; // a real 0.6 A over fuse − margin: cut
      assert.strictEqual(limits([r.step(1)])[0], 9);
    });

    it('never re-commands the same limit', () => {
      const r = new Rig();
      r.add();
      r.house = [12, 0, 0];
      const outs = r.run(20);
      assert.deepStrictEqual(limits(outs), [12]);
    });

    it('says a new limit once: repeating, retrying and confirming are the actuator\'s (lib/actuator.ts)', () => {
      const b = new Balancer(DEFAULT_BALANCER_CONFIG);
      // the write never lands: the charger keeps reporting 16 A and drawing it
      const ch = chargerInput({ measuredA: [16, 16, 16], currentLimitA: 16 });
      const sent: number[] = [];
      for (let t = 1; t <= 70; t++) {
        const out = b.step(t * 1000, { timeMs: t * 1000, currentsA: [30, 16, 16] }, [ch]);
        for (const c of out.commands) if (c.type === 'setCurrentLimit') sent.push(t, c.currentA);
        assert.strictEqual(out.targets[ch.id], 10, 'the target stays what the house allows');
      }
      assert.deepStrictEqual(sent, [1, 10]);
    });

    it('a cloud charger gets at most one raise per cloudWriteIntervalS, decreases go at once', () => {
      const r = new Rig({ restoreHoldS: 0, cloudWriteIntervalS: 60, localWriteIntervalS: 5 });
      r.add({ latencyClass: 'cloud', currentLimitA: 6 });
      const outs = r.run(130);
      const at = outs.flatMap((o, i) => o.commands.map((c) => [i + 1, c.type === 'setCurrentLimit' && c.currentA]));
      assert.deepStrictEqual(at, [
        [1, 8],
        [61, 10],
        [121, 12],
      ]);
      r.house = [14, 0, 0];
      assert.deepStrictEqual(limits([r.step(1)]), [10]);
    });

    it('a cloud charger is raised only into headroom that held for cloudRaiseWindowS, with cloudRaiseReserveA to spare', () => {
      const cfg = { restoreHoldS: 0, restoreStepA: 2, cloudWriteIntervalS: 0, localWriteIntervalS: 0, cloudRaiseWindowS: 60, cloudRaiseReserveA: 1 };
      // an oven element on L1 cycles 14 A ↔ 8 A; the car (1 phase on L1) sits at what fits: 24 − 14 = 10 A
      const rigs = (['cloud', 'local'] as const).map((latencyClass) => {
        const r = new Rig(cfg);
        r.add({ latencyClass, currentLimitA: 10, phaseMap: ['L1', null, null] }, [0]);
        r.house = [14, 0, 0];
        r.run(90);
        assert.strictEqual(r.limit(), 10);
        r.house = [8, 0, 0]; // the element is off for 30 s
        r.run(30);
        return r;
      });
      const [cloud, local] = rigs;
      assert.strictEqual(cloud.limit(), 10, 'the cloud charger waits: 14 A was seen within the last 60 s');
      assert.strictEqual(local.limit(), 16, 'a local charger restores at once, it can be cut back within seconds');
      // the element comes back: both are cut in one step, the reserve never delays a decrease
      for (const r of rigs) {
        r.house = [14, 0, 0];
        assert.deepStrictEqual(limits([r.step(1)]), r === cloud ? [] : [10]);
      }
      // a dip that lasts: once 60 s have passed without the peak, the cloud charger restores, 1 A below the headroom
      cloud.house = [8, 0, 0];
      const ups = limits(cloud.run(59));
      assert.deepStrictEqual(ups, [], 'still inside the window');
      assert.deepStrictEqual(limits(cloud.run(30)), [12, 14, 15]);
      assert.strictEqual(cloud.limit(), 15);
      // with the window and reserve at 0 it behaves like a local charger
      const plain = new Rig({ ...cfg, cloudRaiseWindowS: 0, cloudRaiseReserveA: 0 });
      plain.add({ latencyClass: 'cloud', currentLimitA: 10, phaseMap: ['L1', null, null] }, [0]);
      plain.house = [14, 0, 0];
      plain.run(90);
      plain.house = [8, 0, 0];
      plain.run(30);
      assert.strictEqual(plain.limit(), 16);
    });

    it('a local charger gets at most one raise per localWriteIntervalS', () => {
      const r = new Rig({ restoreHoldS: 0, localWriteIntervalS: 5 });
      r.add({ currentLimitA: 6 });
      const outs = r.run(12);
      const at = outs.flatMap((o, i) => o.commands.map((c) => [i + 1, c.type === 'setCurrentLimit' && c.currentA]));
      assert.deepStrictEqual(at, [
        [1, 8],
        [6, 10],
        [11, 12],
      ]);
    });
  });

  describe('who is balanced', () => {
    it('never commands a disabled charger and counts its draw as house load', () => {
      const r = new Rig();
      r.add({ id: 'a', name: 'A' });
      r.add({ id: 'd', name: 'D', enabled: false, currentLimitA: 16 });
      r.house = [0, 0, 0];
      const outs = r.run(5);
      assert.ok(outs.every((o) => o.commands.every((c) => c.chargerId !== 'd')));
      assert.ok(!('d' in outs[0].allowedA));
      // D draws 16: A gets only 8
      assert.strictEqual(r.limit('a'), 8);
    });

    it('holds a charger without a car at its minimum (once), and starts a new session at what fits, not at max', () => {
      const r = new Rig();
      const c = r.add({ carConnected: false, currentLimitA: 16 });
      r.house = [15, 0, 0];
      const outs = r.run(10);
      assert.deepStrictEqual(limits(outs), [6], 'one write: the next car starts at 6 A, whatever the last session left');
      assert.match(outs[0].commands[0].reason, /^No car at Garage: held at 6 A for the next session$/);
      assert.strictEqual(outs[9].allowedA.a, 0);
      assert.strictEqual(outs[9].targets.a, 6);
      c.input.carConnected = true;
      r.updateDraw();
      c.input.measuredA = [0, 0, 0]; // the car waits before drawing
      const start = r.step(1, true, [15, 0, 0]);
      assert.deepStrictEqual(limits([start]), [9]);
      assert.match(start.commands[0].reason, /^Car connected to Garage: starting at 9 A \(9 A free on L1\)$/);
    });

    it('starts a new session at once on a charger that was paused when the last car left', () => {
      const r = pausedWhenTheCarLeft();
      const out = r.step(1);
      assert.deepStrictEqual(out.commands.map((x) => [x.type, x.type === 'resume' && x.currentA]), [['resume', 16]]);
    });

    it('leaves a charger the user paused alone', () => {
      const r = new Rig();
      r.add({ paused: true });
      r.house = [30, 0, 0];
      assert.deepStrictEqual(limits(r.run(200)), []);
    });
  });
});

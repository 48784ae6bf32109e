import assert from 'assert';
import { ManualClock } from '../../lib/clock';
import { Controller } from '../../lib/controller';
import { applyLimits, combineSiteLimits, lowestChargerLimit, type LimitSource } from '../../lib/limits';
import { defaultAppSettings } from '../../lib/settings';
import { Rig, chargerInput } from './balancer/rig';
import { FakeCharger } from './fakeCharger';

describe('lib/limits', () => {
  it('combines site ceilings per phase and keeps the reason of the lowest', () => {
    const s = combineSiteLimits([
      { ceilingA: [10, null, 8], reason: 'cap' },
      null,
      { ceilingA: [12, 5, null], reason: 'other' },
    ]);
    assert.deepStrictEqual(s, { ceilingA: [10, 5, 8], reason: 'other' });
    assert.strictEqual(combineSiteLimits([null, { ceilingA: [null, null, null], reason: 'x' }]), null);
  });

  it('takes the lowest finite charger ceiling', () => {
    assert.deepStrictEqual(lowestChargerLimit([{ maxA: 10, reason: 'a' }, null, { maxA: 7, reason: 'b' }, { maxA: NaN, reason: 'c' }]), { maxA: 7, reason: 'b' });
    assert.strictEqual(lowestChargerLimit([null, undefined]), null);
  });

  it('applies charger ceilings (below the minimum: 0 with the reason), skips a source that throws', () => {
    const inputs = [chargerInput({ id: 'a' }), chargerInput({ id: 'b' }), chargerInput({ id: 'c' })];
    const seen: string[] = [];
    const sources: LimitSource[] = [
      { id: 'mode', charger: (_t, i) => (i.id === 'a' ? { maxA: 4, reason: 'Solar only: no surplus' } : i.id === 'b' ? { maxA: 10.6, reason: 'plan' } : null) },
      {
        id: 'broken',
        observe: () => {
          throw new Error('boom');
        },
        charger: () => {
          throw new Error('boom');
        },
      },
      { id: 'cap', observe: (_n, _w, _s, ch) => seen.push(...ch.map((c) => `${c.id}:${c.maxCurrentA}`)), site: () => ({ ceilingA: [9, 9, 9], reason: 'cap' }) },
    ];
    const errors: string[] = [];
    const site = applyLimits(sources, { nowMs: 0, wallMs: 0, sample: null }, inputs, (src) => errors.push(src.id));
    assert.deepStrictEqual(inputs.map((i) => [i.maxCurrentA, i.maxReason]), [[0, 'Solar only: no surplus'], [10, 'plan'], [16, undefined]]);
    assert.deepStrictEqual(seen, ['a:16', 'b:16', 'c:16'], 'sources observe the inputs before any limit');
    assert.deepStrictEqual(site, { ceilingA: [9, 9, 9], reason: 'cap' });
    assert.ok(errors.length >= 2 && errors.every((e) => e === 'broken'));
  });

  describe('in the balancer', () => {
    it('a site ceiling below the fuse headroom binds, and its reason is what the user reads', () => {
      const r = new Rig();
      r.add({}, [0, 1, 2]);
      r.house = [2, 2, 2];
      r.site = { ceilingA: [7, 7, 7], reason: 'Capacity cap 5 kW: 4.8 kW left this quarter-hour' };
      const out = r.step(1);
      r.run(3);
      assert.strictEqual(r.limit(), 7);
      const reasons = [...out.events, ...r.log.flatMap((o) => o.events)].map((e) => e.reason).join(' | ');
      r.site = { ceilingA: [6, 6, 6], reason: 'Capacity cap 5 kW: 4.1 kW left' };
      const cut = r.step(1);
      assert.strictEqual(r.limit(), 6);
      assert.match(cut.events.map((e) => e.reason).join(' | '), /Capacity cap 5 kW: 4\.1 kW left: lowered Garage from 7 A to 6 A/, reasons);
    });

    it('the fuse still wins over a higher ceiling', () => {
      const r = new Rig();
      r.add({}, [0, 1, 2]);
      r.house = [20, 2, 2];
      r.site = { ceilingA: [30, 30, 30], reason: 'cap' };
      const out = r.step(1);
      assert.strictEqual(r.limit(), 0);
      assert.doesNotMatch(out.events.map((e) => e.reason).join(), /cap/);
    });

    it('a charger ceiling below its minimum pauses with its reason, and it resumes at once when lifted after the headroom held', () => {
      const r = new Rig();
      const c = r.add({}, [0, 1, 2]);
      r.house = [2, 2, 2];
      r.run(2);
      c.input.maxCurrentA = 0;
      c.input.maxReason = 'Solar only: no surplus';
      const out = r.step(1);
      assert.strictEqual(r.limit(), 0);
      assert.match(out.events.map((e) => e.reason).join(), /Solar only: no surplus/);
      r.run(130);
      assert.strictEqual(r.limit(), 0, 'held paused while the ceiling is below the minimum');
      c.input.maxCurrentA = 16;
      c.input.maxReason = undefined;
      r.step(1);
      assert.ok((r.limit() ?? 0) >= 6, 'resumed on the first step after the ceiling lifted');
    });
  });

  it('an answer that is no number of amps (NaN, -Infinity) is the worst case, 0 A, and reported; Infinity is no ceiling (regression: it lifted the limit silently)', () => {
    for (const bad of [NaN, -Infinity]) {
      const inputs = [chargerInput({ id: 'a', name: 'Garage' })];
      const errors: string[] = [];
      const src: LimitSource = { id: 'mode', charger: () => ({ maxA: bad, reason: 'Off' }), site: () => ({ ceilingA: [bad, null, 12], reason: 'cap' }) };
      const site = applyLimits([src], { nowMs: 0, wallMs: 0, sample: null }, inputs, (s, err) => errors.push(`${s.id}: ${(err as Error).message}`));
      assert.strictEqual(inputs[0].maxCurrentA, 0, `${bad}: the charger is held at 0 A`);
      assert.deepStrictEqual(site, { ceilingA: [0, null, 12], reason: 'cap' });
      assert.deepStrictEqual(errors, [
        `mode: ceiling for Garage is not a number of amps (${bad}): 0 A until it answers again`,
        `mode: site ceiling on L1 is not a number of amps (${bad}): 0 A until it answers again`,
      ]);
    }
    const inputs = [chargerInput({ id: 'a' })];
    const site = applyLimits([{ id: 'x', charger: () => ({ maxA: Infinity, reason: 'none' }) }], { nowMs: 0, wallMs: 0, sample: null }, inputs, () => assert.fail('no error'));
    assert.strictEqual(inputs[0].maxCurrentA, chargerInput({ id: 'a' }).maxCurrentA);
    assert.strictEqual(site, null);
  });

  it('the controller applies its limit sources to what it hands the actuators', async () => {
    const clock = new ManualClock(Date.UTC(2025, 5, 1, 12));
    const lines: string[] = [];
    const ctrl = new Controller({ clock, settings: { ...defaultAppSettings(), fuseA: 25, marginA: 1 }, log: (l) => lines.push(l) });
    const c = new FakeCharger('a');
    c.drawA = 32;
    ctrl.addCharger(c, 'Garage');
    let maxA = 8;
    ctrl.addLimitSource({ id: 'mode', charger: () => ({ maxA, reason: 'Mode' }) });
    let seq = 0;
    const flush = async (): Promise<void> => {
      for (let i = 0; i < 10; i++) await Promise.resolve();
    };
    for (let s = 0; s < 60; s++) {
      await clock.advance(1000);
      ctrl.reportStatus('a', c.status());
      ctrl.onSample({ timeMs: clock.nowMs(), seq: ++seq, currentsA: [2, 2, 2] });
      await flush();
    }
    assert.strictEqual(c.limitA, 8);
    maxA = 3;
    ctrl.tick();
    await flush();
    assert.strictEqual(c.paused, true);
    ctrl.removeLimitSource('mode');
    assert.strictEqual(ctrl.events()[0].reason.includes('Mode'), true);
    // a source that keeps failing is skipped each step and logged once, not every second
    ctrl.addLimitSource({ id: 'broken', charger: () => { throw new Error('no data'); } });
    for (let i = 0; i < 5; i++) ctrl.tick();
    assert.deepStrictEqual(lines.filter((l) => l.includes('broken')), ['Limit "broken" skipped: no data']);
  });

  it("a device's own restart keeps the app's pause: the charger resumes when the limit lifts", async () => {
    const clock = new ManualClock(Date.UTC(2025, 5, 1, 12));
    const saved: unknown[] = [];
    const store = { load: (): unknown => null, save: (st: unknown): void => void saved.push(st) };
    const ctrl = new Controller({ clock, settings: { ...defaultAppSettings(), fuseA: 25, marginA: 1 }, store });
    let c = new FakeCharger('a');
    c.drawA = 32;
    ctrl.addCharger(c, 'Garage');
    let maxA = 0;
    ctrl.addLimitSource({ id: 'mode', charger: () => ({ maxA, reason: 'Charging mode Off' }) });
    let seq = 0;
    const flush = async (): Promise<void> => {
      for (let i = 0; i < 10; i++) await Promise.resolve();
    };
    const run = async (seconds: number): Promise<void> => {
      for (let s = 0; s < seconds; s++) {
        await clock.advance(1000);
        ctrl.reportStatus('a', c.status());
        ctrl.onSample({ timeMs: clock.nowMs(), seq: ++seq, currentsA: [2, 2, 2] });
        await flush();
      }
    };
    await run(5);
    assert.strictEqual(c.paused, true, 'paused by the mode');
    // the device restarts alone (the app keeps running): a new client for the same charger, still paused
    ctrl.removeCharger('a');
    const again = new FakeCharger('a');
    again.drawA = 32;
    again.paused = true;
    c = again;
    ctrl.addCharger(c, 'Garage');
    await run(130); // the headroom holds for the whole resume window while the mode keeps it off
    maxA = 16;
    await run(5);
    assert.strictEqual(c.paused, false, 'resumed: the pause was the app\'s own, not someone else\'s');
  });
});

import assert from 'assert';
import { EvccPolicy, validateCurrent } from '../../../tools/sim/peers/evcc';
import { POLICY_NAMES } from '../../../tools/sim/policies';
import type { Scenario } from '../../../tools/sim/simulate';
import { charger, reading, runLogged, trace } from './policiesRig';

/** 3-phase car 16 A (follows after 5 s, starts 10 s late), go-e (1 s), 1 s meter, fuse 25 A, margin 1 A: circuit limit 24 A. */
const base = (rows: string[], over: Partial<Scenario> = {}): Scenario => ({
  trace: trace(rows),
  fuseA: 25,
  marginA: 1,
  car: { phases: 3, maxA: 16 },
  meter: { intervalS: 1 },
  charger: 'goe',
  ...over,
});

describe('tools/sim/peers/evcc', () => {
  it('is a policy name; the evcc-like straw man is gone', () => {
    assert.ok(POLICY_NAMES.includes('evcc'));
    assert.ok(!(POLICY_NAMES as readonly string[]).includes('evcc-like'));
  });

  it('ValidateCurrent caps a rise at the circuit potential and cuts by the excess', () => {
    assert.strictEqual(validateCurrent(0, 16, 24, 15), 9, 'old = 0: the first offer is the headroom');
    assert.strictEqual(validateCurrent(16, 16, 24, 31), 9, 'over by 7: old + potential');
    assert.strictEqual(validateCurrent(9, 16, 24, 24), 9, 'no potential: stays');
    assert.strictEqual(validateCurrent(9, 16, 24, 14), 16, 'enough potential: the request');
    assert.strictEqual(validateCurrent(16, 16, 24, Infinity), 0, 'meter timeout: overload');
  });

  it('starts a session within the headroom because old = the measured current, 0 before the car draws', () => {
    const out = runLogged('evcc', base(['0,15,0,0', '600,15,0,0']));
    assert.deepStrictEqual(out.log[0], { t: 0, type: 'setCurrentLimit', a: 9 });
    assert.strictEqual(out.metrics.overloadAmpSeconds, 0);
  });

  it('takes old from the car, not from the offer: a car drawing 10 A of 16 A offered is capped at 10 + potential', () => {
    const p = new EvccPolicy({ fuseA: 25, marginA: 1, carGridPhases: [0, 1, 2] });
    const cmds = p.step({ nowMs: 0, sample: reading(0, [22, 10, 10]), chargers: [charger({ measuredA: [10, 10, 10] })], householdA: [12, 0, 0] });
    assert.deepStrictEqual(cmds.map((c) => [c.type, 'currentA' in c ? c.currentA : null]), [['setCurrentLimit', 12]]);
  });

  it('truncates to whole amps', () => {
    const out = runLogged('evcc', base(['0,15.6,0,0', '120,15.6,0,0'], { meter: { intervalS: 1, wholeAmps: false } }));
    assert.deepStrictEqual(out.log[0], { t: 0, type: 'setCurrentLimit', a: 8 });
  });

  it('acts only every 30 s: a jump at 61 s is cut at 90 s', () => {
    const out = runLogged('evcc', base(['0,0,0,0', '61,15,0,0', '361,0,0,0', '600,0,0,0']));
    assert.deepStrictEqual(out.log, [
      { t: 90, type: 'setCurrentLimit', a: 9 },
      { t: 390, type: 'setCurrentLimit', a: 16 },
    ]);
    assert.strictEqual(out.metrics.overloadAmpSeconds, 6 * 35, 'over from 61 s until 90 + 1 + 5 s');
  });

  it('disables at once below the minimum and enables on a later cycle once the minimum fits', () => {
    const out = runLogged('evcc', base(['0,0,0,0', '61,20,0,0', '200,0,0,0', '400,0,0,0']));
    // 90 s: 36 A on a 24 A circuit, old 16 → 4 A < 6: disabled. 120–180 s: car off, 20 A → 4 A: stays off. 210 s: 16 A.
    assert.deepStrictEqual(out.log, [
      { t: 90, type: 'pause' },
      { t: 210, type: 'resume', a: 16 },
    ]);
    assert.strictEqual(out.metrics.pauses, 1);
  });

  it('counts a meter silent for more than the 1 min circuit timeout as overload', () => {
    const out = runLogged('evcc', base(['0,0,0,0', '300,0,0,0'], { meter: { intervalS: 200 } }));
    assert.deepStrictEqual(out.log.slice(0, 2), [
      { t: 90, type: 'pause' },
      { t: 210, type: 'resume', a: 16 },
    ]);
  });

  it('disables the charger while no car is connected; a car that plugs in starts at the next cycle, within the headroom', () => {
    const out = runLogged('evcc', base(['0,15,0,0', '300,15,0,0'], { plugInAfterS: 45 }));
    assert.deepStrictEqual(out.log.slice(0, 2), [
      { t: 0, type: 'pause' },
      { t: 60, type: 'resume', a: 9 },
    ]);
    assert.strictEqual(out.metrics.overloadAmpSeconds, 0);
  });
});

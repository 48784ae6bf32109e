import assert from 'assert';
import { PhaseMonitor, tripRiskPerSecond } from '../../../tools/sim/peers/hassEvse';
import type { Scenario } from '../../../tools/sim/simulate';
import { runLogged, trace } from './policiesRig';

/**
 * Fuse 25 A, margin 0 (hass-evse's fuse size 25 A); 3-phase car 16 A drawing from 15 s; go-e (1 s); 1 s
 * meter. `rows` add household current on L1.
 */
const base = (rows: string[]): Scenario => ({
  trace: trace(['0,0,0,0', ...rows]),
  fuseA: 25,
  marginA: 0,
  car: { phases: 3, maxA: 16 },
  meter: { intervalS: 1 },
  charger: 'goe',
});

describe('tools/sim/peers/hassEvse', () => {
  it('trip risk per second by overcurrent: threshold/60 ≤ 13 %, /30 ≤ 40 %, /10 ≤ 100 %, all of it above', () => {
    assert.deepStrictEqual([-2, -3, -4, -10, -11, -25, -26].map((a) => tripRiskPerSecond(a, 25)), [1, 1, 2, 2, 6, 6, 60]);
  });

  it('the phase monitor integrates, resets on a cut and decays 1 per second', () => {
    const m = new PhaseMonitor(25);
    assert.strictEqual(m.update(5, 0), 5);
    for (let t = 1; t <= 59; t++) assert.strictEqual(m.update(-3, t), 5, `keeps its last limit at ${t} s`);
    assert.strictEqual(m.update(-3, 60), -3, 'risk 60 reached: the limit is the deficit');
    assert.strictEqual(m.risk, 0);
    for (let t = 61; t <= 90; t++) m.update(-2, t);
    assert.strictEqual(m.risk, 30);
    m.update(30, 100);
    assert.strictEqual(m.risk, 20, '10 s not over: 10 less');
    assert.strictEqual(m.limitA, 25, 'limit at most the fuse');
  });

  // House L1 from 100 s: car 16 A + house → overcurrent of the 25 A fuse, the cut and when it is written.
  for (const { houseA, pct, cutAt, to } of [
    { houseA: 11, pct: '8 %', cutAt: 159, to: 14 },
    { houseA: 19, pct: '40 %', cutAt: 129, to: 6 },
    { houseA: 22, pct: '52 %', cutAt: 109, to: 3 },
    { houseA: 35, pct: '104 %', cutAt: 100, to: 0 },
  ]) {
    it(`tolerates a ${pct} overcurrent for ${cutAt - 100 + 1} s, then cuts by the deficit (to ${to} A)`, () => {
      const out = runLogged('hass-evse', base([`100,${houseA},0,0`, '400,0,0,0']));
      const first = out.log[0];
      assert.strictEqual(first.t, cutAt);
      if (to < 6) assert.strictEqual(first.type, 'pause', 'below the minimum the charger pauses');
      else assert.deepStrictEqual(first, { t: cutAt, type: 'setCurrentLimit', a: to });
    });
  }

  it('the risk decays while not over: 30 s over, 20 s under, then 50 s more before the cut', () => {
    const out = runLogged('hass-evse', base(['100,11,0,0', '130,0,0,0', '150,11,0,0', '400,0,0,0']));
    assert.deepStrictEqual(out.log[0], { t: 199, type: 'setCurrentLimit', a: 14 });
  });

  it('decreases at once but raises only after its 15 min hysteresis since the last write', () => {
    const out = runLogged('hass-evse', base(['100,11,0,0', '200,0,0,0', '1200,0,0,0']));
    assert.deepStrictEqual(out.log, [
      { t: 159, type: 'setCurrentLimit', a: 14 },
      { t: 159 + 900 + 1, type: 'setCurrentLimit', a: 16 },
    ]);
  });

  it('writes at most once per 20 s, also a decrease', () => {
    // After the cut to 14 A at 159 s, L1 goes to 40 + 14 A at 170 s (116 %): the cut waits until 180 s.
    const out = runLogged('hass-evse', base(['100,11,0,0', '170,40,0,0', '300,0,0,0']));
    assert.deepStrictEqual(out.log.slice(0, 2), [
      { t: 159, type: 'setCurrentLimit', a: 14 },
      { t: 180, type: 'pause' },
    ]);
  });

  it('counts every phase, also one the car does not use', () => {
    const s = base(['100,0,0,35', '300,0,0,0']);
    const out = runLogged('hass-evse', { ...s, car: { phases: 1, phase: 'L1', maxA: 16 } });
    assert.deepStrictEqual(out.log[0], { t: 129, type: 'setCurrentLimit', a: 6 }, 'L3 10 A over (40 %, no car on it): after 30 s, 16 − 10');
  });

  it('does nothing before a car plugs in and starts it at the charger\'s limit', () => {
    const s = { ...base(['0,15,0,0', '300,15,0,0']), plugInAfterS: 60 };
    const out = runLogged('hass-evse', s);
    // 15 + 16 A = 31 A, 24 %: 30 s of trip risk from the car's first draw (plug-in + 15 s) before the cut by 6 A.
    assert.deepStrictEqual(out.log[0], { t: 60 + 15 + 29, type: 'setCurrentLimit', a: 10 });
  });
});

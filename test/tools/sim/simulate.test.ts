import assert from 'assert';
import { CarModel, ChargerModel, MeterModel } from '../../../tools/sim/models';
import type { Policy, PolicyStep } from '../../../tools/sim/policies';
import { phaseRotation, runPolicies, runPolicy, type Scenario } from '../../../tools/sim/simulate';
import { parseTraceCsv } from '../../../tools/sim/trace';

const trace = (rows: string[]): Scenario['trace'] => parseTraceCsv(`time,l1,l2,l3\n${rows.join('\n')}\n`, 't.csv');

/** A car that follows at once and starts at once: makes the integrals easy to do by hand. */
const instantCar = { phases: 3 as const, maxA: 16, followS: 0, startDelayS: 0 };

describe('tools/sim/models', () => {
  it('meter gives a fresh, timestamped, whole-amp sample only at its interval', () => {
    const m = new MeterModel({ intervalS: 10 });
    const got = [0, 1, 9, 10, 15, 20].map((t) => m.read(t, [1.4, -2.6, 3.5]));
    assert.deepStrictEqual(got.map((s) => s?.timeMs ?? null), [0, null, null, 10_000, null, 20_000]);
    assert.deepStrictEqual(got[0]!.currentsA, [1, -3, 4]);
    assert.deepStrictEqual(new MeterModel({ intervalS: 1, wholeAmps: false }).read(0, [1.4, 0, 0])!.currentsA, [1.4, 0, 0]);
  });

  it('car follows the offer after followS, starts after startDelayS, draws nothing below 6 A', () => {
    const car = new CarModel({ phases: 1, phase: 'L2', maxA: 13, followS: 5, startDelayS: 10 });
    assert.deepStrictEqual(car.gridPhases, [1]);
    car.offer(0, 16);
    const draw = (t: number): number => car.update(t);
    assert.deepStrictEqual([0, 4, 5, 14, 15].map(draw), [0, 0, 0, 0, 13], 'follow 5 s, then start delay 10 s, capped at 13 A');
    car.offer(20, 8);
    assert.deepStrictEqual([24, 25].map(draw), [13, 8]);
    car.offer(30, 5);
    assert.strictEqual(draw(35), 0, 'below the minimum the car stops');
    car.offer(40, 10);
    assert.deepStrictEqual([45, 54, 55].map(draw), [0, 0, 10], 'and needs the start delay again');
    assert.deepStrictEqual(car.drawPerPhase(), [0, 10, 0]);
  });

  it('charger applies commands after its latency, clamps to whole amps, counts writes and pauses', () => {
    const c = new ChargerModel(15, 6, 16);
    c.setCurrentLimit(0, 9.7);
    assert.strictEqual(c.advance(14), 16);
    assert.strictEqual(c.advance(15), 9);
    c.pause(20);
    c.pause(21);
    c.resume(40, 3);
    assert.strictEqual(c.advance(36), 0);
    assert.strictEqual(c.advance(55), 6);
    assert.deepStrictEqual([c.writes, c.pauses], [4, 1]);
  });

  it('maps a single-phase car to charger phase 1 on the chosen grid phase', () => {
    assert.deepStrictEqual(phaseRotation('L2'), ['L2', 'L3', 'L1']);
  });
});

describe('tools/sim/simulate metrics', () => {
  it('integrates overload over |I| − fuse per phase, by hand', () => {
    // Car draws 16 A on every phase from t = 0 (policy none). Fuse 25 A.
    // [0,10): L1 10+16 = 26 → 1 A over; [10,20): L1 20+16 = 36 → 11 A over and L2 −45+16 = −29 → 4 A over;
    // [20,30): nothing over. Overload = 1·10 + 11·10 + 4·10 = 160 A·s; 20 s with a phase over; max 11 A.
    const s: Scenario = {
      trace: trace(['0,10,0,0', '10,20,-45,0', '20,0,0,0']),
      fuseA: 25,
      marginA: 1,
      car: instantCar,
      meter: { intervalS: 1 },
      charger: 'goe',
    };
    const m = runPolicy(s, 'none').metrics;
    assert.strictEqual(m.overloadAmpSeconds, 160);
    assert.strictEqual(m.secondsOverFuse, 20);
    assert.strictEqual(m.maxOverloadA, 11);
    assert.strictEqual(m.chargerWrites, 0);
    assert.strictEqual(m.durationHours, 30 / 3600);
    // 16 A × 3 phases × 230 V × 30 s = 331 200 W·s.
    assert.ok(Math.abs(m.energyKWh - 331_200 / 3.6e6) < 1e-12);
  });

  it('a finer step gives the same integral on a step trace', () => {
    const s: Scenario = { trace: trace(['0,10,0,0', '10,20,0,0', '20,0,0,0']), fuseA: 25, marginA: 0, car: instantCar, meter: { intervalS: 1 }, charger: 'goe' };
    const coarse = runPolicy(s, 'none').metrics.overloadAmpSeconds;
    const fine = runPolicy({ ...s, stepS: 0.5 }, 'none').metrics.overloadAmpSeconds;
    assert.ok(Math.abs(coarse - fine) < 1e-9 && coarse === 120, `${coarse} vs ${fine}`);
  });
  it('trip stress, session-start overload and paused time, by hand', () => {
    // Fuse 20 A, car 16 A on every phase from t = 0 (policy none). L1: 35 + 16 = 51 A = 2.55 In for 10 s.
    // MCB C fastest: 1 s to trip at 2.55 In → 10 × 1/1 = 10. gG 20 A fastest: 3.951 s at 51 A → 10/3.951 = 2.531.
    // L2 and L3 carry 16 A < 1.13 × 20 A: no stress. Overload (51 − 20) × 10 = 310 A·s, all in the first 120 s.
    const s: Scenario = { trace: trace(['0,35,0,0', '10,0,0,0', '300,0,0,0']), fuseA: 20, marginA: 0, car: instantCar, meter: { intervalS: 1 }, charger: 'goe' };
    const m = runPolicy(s, 'none').metrics;
    assert.ok(Math.abs(m.tripStressMcbC - 10) < 1e-9, `${m.tripStressMcbC}`);
    assert.ok(Math.abs(m.tripStressGg - 10 / 3.951) < 1e-3, `${m.tripStressGg}`);
    assert.strictEqual(m.overloadAmpSeconds, 310);
    assert.strictEqual(m.startOverloadAmpSeconds, 310);
    assert.strictEqual(m.secondsPaused, 0);
    // The same burst at 110–130 s: only 110–120 s is in the session's first 120 s.
    const late = runPolicy({ ...s, trace: trace(['0,0,0,0', '110,35,0,0', '130,0,0,0', '300,0,0,0']) }, 'none').metrics;
    assert.deepStrictEqual([late.overloadAmpSeconds, late.startOverloadAmpSeconds], [620, 310]);
    // ideal pauses while the headroom on L1 is below 6 A: 20 − 15 = 5 A for 60 s.
    const ideal = runPolicy({ ...s, trace: trace(['0,0,0,0', '60,15,0,0', '120,0,0,0', '300,0,0,0']) }, 'ideal').metrics;
    assert.deepStrictEqual([ideal.pauses, ideal.secondsPaused, ideal.tripStressMcbC], [1, 60, 0]);
  });

  it('plugInAfterS: the policy sees the charger without a car first; metrics start at the plug-in', () => {
    // A policy that holds the charger at 6 A while no car is there and then never writes again.
    const seen: [number, boolean][] = [];
    const holdSix: Policy = {
      name: 'hold-six',
      step({ nowMs, chargers }: PolicyStep) {
        const ch = chargers[0];
        seen.push([nowMs, ch.carConnected]);
        return !ch.carConnected && ch.currentLimitA !== 6 && nowMs === 0 ? [{ type: 'setCurrentLimit', chargerId: ch.id, currentA: 6, reason: 'no car' }] : [];
      },
    };
    const s: Scenario = { trace: trace(['0,15,0,0', '100,0,0,0']), fuseA: 25, marginA: 0, car: instantCar, meter: { intervalS: 1 }, charger: 'chargeamps', plugInAfterS: 30 };
    const m = runPolicy(s, holdSix).metrics;
    assert.deepStrictEqual(seen.slice(0, 2), [[0, false], [1000, false]]);
    assert.deepStrictEqual(seen[30], [30_000, true], 'the car plugs in after 30 s of clock');
    assert.strictEqual(seen.length, 30 + 200, 'rows at 0 and 100 s: the trace lasts 200 s');
    // The Charge Amps write lands at 15 s, before the car arrives: 15 + 6 = 21 A on L1, never over 25 A.
    assert.strictEqual(m.overloadAmpSeconds, 0);
    assert.strictEqual(m.chargerWrites, 1);
    assert.strictEqual(m.durationHours, 200 / 3600, 'only the session is measured');
    // 6 A × 3 phases × 230 V × 200 s.
    assert.ok(Math.abs(m.energyKWh - (6 * 3 * 230 * 200) / 3.6e6) < 1e-12);
    // Without the lead the car is there from the start: the charger stays at 16 A, 15 + 16 = 31 A for 100 s.
    const noLead = runPolicy({ ...s, plugInAfterS: 0 }, holdSix).metrics;
    assert.deepStrictEqual([noLead.chargerWrites, noLead.startOverloadAmpSeconds], [0, 6 * 100]);
  });
});

describe('tools/sim/policies', () => {
  // House L1 jumps from 0 to 15 A at t = 61 s for 5 minutes; 3-phase car 16 A; fuse 25 A, margin 1 A.
  // The realistic car (follow 5 s, start delay 10 s) draws 16 A from t = 15 s.
  const step: Scenario = {
    trace: trace(['0,0,0,0', '61,15,0,0', '361,0,0,0', '600,0,0,0']),
    fuseA: 25,
    marginA: 1,
    car: { phases: 3, maxA: 16 },
    meter: { intervalS: 1 },
    charger: 'goe',
  };
  const all = runPolicies(step).results;
  const get = (name: string) => all.find((r) => r.policy === name)!;

  it('none keeps the car at its maximum: 6 A over for the whole 300 s step', () => {
    assert.strictEqual(get('none').overloadAmpSeconds, 6 * 300);
    assert.strictEqual(get('none').chargerWrites, 0);
  });

  it('ideal never overloads and sets the reference energy', () => {
    assert.strictEqual(get('ideal').overloadAmpSeconds, 0);
    assert.strictEqual(get('ideal').energyRatio, 1);
    assert.ok(get('none').energyRatio! > 1);
  });

  it('reactive-oracle is over only for latency + follow time: 6 A × (1 s + 5 s)', () => {
    assert.strictEqual(get('reactive-oracle').overloadAmpSeconds, 36);
    assert.strictEqual(get('reactive-oracle').pauses, 0);
  });

  it('evcc waits for its 30 s loop: over from 61 s until 90 + 1 + 5 s', () => {
    assert.strictEqual(get('evcc').overloadAmpSeconds, 6 * 35);
  });

  it('seed-flows cuts by the excess over fuse − 1 A at the next sample', () => {
    const seed = runPolicy(step, 'seed-flows', { record: true });
    assert.strictEqual(seed.metrics.overloadAmpSeconds, 36);
    const offered = seed.series!.offeredA;
    // 31 A seen at 61 s; trigger level 24 A; cut by 7 A → 9 A from 62 s.
    assert.strictEqual(offered[63], 9);
    // When the car follows (66 s) L1 reads 24 A: a new value at the trigger level cuts 1 A more.
    assert.strictEqual(offered[70], 8);
    // After the step it climbs back by 1 A per minute (4 minutes left).
    assert.ok(offered[599] > 8 && offered[599] - 8 <= 4, `offered at the end ${offered[599]}`);
  });

  it('seed-flows cuts for any phase, even one the car does not use, and never pauses', () => {
    const s: Scenario = {
      ...step,
      trace: trace(['0,0,0,0', '30,0,0,30', '31,0,0,31', '32,0,0,30', '300,0,0,0']),
      car: { phases: 1, phase: 'L1', maxA: 16 },
    };
    const out = runPolicy(s, 'seed-flows', { record: true });
    assert.strictEqual(Math.min(...out.series!.offeredA), 6);
    assert.strictEqual(out.metrics.pauses, 0);
  });

  it('evcc pauses when the meter is silent for more than 60 s', () => {
    const s: Scenario = { ...step, meter: { intervalS: 200 } };
    assert.ok(runPolicy(s, 'evcc').metrics.pauses >= 1);
    assert.strictEqual(runPolicy(s, 'none').metrics.pauses, 0);
  });

  it('ideal pauses when the headroom is below 6 A, and only on the car phase', () => {
    const s: Scenario = { ...step, trace: trace(['0,0,0,0', '60,0,22,0', '120,0,0,0']), car: { phases: 1, phase: 'L2', maxA: 16 } };
    assert.strictEqual(runPolicy(s, 'ideal').metrics.pauses, 1);
    const l1: Scenario = { ...s, car: { phases: 1, phase: 'L1', maxA: 16 } };
    assert.strictEqual(runPolicy(l1, 'ideal').metrics.pauses, 0);
  });

  it('balancer keeps the step overload well below none', () => {
    const b = get('balancer');
    assert.ok(b.overloadAmpSeconds < get('none').overloadAmpSeconds / 10, `${b.overloadAmpSeconds}`);
    assert.ok(b.energyKWh > 0);
  });
});

import assert from 'assert';
import { belowFloor, cloudRuleHolds, cloudRuleOracle, energyVerdict, reading, safeOracle, type Target } from '../../../tools/bench/doneWhen';
import type { Sweep } from '../../../tools/bench/frontier';
import { dominance, met, overloadAtEnergy, type FrontierPoint } from '../../../tools/bench/frontier';
import type { Row } from '../../../tools/bench/matrix';
import type { PolicyMetrics } from '../../../tools/sim/simulate';

// Margins 0..3 A: more margin, less energy and less overload.
const frontier: FrontierPoint[] = [
  { marginA: 0, energyKWh: 100, overloadAs: 1000 },
  { marginA: 1, energyKWh: 96, overloadAs: 400 },
  { marginA: 2, energyKWh: 92, overloadAs: 200 },
  { marginA: 3, energyKWh: 88, overloadAs: 100 },
];

describe('tools/bench/frontier', () => {
  it('reads the overload at an energy linearly between the neighbouring margins', () => {
    // 98 kWh is halfway from margin 1 (96, 400) to margin 0 (100, 1000): 700 A·s.
    assert.deepStrictEqual(overloadAtEnergy(frontier, 98), { overloadAs: 700, how: 'between margins 0 and 1 A' });
    // Exactly on margin 2.
    assert.strictEqual(overloadAtEnergy(frontier, 92)!.overloadAs, 200);
  });

  it('dominance ratio = balancer overload at the baseline energy / baseline overload', () => {
    // Baseline: 94 kWh with 1000 A·s; balancer at 94 kWh: halfway between 200 and 400 = 300 A·s → 0.3.
    const d = dominance(frontier, { energyKWh: 94, overloadAs: 1000 });
    assert.deepStrictEqual(d, { kind: 'ratio', overloadAtEnergyAs: 300, ratio: 0.3, how: 'between margins 1 and 2 A' });
    assert.ok(met(d));
    assert.ok(!met(dominance(frontier, { energyKWh: 94, overloadAs: 400 })), '300/400 = 0.75 > 0.6');
  });

  it('a baseline charging more than the balancer at margin 0 lies beyond the frontier: a miss', () => {
    const d = dominance(frontier, { energyKWh: 100.5, overloadAs: 5000 });
    assert.strictEqual(d.kind, 'miss');
    assert.ok(!met(d));
  });

  it('below the largest margin: the margin that charges at least as much with the least overload', () => {
    const d = dominance(frontier, { energyKWh: 80, overloadAs: 1000 });
    assert.deepStrictEqual(d, { kind: 'ratio', overloadAtEnergyAs: 100, ratio: 0.1, how: 'margin 3 A charges at least as much' });
  });

  it('a frontier that is not monotone: more energy for less overload counts', () => {
    // Margin 1 charges more than margin 2 and has less overload: at 93 kWh the balancer does 150 A·s (margin 1), not 225.
    const odd: FrontierPoint[] = [
      { marginA: 0, energyKWh: 100, overloadAs: 1000 },
      { marginA: 1, energyKWh: 96, overloadAs: 150 },
      { marginA: 2, energyKWh: 92, overloadAs: 300 },
    ];
    assert.strictEqual(overloadAtEnergy(odd, 93)!.overloadAs, 150);
  });

  it('zero overloads: 0/0 ties (met), x/0 is infinite (not met)', () => {
    const flat: FrontierPoint[] = [
      { marginA: 0, energyKWh: 10, overloadAs: 0 },
      { marginA: 1, energyKWh: 9, overloadAs: 0 },
    ];
    const tie = dominance(flat, { energyKWh: 9.5, overloadAs: 0 });
    assert.ok(tie.kind === 'ratio' && tie.ratio === 0 && met(tie));
    const worse = dominance(frontier, { energyKWh: 90, overloadAs: 0 });
    assert.ok(worse.kind === 'ratio' && worse.ratio === Infinity && !met(worse));
  });
});

describe('tools/bench/doneWhen', () => {
  const m = (energyKWh: number, secondsPaused = 0): PolicyMetrics =>
    ({ energyKWh, secondsPaused, durationHours: 1 }) as PolicyMetrics;
  const row = (balancerKWh: number, idealKWh: number, idealPausedS: number): Row =>
    ({ group: 'g', label: 'x', scenario: {} as Row['scenario'], results: { balancer: m(balancerKWh), ideal: m(idealKWh, idealPausedS) } }) as Row;

  it('a scenario below half of ideal is a miss unless ideal pauses for more than half of it', () => {
    const rows = [row(0.4, 1, 0), row(0.4, 1, 1801), row(0.6, 1, 0), row(0, 0, 3600)];
    assert.deepStrictEqual(belowFloor(rows, (r) => r.results.balancer), [rows[0]]);
  });

  it('reads a miss from the oracle beside it', () => {
    const t = (met: boolean | null, oracleMet: boolean | null): Target => ({ line: '', measured: '', oracle: '', met, oracleMet });
    assert.match(reading(t(false, false)), /out of reach/);
    assert.match(reading(t(false, true)), /balancer's own restore and resume rules/);
    assert.doesNotMatch(reading(t(false, true)), /overload/);
    // the oracle's energy with more overload is a trade: the reading says how much more
    assert.match(reading({ ...t(false, true), oracleOverloadTimes: 3.7 }), /with 3\.7× the balancer's overload there.*less overload/);
    assert.strictEqual(reading(t(true, false)), '');
  });

  it('holds the oracle to the trip-stress target: the next whole amp of margin where the default trips past it', () => {
    const at = (tripStressMcbC: number, energyKWh: number): PolicyMetrics => ({ tripStressMcbC, energyKWh }) as PolicyMetrics;
    const byMargin = new Map([[0, at(0.9, 12)], [1, at(0.31, 11)], [2, at(0.2, 10)], [3, at(0.1, 9)]]);
    assert.deepStrictEqual(safeOracle(byMargin), { metrics: byMargin.get(2), marginA: 2 });
    // never less margin than the default, even when margin 0 would be within the target
    const calm = new Map([[0, at(0.1, 12)], [1, at(0.05, 11)], [2, at(0, 10)], [3, at(0, 9)]]);
    assert.strictEqual(safeOracle(calm).marginA, 1);
    // past the target at every margin: the largest one swept
    const hot = new Map([[0, at(2, 12)], [1, at(1, 11)], [2, at(0.8, 10)], [3, at(0.6, 9)]]);
    assert.strictEqual(safeOracle(hot).marginA, 3);
  });

  it('reads per-group lines group by group: out of reach where the oracle misses too, a miss where it meets', () => {
    const base: Target = { line: '', measured: '', oracle: '', met: false, oracleMet: true, missedIn: ['day'], outOfReachIn: ['hass'], oracleOverloadTimes: 2 };
    const energy = reading(base);
    assert.match(energy, /out of reach in hass: the oracle with the same margin, held to the trip-stress target, misses there too/);
    assert.match(energy, /a miss in day: that oracle meets it there with 2\.0× the balancer's overload there/);
    assert.doesNotMatch(reading({ ...base, missedIn: [] }), /a miss/);
    const frontier = reading({ ...base, oracleFrontier: true, missedIn: ['pv4'], outOfReachIn: ['pv9', 'hass'] });
    assert.match(frontier, /out of reach in pv9, hass by the issue's measure/);
    assert.match(frontier, /a miss in pv4: the oracle's frontier meets it there/);
    assert.strictEqual(reading({ ...base, met: true }), '');
  });

  it('one rule for every scenario: the oracle with the cloud reserve (1 A more for Charge Amps) as the second reference', () => {
    const at = (tripStressMcbC: number): PolicyMetrics => ({ tripStressMcbC }) as PolicyMetrics;
    const goe = { scenario: { charger: 'goe' } } as Row;
    const ca = { scenario: { charger: 'chargeamps' } } as Row;
    const sweep = (caAtOne: number, caAtTwo: number): Sweep =>
      ({ oracleAt: new Map([[goe, new Map([[1, at(0.1)], [2, at(0.05)]])], [ca, new Map([[1, at(caAtOne)], [2, at(caAtTwo)]])]]) }) as unknown as Sweep;
    const sw = sweep(0.31, 0.2);
    assert.strictEqual(cloudRuleOracle(goe, sw).tripStressMcbC, 0.1, 'go-e: the same margin');
    assert.strictEqual(cloudRuleOracle(ca, sw).tripStressMcbC, 0.2, 'Charge Amps: 1 A more');
    assert.deepStrictEqual(cloudRuleHolds([goe, ca], sw), { holds: true, maxStress: 0.2, sameMarginStress: 0.31 });
    assert.strictEqual(cloudRuleHolds([goe, ca], sweep(0.2, 0.1)).holds, false, 'not needed: the same margin holds the line');
    assert.strictEqual(cloudRuleHolds([goe, ca], sweep(0.5, 0.3)).holds, false, 'does not hold the line itself');
    assert.strictEqual(energyVerdict(true, false, false), 'met');
    assert.strictEqual(energyVerdict(false, false, null), 'out of reach');
    assert.strictEqual(energyVerdict(false, true, false), 'one rule');
    assert.strictEqual(energyVerdict(false, true, true), 'miss');
    assert.strictEqual(energyVerdict(false, true, null), 'miss', 'no fair rule: a miss');
    const t: Target = { line: '', measured: '', oracle: '', met: false, oracleMet: true, missedIn: [], outOfReachIn: [], oneRuleIn: ['evening'], oneRuleStress: { sameMargin: 0.314, rule: 0.215 } };
    assert.match(reading(t), /out of reach with one rule for every scenario in evening: .*up to 0\.314.*at most 0\.215.*the fuse first/);
  });
});

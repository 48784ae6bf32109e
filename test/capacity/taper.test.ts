import { strict as assert } from 'assert';
import type { Triple } from '../../lib/balancer/types';
import { capacitySim, idealUnderCapKWh } from '../../tools/sim/capacity';
import { runPolicy, type Scenario } from '../../tools/sim/simulate';
import { makeTrace, type TracePoint } from '../../tools/sim/trace';

/** 4 h of house load: a base per phase, and a 2.3 kW kettle on L1 in minutes 11–14 of every quarter-hour. */
function spikyTrace(baseA: number): Scenario['trace'] {
  const points: TracePoint[] = [];
  for (let t = 0; t < 4 * 3600; t += 10) {
    const m = (t / 60) % 15;
    const kettle = m >= 11 && m < 14 ? 10 : 0;
    points.push({ timeS: t, currentsA: [baseA + kettle, baseA, baseA] as Triple<number> });
  }
  return makeTrace('spiky', points);
}

function run(phases: 1 | 3, capKW: number, periodMin: 15 | 60) {
  const scenario: Scenario = {
    trace: spikyTrace(2), fuseA: 25, marginA: 1, car: { phases, phase: 'L1', maxA: 16 }, meter: { intervalS: 1 }, charger: 'goe',
    plugInAfterS: 60, capacity: capacitySim(capKW, periodMin),
  };
  return { m: runPolicy(scenario, 'balancer').metrics, idealKWh: idealUnderCapKWh(scenario) };
}

describe('capacity guard in the simulator: taper, no pause storm at the end of a period', () => {
  for (const [phases, capKW] of [[3, 7], [1, 4]] as const) {
    for (const periodMin of [15, 60] as const) {
      // a one-phase car at 6 A with the kettle on is over 4 kW: in the last 4 minutes of a quarter-hour it must pause
      // (nothing warned of the kettle); it stays paused until the quarter-hour ends (the latch): one pause per period
      const edge = phases === 1 && periodMin === 15;
      it(`${phases}-phase car, cap ${capKW} kW, ${periodMin} min: never over the cap, ${edge ? 'at most one pause per period' : 'at most one pause in 4 h'}, ≥ 90 % of the ideal under the cap`, () => {
        const { m, idealKWh } = run(phases, capKW, periodMin);
        const c = m.capacity!;
        assert.ok(c.periods >= 4);
        assert.equal(c.periodsOverCap, 0, `max period average ${c.maxPeriodAverageKW} kW`);
        assert.ok(m.pauses <= (edge ? c.periods : 1), `${m.pauses} pauses in ${c.periods} periods`);
        assert.ok(c.periodEnergyKWh >= (edge ? 0.8 : 0.9) * idealKWh, `${c.periodEnergyKWh} of ${idealKWh} kWh`);
        assert.ok(c.maxPeriodAverageKW > capKW * 0.9, 'the budget is used');
      });
    }
  }
});

/**
 * The capacity-cap section of docs/benchmarks.md (issue 13): over the bench traces of an hour or more, each scenario
 * at fuse 25 A with the cap at 60 % of its highest uncapped hour (household + car under the balancer without a cap),
 * every policy under that cap, periods of 60 min. The Done-when lines are measured, met or not, with the numbers.
 */
import { capacitySim, idealUnderCapKWh, PelsLikePolicy } from '../sim/capacity';
import { carGridPhases } from '../sim/models';
import { runPolicy, type PolicyMetrics, type Scenario } from '../sim/simulate';
import { f, mdTable, scenarios, sum, type TraceGroup } from './matrix';

const CAP_SHARE = 0.6;
const POLICIES = ['none', 'pels', 'seed-flows', 'evcc', 'hass-evse', 'smartevse', 'balancer'] as const;

interface CapRow {
  scenario: Scenario;
  capKW: number;
  idealKWh: number;
  uncappedOverloadAs: number;
  results: Record<string, PolicyMetrics>;
}

function runOne(base: Scenario): CapRow {
  const uncapped = runPolicy({ ...base, capacity: capacitySim(Infinity, 60) }, 'balancer').metrics;
  const capKW = CAP_SHARE * (uncapped.capacity?.maxPeriodAverageKW ?? 0);
  const scenario: Scenario = { ...base, capacity: capacitySim(capKW, 60) };
  const results: Record<string, PolicyMetrics> = {};
  for (const p of POLICIES) {
    results[p] = p === 'pels'
      ? runPolicy(scenario, new PelsLikePolicy({ fuseA: base.fuseA, marginA: base.marginA, carGridPhases: carGridPhases(base.car) }, scenario.capacity!, base.plugInAfterS ?? 0)).metrics
      : runPolicy(scenario, p).metrics;
  }
  return { scenario, capKW, idealKWh: idealUnderCapKWh(scenario), uncappedOverloadAs: uncapped.overloadAmpSeconds, results };
}

/** The markdown section; `groups` are the bench's trace groups (those under an hour are left out). */
export function capacitySection(groups: TraceGroup[]): string {
  const used = groups.filter((g) => g.trace.durationS >= 3600);
  const rows = used.flatMap((g) => scenarios(g).filter((s) => s.fuseA === 25).map(runOne));
  if (!rows.length) return '## Capacity cap (issue 13)\n\nNo bench trace of an hour or more this run.\n';
  const idealKWh = sum(rows.map((r) => r.idealKWh));
  const table = mdTable(
    ['policy', 'periods over the cap (house under it) / periods', 'highest period ÷ cap', 'energy kWh (whole periods)', 'of the ideal under the cap', 'pauses', 'overload A·s'],
    POLICIES.map((p) => {
      const ms = rows.map((r) => r.results[p]);
      const c = ms.map((m) => m.capacity!);
      const worst = Math.max(...rows.map((r) => r.results[p].capacity!.maxPeriodAverageKW / r.capKW));
      return [`\`${p}\``, `${sum(c.map((x) => x.periodsOverCap))} (${sum(c.map((x) => x.periodsOverCapHouseUnder))}) / ${sum(c.map((x) => x.periods))}`, f(worst, 2), f(sum(c.map((x) => x.periodEnergyKWh))), f(sum(c.map((x) => x.periodEnergyKWh)) / idealKWh, 3), String(sum(ms.map((m) => m.pauses))), f(sum(ms.map((m) => m.overloadAmpSeconds)))];
    }),
  );
  const bal = rows.map((r) => r.results.balancer);
  const overHouseUnder = sum(bal.map((m) => m.capacity!.periodsOverCapHouseUnder));
  const overHouseOver = sum(bal.map((m) => m.capacity!.periodsOverCap)) - overHouseUnder;
  const energy = sum(bal.map((m) => m.capacity!.periodEnergyKWh)) / idealKWh;
  const cappedAs = sum(bal.map((m) => m.overloadAmpSeconds));
  const uncappedAs = sum(rows.map((r) => r.uncappedOverloadAs));
  const trip = Math.max(...bal.map((m) => Math.max(m.tripStressMcbC, m.tripStressGg)));
  const met = (ok: boolean): string => (ok ? 'met' : '**not met**');
  const done = mdTable(['Done-when line (issue 13)', 'measured (balancer with the guard)', 'met'], [
    ['0 periods over the cap where the house without the EV stays under it', `${overHouseUnder} of ${sum(bal.map((m) => m.capacity!.periods))} periods (${overHouseOver} more over it where the house alone averaged above the cap: over even with the car at 0 all hour)`, met(overHouseUnder === 0)],
    ['energy ≥ 95 % of the best possible under the cap', `${f(energy * 100, 1)} % of the ideal under the cap`, met(energy >= 0.95)],
    ['every fuse target still holds', `overload ${f(cappedAs)} A·s capped vs ${f(uncappedAs)} A·s uncapped; highest trip stress ${f(trip, 4)}`, met(cappedAs <= uncappedAs + 1e-9 && trip < 1)],
  ]);
  return [
    '## Capacity cap (issue 13)',
    '',
    `Traces of an hour or more (${used.map((g) => `\`${g.name}\``).join(', ')}), fuse 25 A, car 1-/3-phase × meter 1/10 s × go-e/Charge Amps (${rows.length} scenarios). Per scenario the cap is ${CAP_SHARE * 100} % of the highest hour of household + car under the balancer without a cap; periods of 60 min on the wall clock (Brussels, from a Monday 17:00); only whole hours count. The guard (and \`pels\`) read the meter's power as a P1 meter reports it (W resolution; the balancer its whole-amp currents). "Over the cap" = the hour's average import (house + car, 230 V per phase) above it; "house under it" = of those, the hours whose household alone stayed under it. The ideal under the cap knows each hour's household in advance and fills the budget (car between 6 A and the fuse headroom, at once): the best possible. \`pels\` is the PELS-like hourly budget; \`none\`, \`seed-flows\`, \`evcc\`, \`hass-evse\` and \`smartevse\` run without a cap: their counterparts have no period-average cap (docs/capacity.md).`,
    '',
    table,
    '',
    done,
    '',
  ].join('\n');
}

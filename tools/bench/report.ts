/** docs/benchmarks.md, section by section, from one bench run. */
import { DEFAULT_BALANCER_CONFIG, DEFAULT_QUICK_STRESS_BUDGET, QUICK_WAIT_FACTOR } from '../../lib/balancer/types';
import { ggFastest, MCB_C_FASTEST, type TripCurve } from '../sim/metrics';
import { POLICY_NAMES } from '../sim/policies';
import { SESSION_START_S, type PolicyMetrics } from '../sim/simulate';
import { cloudRuleHolds, ENERGY_LINES, energyVerdict, groupEnergies, metText, reading, TARGETS, type Target } from './doneWhen';
import { dominance, DOMINANCE_TARGET, FRONTIER_MARGINS_A, type Dominance, type Sweep } from './frontier';
import {
  BASELINES,
  byGroup,
  CAR_MAX_A,
  CHARGERS,
  DEFAULT_MARGIN_A,
  f,
  FUSES,
  mdTable,
  median,
  METER_S,
  PLUG_IN_AFTER_S,
  policyFor,
  sum,
  type Row,
  type TraceGroup,
} from './matrix';
import type { Performance } from './perf';

export interface Variant {
  label: string;
  energyKWh: number;
  overloadAs: number;
  perGroup: Map<string, { energyKWh: number; overloadAs: number }>;
}

export interface BenchRun {
  groups: TraceGroup[];
  missingGroups: string[];
  rows: Row[];
  sweep: Sweep;
  targets: Target[];
  perf: Performance;
  variants: Variant[];
  seconds: number;
}

/** The policies shown side by side: the baselines that exist, the references, ours. */
export function shownPolicies(): string[] {
  const base = BASELINES.map(policyFor).filter((p): p is NonNullable<typeof p> => p !== null);
  return [...new Set(['none', ...base, ...POLICY_NAMES.filter((p) => p !== 'none' && p !== 'ideal' && p !== 'balancer'), 'ideal', 'balancer'])];
}

function setup(run: BenchRun): string {
  return [
    '## Setup',
    '',
    '- Trace groups (household current without the EV; each group is one trace):',
    ...run.groups.map((g) => `  - \`${g.name}\` (${f(g.trace.durationS / 3600, 2)} h): ${g.note}.`),
    ...run.missingGroups.map((m) => `  - missing this run: ${m}.`),
    `- Matrix per group: fuse ${FUSES.join('/')} A (the high-load trace: 25 A) × car 1-phase (on the trace's busiest phase) / 3-phase, max ${CAR_MAX_A} A × meter every ${METER_S.join('/')} s (whole amps) × charger go-e (command latency 1 s) / Charge Amps (15 s). Default settings: margin ${DEFAULT_MARGIN_A} A and \`DEFAULT_BALANCER_CONFIG\`.`,
    `- Session: the charger stands ${PLUG_IN_AFTER_S} s without a car (at the car's maximum, as a previous session may have left it; a policy may write to it), then the car plugs in at the trace's first row. Everything is measured from the plug-in. The car follows a new offer after 5 s, waits 10 s more to start at plug-in or after a pause, stops below 6 A. 1 s steps; every policy is stepped every second with the fresh meter sample or null.`,
    `- Policies: ${shownPolicies().map((p) => `\`${p}\``).join(', ')}. \`reactive-oracle\` sets exactly the headroom on every fresh sample (no rate limit); told fuse − margin it is the best any purely reactive policy with that margin does. \`ideal\` knows the household now and acts at once: the energy reference.`,
    '- Overload = Σ over phases ∫ max(0, |I| − fuse) dt at the meter (house + EV). Energy at 230 V per phase; "of ideal" = Σ energy / Σ ideal\'s energy over the same scenarios.',
    `- Trip stress (\`tripStressMcbC\`, \`tripStressGg\`): the largest Miner sum Σ dt / t_trip(|I| / fuse) over any 1 h window on the worst phase, against the fastest device the standard allows (curve points and sources below); 1 = that device could trip. No cooling is modelled: an upper bound.`,
    '',
  ].join('\n');
}

function doneWhenSection(targets: Target[]): string {
  return [
    '## Done when (issue 12)',
    '',
    mdTable(
      ['Done-when line', 'measured (balancer)', 'met', 'reactive oracle, same margin, same scenarios', 'reading'],
      targets.map((t) => [t.line, t.measured, metText(t.met), t.oracle || '—', reading(t) || '—']),
    ),
    '',
  ].join('\n');
}

const dom = (d: Dominance): string => (d.kind === 'miss' ? `**miss** (${d.how})` : `${f(d.ratio, 2)}${d.ratio > DOMINANCE_TARGET ? ' ✗' : ''} (${d.how})`);

function frontierSection(run: BenchRun): string {
  const out = [
    '## The fair frontier',
    '',
    `The balancer's margin is swept over ${FRONTIER_MARGINS_A.join(', ')} A (whole amps) on every scenario of a group; each margin gives one point (Σ energy, Σ overload). A baseline runs at default settings; the balancer's overload at the baseline's energy is read off its frontier: linearly between the two neighbouring margins whose energies bracket it, or at any margin that charges at least as much if that has less overload. The **dominance ratio** is that overload divided by the baseline's (target ≤ ${DOMINANCE_TARGET}). A baseline that charges more than the balancer at margin 0 lies beyond the frontier: a **miss**. The reactive oracle told fuse − margin gives the reference frontier: what no purely reactive policy with that margin beats.`,
    '',
  ];
  for (const g of run.sweep.frontiers) {
    out.push(`### ${g.group}`, '');
    out.push(
      mdTable(
        ['margin', 'balancer energy of ideal', 'balancer overload A·s', 'oracle (fuse − margin) energy of ideal', 'oracle overload A·s'],
        FRONTIER_MARGINS_A.map((m, i) => [
          `${m} A${m === DEFAULT_MARGIN_A ? ' (default)' : ''}`,
          f(g.balancer[i].energyKWh / g.idealKWh, 3),
          f(g.balancer[i].overloadAs, 0),
          f(g.oracle[i].energyKWh / g.idealKWh, 3),
          f(g.oracle[i].overloadAs, 0),
        ]),
      ),
      '',
    );
    out.push(
      mdTable(
        ['baseline', 'policy', 'energy of ideal', 'overload A·s', "balancer's overload at that energy A·s", 'dominance ratio', "the oracle frontier's ratio"],
        g.baselines.map((b) => {
          if (b.policy === null) return [`\`${b.baseline}\``, 'not in the simulator yet', '—', '—', '—', 'not measured', '—'];
          const o = dominance(g.oracle, b);
          return [
            `\`${b.baseline}\``,
            `\`${b.policy}\``,
            f(b.energyKWh / g.idealKWh, 3),
            f(b.overloadAs, 0),
            b.dominance.kind === 'ratio' ? f(b.dominance.overloadAtEnergyAs, 0) : '—',
            dom(b.dominance),
            o.kind === 'miss' ? 'miss' : f(o.ratio, 2),
          ];
        }),
      ),
      '',
    );
  }
  return out.join('\n');
}

function energySection(run: BenchRun): string {
  const policies = shownPolicies().filter((p) => p !== 'none' && p !== 'ideal');
  const rule = cloudRuleHolds(run.rows, run.sweep);
  const rowsOf = byGroup(run.rows);
  const body = groupEnergies(run.rows, run.sweep).map((g) => {
    const rs = rowsOf.get(g.group)!;
    const ratio = (ms: PolicyMetrics[]): string => f(sum(ms.map((m) => m.energyKWh)) / g.idealKWh, 3);
    const line = (test: (x: number) => boolean): string => verdict(test(g.balancer), test(g.safe), rule.holds ? test(g.rule) : null);
    return [
      g.group,
      f(g.idealKWh, 1),
      ...policies.map((p) => ratio(rs.map((r) => r.results[p]))),
      f(g.oracle, 3),
      `${f(g.safe, 3)}${g.raised ? ` (${g.raised} with more margin)` : ''}`,
      f(g.rule, 3),
      line(ENERGY_LINES.ofIdeal),
      policyFor('evcc') ? line((x) => ENERGY_LINES.vsEvcc(x, g.evcc)) : '—',
    ];
  });
  return [
    '## Energy at default settings, per trace group',
    '',
    `Σ energy of each policy / Σ energy of \`ideal\` over the group's scenarios. *Held to the trip-stress target*: the oracle told fuse − ${DEFAULT_MARGIN_A} A, but with the next whole amp of margin (up to 3 A) in each scenario where it trips past ${TARGETS.tripStressMcbC} at that margin (a per-scenario choice no real policy can make: a generous reference). *With the cloud reserve*: the oracle with one rule for every scenario, the balancer's own: told fuse − ${DEFAULT_MARGIN_A} A, and ${DEFAULT_BALANCER_CONFIG.cloudRaiseReserveA} A more for Charge Amps (its trip stress at most ${f(rule.maxStress, 3)} over the matrix; at fuse − ${DEFAULT_MARGIN_A} A for both it reaches ${f(rule.sameMarginStress, 3)}). Per group: **met**; *out of reach* when the held oracle misses too; *out of reach (one rule)* when only the held oracle meets it and the oracle with the cloud reserve misses${rule.holds ? '' : ' (not used here: that oracle does not hold the trip-stress line in every scenario, or needs no rule)'}; **miss** otherwise.`,
    '',
    mdTable(
      ['trace group', 'ideal kWh', ...policies.map((p) => `\`${p}\``), `oracle (fuse − ${DEFAULT_MARGIN_A} A)`, 'that oracle held to the trip-stress target', 'that oracle with the cloud reserve', `≥ ${TARGETS.energyOfIdeal} of ideal`, `≥ evcc − ${TARGETS.energyVsEvcc}`],
      body,
    ),
    '',
    '### Scenarios where the balancer charges least compared with ideal',
    '',
    mdTable(
      ['scenario', 'balancer of ideal', 'oracle (same margin) of ideal', 'evcc of ideal', 'balancer kWh', 'ideal kWh', 'ideal paused', 'balancer pauses'],
      [...run.rows]
        .sort((a, b) => (a.results.balancer.energyRatio ?? 1) - (b.results.balancer.energyRatio ?? 1))
        .slice(0, 8)
        .map((r) => {
          const o = run.sweep.oracleAt.get(r)!.get(DEFAULT_MARGIN_A)!;
          const ideal = r.results.ideal;
          const evcc = policyFor('evcc');
          return [
            r.label,
            f(r.results.balancer.energyRatio ?? 1, 3),
            f(ideal.energyKWh > 0 ? o.energyKWh / ideal.energyKWh : 1, 3),
            evcc ? f(r.results[evcc].energyRatio ?? 1, 3) : '—',
            f(r.results.balancer.energyKWh, 2),
            f(ideal.energyKWh, 2),
            `${f((100 * ideal.secondsPaused) / (ideal.durationHours * 3600), 0)} %`,
            String(r.results.balancer.pauses),
          ];
        }),
    ),
    '',
  ].join('\n');
}

/** A group's reading of one energy line (doneWhen.ts `energyVerdict`), as the table shows it. */
function verdict(balancerMet: boolean, heldOracleMet: boolean, ruleOracleMet: boolean | null): string {
  const v = energyVerdict(balancerMet, heldOracleMet, ruleOracleMet);
  return v === 'met' ? 'met' : v === 'miss' ? '**miss**' : v === 'one rule' ? '*out of reach (one rule)*' : '*out of reach*';
}

function sessionStartSection(run: BenchRun): string {
  const policies = shownPolicies().filter((p) => p !== 'ideal');
  const body = CHARGERS.flatMap((charger) => {
    const rs = run.rows.filter((r) => r.scenario.charger === charger);
    const name = charger === 'goe' ? 'go-e' : 'Charge Amps';
    return [
      [`${name}: Σ A·s`, ...policies.map((p) => f(sum(rs.map((r) => r.results[p].startOverloadAmpSeconds)), 0))],
      [`${name}: max A·s in one session`, ...policies.map((p) => f(Math.max(...rs.map((r) => r.results[p].startOverloadAmpSeconds)), 0))],
      [`${name}: sessions over 0 (of ${rs.length})`, ...policies.map((p) => String(rs.filter((r) => r.results[p].startOverloadAmpSeconds > 1e-9).length))],
    ];
  });
  return [
    `## Overload in the first ${SESSION_START_S} s of every session`,
    '',
    `Each scenario is one session (the car plugs in after the charger stood ${PLUG_IN_AFTER_S} s without it).`,
    '',
    mdTable(['charger', ...policies.map((p) => `\`${p}\``)], body),
    '',
  ].join('\n');
}

function curveTable(curve: TripCurve, ratedA: number | null): string[][] {
  return curve.points.map((p) => [
    curve.name,
    ratedA ? `${f(p.multiple, 3)} In = ${f(p.multiple * ratedA, 1)} A` : `${p.multiple} In`,
    `${p.seconds} s`,
    p.status,
    p.source,
  ]);
}

function tripSection(run: BenchRun): string {
  const policies = shownPolicies().filter((p) => p !== 'ideal');
  const summary = policies.map((p) => {
    const ms = run.rows.map((r) => r.results[p]);
    return [
      `\`${p}\``,
      f(Math.max(...ms.map((m) => m.tripStressMcbC)), 3),
      f(median(ms.map((m) => m.tripStressMcbC)), 3),
      String(ms.filter((m) => m.tripStressMcbC > 0.25).length),
      f(Math.max(...ms.map((m) => m.tripStressGg)), 3),
      String(ms.filter((m) => m.tripStressGg > 0.25).length),
    ];
  });
  const perScenario = run.rows.map((r) => [r.label, ...policies.map((p) => f(r.results[p].tripStressMcbC, 3)), f(r.results.balancer.tripStressGg, 3)]);
  return [
    '## Trip stress',
    '',
    'Curve points of the fastest device each standard allows (log-log between points; below the first point no stress; at and above the last, its time). **secondary** = a vendor or manufacturer quoting the standard; **unverified** = the primary table was not available and the value is as commonly reproduced from it; replace it when the standard is at hand.',
    '',
    mdTable(['curve', 'current', 'time to trip', 'status', 'source'], [...curveTable(MCB_C_FASTEST, null), ...FUSES.flatMap((a) => curveTable(ggFastest(a), a))]),
    '',
    'Not used: the MCB\'s conventional tripping current 1.45 In (trips within 1 h) and the gG conventional fusing current 1.6 In (melts within 1 h) and Imax gates bound the *slowest* device, not the fastest. IEC 60898-1\'s 1–60 s band at 2.55 In applies to In ≤ 32 A (1–120 s above).',
    '',
    mdTable(['policy', 'max tripStressMcbC', 'median', 'scenarios > 0.25', 'max tripStressGg', 'scenarios > 0.25'], summary),
    '',
    '<details><summary>tripStressMcbC per scenario (and the balancer\'s tripStressGg)</summary>',
    '',
    mdTable(['scenario', ...policies.map((p) => `\`${p}\``), 'balancer gG'], perScenario),
    '',
    '</details>',
    '',
  ].join('\n');
}

function summarySection(run: BenchRun): string {
  const idealKWh = sum(run.rows.map((r) => r.results.ideal.energyKWh));
  const body = shownPolicies().map((p) => {
    const ms = run.rows.map((r) => r.results[p]);
    return [
      `\`${p}\``,
      f(sum(ms.map((m) => m.overloadAmpSeconds)), 0),
      f(sum(ms.map((m) => m.secondsOverFuse)), 0),
      f(Math.max(...ms.map((m) => m.maxOverloadA)), 1),
      f(Math.max(...ms.map((m) => m.tripStressMcbC)), 3),
      f(sum(ms.map((m) => m.energyKWh)) / idealKWh, 3),
      f(Math.min(...ms.map((m) => m.energyRatio ?? 1)), 3),
      f(median(ms.map((m) => m.writesPerHour)), 1),
      f(Math.max(...ms.map((m) => m.writesPerHour)), 1),
      f(median(ms.map((m) => m.pauses / m.durationHours)), 2),
      String(sum(ms.map((m) => m.pauses))),
    ];
  });
  return [
    '## Summary over the matrix (default settings)',
    '',
    mdTable(
      ['policy', 'Σ overload A·s', 'Σ s over fuse', 'max over A', 'max trip stress MCB C', 'energy of ideal', 'worst scenario of ideal', 'median writes/h', 'max writes/h', 'median pauses/h', 'Σ pauses'],
      body,
    ),
    '',
  ].join('\n');
}

function variantSection(run: BenchRun): string {
  const idealByGroup = new Map([...byGroup(run.rows)].map(([g, rs]) => [g, sum(rs.map((r) => r.results.ideal.energyKWh))]));
  const idealKWh = sum([...idealByGroup.values()]);
  const groups = [...idealByGroup.keys()];
  const b = run.rows.map((r) => r.results.balancer);
  const base: Variant = {
    label: `default (margin ${DEFAULT_MARGIN_A} A, restore ${DEFAULT_BALANCER_CONFIG.restoreStepA} A per ${DEFAULT_BALANCER_CONFIG.restoreHoldS} s, resume window ${DEFAULT_BALANCER_CONFIG.resumeWindowS} s, cloud raise window ${DEFAULT_BALANCER_CONFIG.cloudRaiseWindowS} s + ${DEFAULT_BALANCER_CONFIG.cloudRaiseReserveA} A; while the fuse's stress stays under ${DEFAULT_QUICK_STRESS_BUDGET} of a trip, the waits × ${f(QUICK_WAIT_FACTOR, 3)} and the step × ${f(1 / QUICK_WAIT_FACTOR, 0)})`,
    energyKWh: sum(b.map((m) => m.energyKWh)),
    overloadAs: sum(b.map((m) => m.overloadAmpSeconds)),
    perGroup: new Map(
      [...byGroup(run.rows)].map(([g, rs]) => [g, { energyKWh: sum(rs.map((r) => r.results.balancer.energyKWh)), overloadAs: sum(rs.map((r) => r.results.balancer.overloadAmpSeconds)) }]),
    ),
  };
  return [
    '## What holds the balancer back (diagnostic)',
    '',
    'The balancer at the default margin with one rule relaxed (or the quick rules off), over the same matrix: energy of ideal per trace group and Σ overload. Not a setting to ship as is; it shows where the energy goes.',
    '',
    mdTable(
      ['balancer', 'Σ overload A·s', 'energy of ideal', ...groups],
      [base, ...run.variants].map((v) => [
        v.label,
        f(v.overloadAs, 0),
        f(v.energyKWh / idealKWh, 3),
        ...groups.map((g) => f(v.perGroup.get(g)!.energyKWh / idealByGroup.get(g)!, 3)),
      ]),
    ),
    '',
  ].join('\n');
}

function perfSection(perf: Performance): string {
  return [
    '## Performance',
    '',
    mdTable(
      ['measure', 'value'],
      [
        ['Balancer.step, 4 chargers, p50', `${f(perf.timing.p50Us, 1)} µs`],
        ['Balancer.step, 4 chargers, p99', `${f(perf.timing.p99Us, 1)} µs`],
        ['Balancer.step, 4 chargers, max', `${f(perf.timing.maxUs, 1)} µs`],
        ['steps timed', String(perf.timing.steps)],
        [`10 h trace at 1 s (\`${perf.traceName}\`), whole replay with the balancer policy`, `${f(perf.replayS, 2)} s`],
        ['peak heap used (sampled)', `${f(perf.heapPeakMB, 1)} MB`],
        ['peak RSS of the bench process', `${f(perf.maxRssMB, 1)} MB`],
      ],
    ),
    '',
  ].join('\n');
}

export function renderBenchmarks(run: BenchRun): string {
  return [
    '# Benchmarks',
    '',
    '<!-- GENERATED by `npm run bench` (tools/bench/run.ts). Do not edit by hand: rerun the bench. -->',
    '',
    `Generated ${new Date().toISOString().slice(0, 10)} on Node ${process.version}: ${run.rows.length} scenarios in ${run.groups.length} trace groups × ${POLICY_NAMES.length} policies, the margin sweep and the diagnostics in ${f(run.seconds, 1)} s.`,
    '',
    setup(run),
    doneWhenSection(run.targets),
    frontierSection(run),
    energySection(run),
    sessionStartSection(run),
    tripSection(run),
    summarySection(run),
    variantSection(run),
    perfSection(run.perf),
  ].join('\n');
}

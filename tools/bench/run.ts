/**
 * `npm run bench`: every policy over the scenario matrix (bundled traces × fuse 16/20/25 A × 1-/3-phase
 * car × meter 1 s/10 s × go-e/Charge Amps), balancer step timing with 4 chargers, replay time of a
 * 10 h trace at 1 s, and memory. Writes docs/benchmarks.md (generated) and prints the summary.
 * Not a test: nothing here fails the build; the doc says which targets are met.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import path from 'path';
import { Balancer } from '../../lib/balancer/balancer';
import { DEFAULT_BALANCER_CONFIG, GRID_PHASES, type BalancerConfig, type ChargerInput, type GridPhase, type Triple } from '../../lib/balancer/types';
import { formatTable } from '../sim/cli';
import { HASS_EVSE_SOURCE, importHassEvseCsv } from '../sim/import';
import { carGridPhases, type ChargerKind } from '../sim/models';
import { createPolicy, POLICY_NAMES, type PolicyName } from '../sim/policies';
import { phaseRotation, runPolicies, runPolicy, type PolicyMetrics, type Scenario } from '../sim/simulate';
import { loadTrace, loopTrace, type Trace } from '../sim/trace';

const ROOT = path.join(__dirname, '..', '..');
const TRACE_DIR = path.join(ROOT, 'test', 'fixtures', 'traces');
const SHARED = path.join(ROOT, '..', 'shared', 'realdata', 'timeseries');
const OUT = path.join(ROOT, 'docs', 'benchmarks.md');

const FUSES = [16, 20, 25];
const CAR_PHASES = [1, 3] as const;
const METER_S = [1, 10];
const CHARGERS: ChargerKind[] = ['goe', 'chargeamps'];
const MARGIN_A = 1;
const CAR_MAX_A = 16;

interface Row {
  scenario: Scenario;
  label: string;
  results: Record<PolicyName, PolicyMetrics>;
}

/** A single-phase car goes on the phase with the highest household peak: the hardest case. */
function busiestPhase(trace: Trace): GridPhase {
  const peak = [0, 1, 2].map((p) => Math.max(...trace.points.map((pt) => pt.currentsA[p])));
  return GRID_PHASES[peak.indexOf(Math.max(...peak))];
}

function scenarios(traces: Trace[]): Scenario[] {
  const out: Scenario[] = [];
  for (const trace of traces) {
    const phase = busiestPhase(trace);
    for (const fuseA of FUSES)
      for (const phases of CAR_PHASES)
        for (const intervalS of METER_S)
          for (const charger of CHARGERS)
            out.push({ trace, fuseA, marginA: MARGIN_A, car: { phases, phase, maxA: CAR_MAX_A }, meter: { intervalS }, charger });
  }
  return out;
}

function label(s: Scenario): string {
  const car = s.car.phases === 3 ? '3p' : `1p ${s.car.phase}`;
  return `${s.trace.name} · ${s.fuseA} A · ${car} · meter ${s.meter.intervalS} s · ${s.charger}`;
}

function runMatrix(list: Scenario[]): Row[] {
  return list.map((scenario) => {
    const { results } = runPolicies(scenario, POLICY_NAMES);
    return { scenario, label: label(scenario), results: Object.fromEntries(results.map((r) => [r.policy, r])) as Row['results'] };
  });
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
const f = (n: number, d = 1): string => n.toFixed(d);

function summarize(rows: Row[]): { table: string; totals: Record<PolicyName, { overload: number; energy: number; writesH: number; pausesH: number }> } {
  const totals = {} as Record<PolicyName, { overload: number; energy: number; writesH: number; pausesH: number }>;
  const idealKWh = sum(rows.map((r) => r.results.ideal.energyKWh));
  const body = POLICY_NAMES.map((p) => {
    const ms = rows.map((r) => r.results[p]);
    const overload = sum(ms.map((m) => m.overloadAmpSeconds));
    const energy = sum(ms.map((m) => m.energyKWh));
    const writesH = median(ms.map((m) => m.writesPerHour));
    const pausesH = median(ms.map((m) => m.pauses / m.durationHours));
    totals[p] = { overload, energy, writesH, pausesH };
    return [
      p,
      f(overload, 0),
      f(sum(ms.map((m) => m.secondsOverFuse)), 0),
      f(Math.max(...ms.map((m) => m.maxOverloadA)), 1),
      f(energy, 1),
      f(energy / idealKWh, 3),
      f(Math.min(...ms.map((m) => m.energyRatio ?? 1)), 3),
      f(writesH, 1),
      f(Math.max(...ms.map((m) => m.writesPerHour)), 1),
      f(pausesH, 2),
      String(sum(ms.map((m) => m.pauses))),
    ];
  });
  const header = ['policy', 'Σ overload A·s', 'Σ s over fuse', 'max over A', 'Σ energy kWh', 'energy / ideal', 'worst scenario ratio', 'median writes/h', 'max writes/h', 'median pauses/h', 'Σ pauses'];
  return { table: mdTable(header, body), totals };
}

function mdTable(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** Per-dimension breakdown of summed overload for the controlling policies. */
function breakdown(rows: Row[], key: (s: Scenario) => string, title: string): string {
  const groups = new Map<string, Row[]>();
  for (const r of rows) groups.set(key(r.scenario), [...(groups.get(key(r.scenario)) ?? []), r]);
  const policies: PolicyName[] = ['seed-flows', 'evcc-like', 'reactive-oracle', 'balancer'];
  const body = [...groups].map(([k, rs]) => [
    k,
    ...policies.map((p) => f(sum(rs.map((r) => r.results[p].overloadAmpSeconds)), 0)),
    f(sum(rs.map((r) => r.results.balancer.energyKWh)) / sum(rs.map((r) => r.results.ideal.energyKWh)), 3),
    f(median(rs.map((r) => r.results.balancer.writesPerHour)), 1),
  ]);
  return mdTable([title, ...policies.map((p) => `${p} A·s`), 'balancer energy/ideal', 'balancer median writes/h'], body);
}

/** The scenarios where the balancer does worst against the latency bound. */
function worst(rows: Row[], n: number): string {
  const scored = rows
    .map((r) => ({ r, excess: r.results.balancer.overloadAmpSeconds - 1.5 * r.results['reactive-oracle'].overloadAmpSeconds }))
    .filter((x) => x.excess > 0)
    .sort((a, b) => b.excess - a.excess)
    .slice(0, n);
  if (!scored.length) return '_None: in every scenario the balancer stays within 1.5× the reactive oracle._';
  return mdTable(
    ['scenario', 'balancer A·s', 'oracle A·s', 'evcc-like A·s', 'balancer max over A', 'balancer energy ratio', 'balancer writes', 'balancer pauses'],
    scored.map(({ r }) => [
      r.label,
      f(r.results.balancer.overloadAmpSeconds, 0),
      f(r.results['reactive-oracle'].overloadAmpSeconds, 0),
      f(r.results['evcc-like'].overloadAmpSeconds, 0),
      f(r.results.balancer.maxOverloadA, 1),
      f(r.results.balancer.energyRatio ?? 0, 3),
      String(r.results.balancer.chargerWrites),
      String(r.results.balancer.pauses),
    ]),
  );
}

/**
 * Diagnostics for the targets: (1) the reactive oracle given the same margin as the balancer (the best
 * any purely reactive policy with that margin can do); (2) overload in the first 120 s (session start:
 * the charger begins at the car's maximum), found by replaying only that prefix.
 */
function diagnostics(rows: Row[]): {
  oracleMargin: { overload: number; energy: number };
  startShare: Record<string, number>;
  variants: { label: string; overload: number; energy: number }[];
} {
  const oracleMargin = { overload: 0, energy: 0 };
  const startShare: Record<string, number> = {};
  const variants = VARIANTS.map((v) => ({ ...v, overload: 0, energy: 0 }));
  const policies: PolicyName[] = ['seed-flows', 'evcc-like', 'reactive-oracle', 'balancer'];
  for (const { scenario } of rows) {
    const ctx = { fuseA: scenario.fuseA - scenario.marginA, marginA: 0, carGridPhases: carGridPhases(scenario.car) };
    const m = runPolicy(scenario, createPolicy('reactive-oracle', ctx)).metrics;
    oracleMargin.overload += m.overloadAmpSeconds;
    oracleMargin.energy += m.energyKWh;
    const head = scenario.trace.points.filter((p) => p.timeS < 120);
    const prefix: Scenario = { ...scenario, trace: { ...scenario.trace, points: head, durationS: Math.min(120, scenario.trace.durationS) } };
    for (const p of policies) startShare[p] = (startShare[p] ?? 0) + runPolicy(prefix, p).metrics.overloadAmpSeconds;
    for (const v of variants) {
      const ctxV = { fuseA: scenario.fuseA, marginA: v.marginA ?? scenario.marginA, carGridPhases: carGridPhases(scenario.car), balancer: v.balancer };
      const r = runPolicy(scenario, createPolicy('balancer', ctxV)).metrics;
      v.overload += r.overloadAmpSeconds;
      v.energy += r.energyKWh;
    }
  }
  return { oracleMargin, startShare, variants };
}

/** The balancer with one setting changed, over the same matrix: what each choice costs and buys. */
const VARIANTS: { label: string; marginA?: number; balancer?: Partial<BalancerConfig> }[] = [
  { label: 'no cloud raise window or reserve (`cloudRaiseWindowS` 0, `cloudRaiseReserveA` 0)', balancer: { cloudRaiseWindowS: 0, cloudRaiseReserveA: 0 } },
  { label: 'cloud raise reserve 2 A', balancer: { cloudRaiseReserveA: 2 } },
  { label: 'margin 2 A', marginA: 2 },
  { label: 'margin 3 A', marginA: 3 },
];

type Totals = ReturnType<typeof summarize>['totals'];

/** Plain-language reading of the diagnostics for the overload targets that were missed. */
function missedNotes(targets: [string, string, boolean][], totals: Totals, diag: ReturnType<typeof diagnostics>): string {
  if (targets.every(([, , ok]) => ok)) return '';
  const b = totals.balancer.overload;
  const after = (p: PolicyName): number => totals[p].overload - diag.startShare[p];
  const lines = ['**Why targets are missed** (computed from the diagnostics below):', ''];
  const missed = (name: string): boolean => targets.some(([t, , ok]) => !ok && t.includes(name));
  for (const p of ['evcc-like', 'seed-flows'] as PolicyName[]) {
    if (!missed(p)) continue;
    const share = totals[p].overload > 0 ? (100 * diag.startShare[p]) / totals[p].overload : 0;
    lines.push(
      `- vs \`${p}\`: ${f(share, 0)} % of its overload is at session start (charger begins at the car's maximum and it reacts late); after that it has ${f(after(p), 0)} A·s against the balancer's ${f(after('balancer'), 0)} A·s.`,
    );
  }
  const floor = diag.startShare['reactive-oracle'];
  lines.push(
    `- The session start alone costs every reactive policy ${f(floor, 0)} A·s (the reactive oracle too: a Charge Amps command lands 15 s after the first sample, the car starts drawing after 10 s at the charger's limit), which is already ${f(floor / totals['seed-flows'].overload, 2)}× \`seed-flows\`.`,
    `- The balancer's ${f(b, 0)} A·s is below the reactive oracle with the same margin (${f(diag.oracleMargin.overload, 0)} A·s): what is left are household steps larger than the margin that no controller can follow faster than meter interval + charger latency + the car's ~5 s. Only more margin lowers it further, at the cost of energy (variants below).`,
    '',
  );
  return lines.join('\n');
}

/** Scenarios where the balancer charges least compared with ideal. */
function lowestEnergy(rows: Row[], n: number): string {
  const sorted = [...rows].sort((a, b) => (a.results.balancer.energyRatio ?? 1) - (b.results.balancer.energyRatio ?? 1)).slice(0, n);
  return mdTable(
    ['scenario', 'balancer energy ratio', 'balancer kWh', 'ideal kWh', 'balancer pauses'],
    sorted.map((r) => [r.label, f(r.results.balancer.energyRatio ?? 1, 3), f(r.results.balancer.energyKWh, 2), f(r.results.ideal.energyKWh, 2), String(r.results.balancer.pauses)]),
  );
}

/** Balancer.step wall time with 4 chargers on a 10 h, 1 s trace; one sample per step. */
function stepTiming(trace: Trace): { p50Us: number; p99Us: number; maxUs: number; steps: number } {
  const balancer = new Balancer({ ...DEFAULT_BALANCER_CONFIG, fuseA: 25, marginA: 1 });
  const maps: Triple<GridPhase | null>[] = [phaseRotation('L1'), phaseRotation('L2'), ['L3', null, null], phaseRotation('L3')];
  const limits = [16, 16, 16, 16];
  const times: number[] = [];
  for (let i = 0; i < trace.points.length; i++) {
    const pt = trace.points[i];
    const chargers: ChargerInput[] = maps.map((phaseMap, k) => ({
      id: `c${k}`,
      name: `Charger ${k}`,
      enabled: true,
      phaseMap,
      measuredA: phaseMap.map((g) => (g ? limits[k] : 0)) as Triple<number>,
      currentLimitA: limits[k],
      minCurrentA: 6,
      maxCurrentA: 16,
      paused: limits[k] === 0,
      carConnected: true,
      priority: k,
      latencyClass: k % 2 ? 'cloud' : 'local',
    }));
    const draw = [0, 0, 0];
    chargers.forEach((c) => c.phaseMap.forEach((g, j) => g && (draw[GRID_PHASES.indexOf(g)] += c.measuredA[j] ?? 0)));
    const sample = { timeMs: pt.timeS * 1000, seq: i + 1, currentsA: pt.currentsA.map((a, p) => Math.round(a + draw[p])) as Triple<number> };
    const t0 = process.hrtime.bigint();
    const out = balancer.step(pt.timeS * 1000, sample, chargers);
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
    for (const c of out.commands) {
      const k = Number(c.chargerId.slice(1));
      limits[k] = c.type === 'pause' ? 0 : c.currentA;
    }
  }
  times.sort((a, b) => a - b);
  return { p50Us: quantile(times, 0.5), p99Us: quantile(times, 0.99), maxUs: times[times.length - 1], steps: times.length };
}

function main(): void {
  const started = Date.now();
  const traces = readdirSync(TRACE_DIR)
    .filter((n) => n.endsWith('.csv'))
    .sort()
    .map((n) => loadTrace(path.join(TRACE_DIR, n)));
  const rows = runMatrix(scenarios(traces));
  const matrixS = (Date.now() - started) / 1000;
  const { table, totals } = summarize(rows);
  const diag = diagnostics(rows);

  // Performance: a 10 h trace at 1 s built by looping the 1 s capture.
  const oneSecond = traces.find((t) => t.name.includes('1s')) ?? traces[0];
  const long = loopTrace(oneSecond, 10 * 3600);
  const longScenario: Scenario = { trace: long, fuseA: 20, marginA: MARGIN_A, car: { phases: 3, maxA: CAR_MAX_A }, meter: { intervalS: 1 }, charger: 'goe' };
  runPolicy(longScenario, 'balancer'); // warm-up
  let heapPeak = process.memoryUsage().heapUsed;
  const replayStart = process.hrtime.bigint();
  runPolicy(longScenario, 'balancer');
  const replayS = Number(process.hrtime.bigint() - replayStart) / 1e9;
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  stepTiming(long); // warm-up
  const timing = stepTiming(long);
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  const maxRssMB = process.resourceUsage().maxRSS / 1024;

  // Optional stress trace from the unlicensed capture (never bundled): reported, not part of the targets.
  let extra = '';
  const hassFile = path.join(SHARED, HASS_EVSE_SOURCE);
  if (existsSync(hassFile)) {
    const hass = importHassEvseCsv(readFileSync(hassFile, 'utf8'), 'hass-evse-25A-1s');
    const hassRows = runMatrix(scenarios([hass]).filter((s) => s.fuseA === 25));
    extra = [
      '## Extra: high-load household trace (not bundled)',
      '',
      `dirkgroenen/hass-evse-load-balancer \`sim/simulation_data.csv\` (no licence, so read from \`../shared\` only; household = 25 A − "corrected" column, 1 s, ${f(hass.durationS / 3600, 2)} h, peaks near the fuse). Fuse 25 A only; not counted in the targets above.`,
      '',
      summarize(hassRows).table,
      '',
    ].join('\n');
  }

  const b = totals.balancer;
  const ratio = (x: number, y: number): string => (y > 0 ? `${f(x / y, 3)}×` : x === 0 ? '0 (both 0)' : '∞');
  const targets: [string, string, boolean][] = [
    ['Σ overload ≤ 1.5 × reactive-oracle', `${f(b.overload, 0)} vs ${f(totals['reactive-oracle'].overload, 0)} A·s (${ratio(b.overload, totals['reactive-oracle'].overload)})`, b.overload <= 1.5 * totals['reactive-oracle'].overload],
    ['Σ overload ≤ 0.25 × evcc-like', `${ratio(b.overload, totals['evcc-like'].overload)}`, b.overload <= 0.25 * totals['evcc-like'].overload],
    ['Σ overload ≤ 0.1 × seed-flows', `${ratio(b.overload, totals['seed-flows'].overload)}`, b.overload <= 0.1 * totals['seed-flows'].overload],
    ['Σ energy ≥ 95 % of ideal', `${f((100 * b.energy) / totals.ideal.energy, 1)} %`, b.energy >= 0.95 * totals.ideal.energy],
    ['median ≤ 30 charger writes/h', f(b.writesH, 1), b.writesH <= 30],
    ['median ≤ 4 pause cycles/h', f(b.pausesH, 2), b.pausesH <= 4],
    ['step p99 < 0.2 ms with 4 chargers', `${f(timing.p99Us / 1000, 4)} ms`, timing.p99Us < 200],
    ['10 h trace at 1 s replays in < 2 s', `${f(replayS, 2)} s`, replayS < 2],
  ];

  const doc = [
    '# Benchmarks',
    '',
    '<!-- GENERATED by `npm run bench` (tools/bench/run.ts). Do not edit by hand: rerun the bench. -->',
    '',
    `Generated ${new Date().toISOString().slice(0, 10)} on Node ${process.version}, ${rows.length} scenarios × ${POLICY_NAMES.length} policies in ${f(matrixS, 1)} s.`,
    '',
    '## Setup',
    '',
    `- Traces (\`test/fixtures/traces\`, real P1 captures, household current without EV): ${traces.map((t) => `\`${t.name}\` (${f(t.durationS / 3600, 2)} h)`).join(', ')}.`,
    `- Matrix: fuse ${FUSES.join('/')} A (margin ${MARGIN_A} A) × car 1-phase (on the trace's busiest phase) / 3-phase, max ${CAR_MAX_A} A × meter every ${METER_S.join('/')} s (whole amps) × charger go-e (command latency 1 s) / Charge Amps (15 s).`,
    '- Car: follows a new offer after 5 s, waits 10 s more to start after a pause or at plug-in, stops below 6 A. Simulated in 1 s steps; the policy is stepped every second with the fresh meter sample or null.',
    '- Policies: `none` (car at its max), `seed-flows` (seed 004 Homey flows: cut at fuse − 1 A by the excess, +1 A/min back toward 16 A, never pauses), `evcc-like` (30 s loop, one-step cut to max-phase headroom, pause < 6 A, 60 s stale ⇒ overload; limit fuse − margin), `reactive-oracle` (exact headroom on every fresh sample, no margin, no rate limit: the latency bound), `ideal` (zero latency, knows the household current: the energy bound), `balancer` (lib/balancer with `DEFAULT_BALANCER_CONFIG`, fuse and margin from the scenario).',
    '- Overload = Σ over phases ∫ max(0, |I| − fuse) dt at the meter (house + EV). Energy at 230 V per phase.',
    '',
    '## Summary over the matrix',
    '',
    table,
    '',
    '## Targets (Done-when)',
    '',
    mdTable(
      ['target', 'measured', 'met'],
      targets.map(([t, m, ok]) => [t, m, ok ? 'yes' : '**NO**']),
    ),
    '',
    missedNotes(targets, totals, diag),
    '## Where the overload comes from',
    '',
    breakdown(rows, (s) => `${s.fuseA} A`, 'fuse'),
    '',
    breakdown(rows, (s) => (s.car.phases === 3 ? '3-phase car' : '1-phase car'), 'car'),
    '',
    breakdown(rows, (s) => `meter ${s.meter.intervalS} s`, 'meter'),
    '',
    breakdown(rows, (s) => s.charger, 'charger'),
    '',
    breakdown(rows, (s) => s.trace.name, 'trace'),
    '',
    '### Diagnostics',
    '',
    mdTable(
      ['measure', ...Object.keys(diag.startShare)],
      [
        ['Σ overload in the first 120 s (session start) A·s', ...Object.values(diag.startShare).map((v) => f(v, 0))],
        ['Σ overload after the first 120 s A·s', ...Object.entries(diag.startShare).map(([p, v]) => f(totals[p as PolicyName].overload - v, 0))],
      ],
    ),
    '',
    `Reactive oracle given the same ${MARGIN_A} A margin as the balancer (the floor for any purely reactive policy with that margin): Σ overload ${f(diag.oracleMargin.overload, 0)} A·s, energy ${f((100 * diag.oracleMargin.energy) / totals.ideal.energy, 1)} % of ideal; the balancer: ${f(b.overload, 0)} A·s, ${f((100 * b.energy) / totals.ideal.energy, 1)} %.`,
    '',
    'Balancer variants (same matrix, one setting changed):',
    '',
    mdTable(
      ['balancer', 'Σ overload A·s', 'energy % of ideal', 'vs evcc-like', 'vs seed-flows'],
      [{ label: `default (margin ${MARGIN_A} A, cloud raise window ${DEFAULT_BALANCER_CONFIG.cloudRaiseWindowS} s + ${DEFAULT_BALANCER_CONFIG.cloudRaiseReserveA} A)`, overload: b.overload, energy: b.energy }, ...diag.variants].map((m) => [
        m.label,
        f(m.overload, 0),
        f((100 * m.energy) / totals.ideal.energy, 1),
        ratio(m.overload, totals['evcc-like'].overload),
        ratio(m.overload, totals['seed-flows'].overload),
      ]),
    ),
    '',
    '### Scenarios where the balancer charges least compared with ideal',
    '',
    lowestEnergy(rows, 6),
    '',
    '### Scenarios where the balancer exceeds 1.5 × the reactive oracle (worst first)',
    '',
    worst(rows, 12),
    '',
    '## Performance',
    '',
    mdTable(
      ['measure', 'value'],
      [
        ['Balancer.step, 4 chargers, p50', `${f(timing.p50Us, 1)} µs`],
        ['Balancer.step, 4 chargers, p99', `${f(timing.p99Us, 1)} µs`],
        ['Balancer.step, 4 chargers, max', `${f(timing.maxUs, 1)} µs`],
        ['steps timed', String(timing.steps)],
        ['10 h trace at 1 s, whole replay with the balancer policy', `${f(replayS, 2)} s`],
        ['peak heap used (sampled)', `${f(heapPeak / 1024 / 1024, 1)} MB`],
        ['peak RSS of the bench process', `${f(maxRssMB, 1)} MB`],
      ],
    ),
    '',
    extra,
  ].join('\n');
  writeFileSync(OUT, doc);

  console.log(table);
  console.log('');
  console.log(formatTable(['target', 'measured', 'met'], targets.map(([t, m, ok]) => [t, m, ok ? 'yes' : 'NO'])));
  console.log(`\nstep p50 ${f(timing.p50Us, 1)} µs, p99 ${f(timing.p99Us, 1)} µs; 10 h replay ${f(replayS, 2)} s; heap ${f(heapPeak / 1048576, 1)} MB`);
  console.log(`wrote ${path.relative(ROOT, OUT)} in ${f((Date.now() - started) / 1000, 1)} s`);
}

main();

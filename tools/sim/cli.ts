/**
 * `npm run --silent sim -- --trace FILE --fuse A [--margin A] [--car-phases 1|3] [--car-phase L1|L2|L3]
 *   [--car-max A] [--meter-interval S] [--meter-exact] [--charger goe|chargeamps] [--latency S]
 *   [--plug-in-after S] [--policy NAME|all] [--json] [--plot FILE.svg]`
 *
 * Replays a household trace with one EV under each policy and prints overload, trip stress and energy
 * figures. The margin is whole amps: meter readings and charger limits are, so 0.5 A would act as 1 A.
 * Exit 0 ok, 2 usage error or bad trace (one line naming the flag or file:line field).
 */
import { writeFileSync } from 'fs';
import { UserInputError, describeError } from '../../lib/errors';
import { GRID_PHASES, type GridPhase } from '../../lib/balancer/types';
import { parseFlags, requireFlag, UsageError, type FlagSpec } from '../cli/args';
import { CAPACITY_FLAGS, CAPACITY_USAGE, capacityFromFlags, capacityJson, runPelsLike } from './capacity';
import { carGridPhases, CHARGER_LATENCY_S, type ChargerKind } from './models';
import { PLAN_FLAGS, PLAN_USAGE, planFromFlags, printPlan, runPlanPolicies } from './plan';
import { POLICY_NAMES, type PolicyName } from './policies';
import { printSolar, SOLAR_FLAGS, SOLAR_USAGE, solarFromFlags } from './solar';
import { runPolicies, runPolicy, type PolicyMetrics, type Scenario, type SimSeries } from './simulate';
import { renderSvgChart } from './svg';
import { loadTrace } from './trace';

const SPEC: FlagSpec = {
  trace: 'string',
  fuse: 'number',
  margin: 'number',
  'car-phases': 'number',
  'car-phase': 'string',
  'car-max': 'number',
  'meter-interval': 'number',
  'meter-exact': 'boolean',
  charger: 'string',
  latency: 'number',
  'plug-in-after': 'number',
  policy: 'string',
  json: 'boolean',
  plot: 'string',
  help: 'boolean',
  ...CAPACITY_FLAGS,
  ...PLAN_FLAGS,
  ...SOLAR_FLAGS,
};

const USAGE =
  'usage: sim --trace FILE --fuse A [--margin A] [--car-phases 1|3] [--car-phase L1|L2|L3] [--car-max A] ' +
  '[--meter-interval S] [--meter-exact] [--charger goe|chargeamps] [--latency S] [--plug-in-after S] ' +
  `[--policy ${POLICY_NAMES.join('|')}|all] [--json] [--plot FILE.svg] ${CAPACITY_USAGE} ${PLAN_USAGE} ${SOLAR_USAGE}`;

export interface SimIo {
  out(line: string): void;
  err(line: string): void;
}

function positive(flags: Record<string, unknown>, name: string, fallback: number, allowZero = false): number {
  const v = (flags[name] as number | undefined) ?? fallback;
  if (v < 0 || (!allowZero && v === 0)) throw new UsageError(`--${name}`, `must be ${allowZero ? '≥ 0' : '> 0'}, got ${v}`);
  return v;
}

/** Seconds the charger stands without a car before the session (the bench uses the same). */
export const DEFAULT_PLUG_IN_AFTER_S = 60;

/** The margin in whole amps: meter readings and charger limits are whole amps, so a fraction would not act as given. */
function wholeMargin(flags: Record<string, unknown>): number {
  const m = positive(flags, 'margin', 1, true);
  if (!Number.isInteger(m)) {
    throw new UsageError('--margin', `must be whole amps (0, 1, 2, …), got ${m}: meter readings and charger limits are whole amps, so ${m} A acts as ${Math.ceil(m)} A`);
  }
  return m;
}

/** Build the scenario from flags; throws UsageError/UserInputError for bad input. */
export function scenarioFromArgs(argv: string[]): { scenario: Scenario; policies: PolicyName[]; json: boolean; plot?: string } {
  const { flags, positional } = parseFlags(argv, SPEC);
  if (positional.length) throw new UsageError(positional[0], `unexpected argument; ${USAGE}`);
  const traceFile = requireFlag<string>(flags, 'trace');
  const fuseA = requireFlag<number>(flags, 'fuse');
  if (!(fuseA > 0)) throw new UsageError('--fuse', `must be a positive current in A, got ${fuseA}`);
  const marginA = wholeMargin(flags);
  const phases = (flags['car-phases'] as number | undefined) ?? 3;
  if (phases !== 1 && phases !== 3) throw new UsageError('--car-phases', `must be 1 or 3, got ${phases}`);
  const phase = ((flags['car-phase'] as string | undefined) ?? 'L1').toUpperCase();
  if (!GRID_PHASES.includes(phase as GridPhase)) throw new UsageError('--car-phase', `must be L1, L2 or L3, got "${phase}"`);
  const maxA = positive(flags, 'car-max', 16);
  if (maxA < 6) throw new UsageError('--car-max', `must be at least 6 A, got ${maxA}`);
  const intervalS = positive(flags, 'meter-interval', 1);
  const charger = ((flags.charger as string | undefined) ?? 'goe') as ChargerKind;
  if (!(charger in CHARGER_LATENCY_S)) throw new UsageError('--charger', `must be goe or chargeamps, got "${charger}"`);
  const latency = flags.latency === undefined ? undefined : positive(flags, 'latency', 0, true);
  const plugInAfterS = positive(flags, 'plug-in-after', DEFAULT_PLUG_IN_AFTER_S, true);
  const policyFlag = (flags.policy as string | undefined) ?? 'all';
  if (policyFlag !== 'all' && !POLICY_NAMES.includes(policyFlag as PolicyName)) {
    throw new UsageError('--policy', `unknown policy "${policyFlag}"; expected one of ${POLICY_NAMES.join(', ')}, all`);
  }
  const plot = flags.plot as string | undefined;
  if (plot !== undefined && !plot.toLowerCase().endsWith('.svg')) throw new UsageError('--plot', `expected a file name ending in .svg, got "${plot}"`);
  const trace = loadTrace(traceFile);
  return {
    scenario: {
      trace,
      fuseA,
      marginA,
      car: { phases, phase: phase as GridPhase, maxA },
      meter: { intervalS, wholeAmps: flags['meter-exact'] !== true },
      charger,
      chargerLatencyS: latency,
      plugInAfterS,
      capacity: capacityFromFlags(flags, (flag, why) => new UsageError(flag, why)),
    },
    policies: policyFlag === 'all' ? [...POLICY_NAMES] : [policyFlag as PolicyName],
    json: flags.json === true,
    plot,
  };
}

const round = (n: number, digits = 3): number => Math.round(n * 10 ** digits) / 10 ** digits;

export function describeScenario(s: Scenario): Record<string, unknown> {
  return {
    trace: s.trace.name,
    fuseA: s.fuseA,
    marginA: s.marginA,
    carPhases: s.car.phases,
    ...(s.car.phases === 1 ? { carPhase: s.car.phase ?? 'L1' } : {}),
    carMaxA: s.car.maxA,
    meterIntervalS: s.meter.intervalS,
    meterWholeAmps: s.meter.wholeAmps !== false,
    charger: s.charger,
    chargerLatencyS: s.chargerLatencyS ?? CHARGER_LATENCY_S[s.charger],
    plugInAfterS: s.plugInAfterS ?? 0,
    durationHours: round(s.trace.durationS / 3600),
  };
}

export function roundMetrics(m: PolicyMetrics): PolicyMetrics {
  return {
    policy: m.policy,
    overloadAmpSeconds: round(m.overloadAmpSeconds, 1),
    secondsOverFuse: round(m.secondsOverFuse, 1),
    maxOverloadA: round(m.maxOverloadA, 2),
    energyKWh: round(m.energyKWh),
    energyRatio: m.energyRatio === null ? null : round(m.energyRatio),
    chargerWrites: m.chargerWrites,
    writesPerHour: round(m.writesPerHour, 1),
    pauses: m.pauses,
    durationHours: round(m.durationHours),
    tripStressMcbC: round(m.tripStressMcbC, 4),
    tripStressGg: round(m.tripStressGg, 4),
    startOverloadAmpSeconds: round(m.startOverloadAmpSeconds, 1),
    secondsPaused: round(m.secondsPaused, 1),
    ...capacityJson(m.capacity),
  };
}

/** A fixed-width text table. */
export function formatTable(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function metricsTable(results: PolicyMetrics[]): string {
  const header = ['policy', 'overload A·s', 's over fuse', 'max over A', 'trip MCB C', 'trip gG', 'first 120 s A·s', 'energy kWh', 'energy ratio', 'writes', 'writes/h', 'pauses'];
  return formatTable(
    header,
    results.map((r) => {
      const m = roundMetrics(r);
      return [
        m.policy,
        m.overloadAmpSeconds,
        m.secondsOverFuse,
        m.maxOverloadA,
        m.tripStressMcbC,
        m.tripStressGg,
        m.startOverloadAmpSeconds,
        m.energyKWh,
        m.energyRatio ?? '-',
        m.chargerWrites,
        m.writesPerHour,
        m.pauses,
      ];
    }),
  );
}

/** SVG of one policy's run: household+EV current per phase, the fuse, offered and drawn EV current. */
export function plotRun(title: string, fuseA: number, series: SimSeries): string {
  const t = series.timeS.map((s) => s / 60);
  const pts = (ys: number[]): [number, number][] => ys.map((y, i) => [t[i], y]);
  return renderSvgChart({
    title,
    xLabel: 'minutes',
    yLabel: 'A per phase',
    series: [
      { name: 'L1 at meter', color: '#8c564b', points: pts(series.houseA[0]) },
      { name: 'L2 at meter', color: '#111111', points: pts(series.houseA[1]) },
      { name: 'L3 at meter', color: '#7f7f7f', points: pts(series.houseA[2]) },
      { name: 'EV allowed', color: '#1f77b4', points: pts(series.offeredA), dash: '5 3' },
      { name: 'EV drawn', color: '#2ca02c', points: pts(series.drawnA) },
    ],
    lines: [{ y: fuseA, label: `fuse ${fuseA} A`, color: '#d62728' }],
    markers: series.events.map((e) => ({ x: e.timeS / 60, label: e.type, color: e.type === 'paused' ? '#d62728' : '#2ca02c' })),
  });
}

export function runSimCli(argv: string[], io: SimIo): number {
  try {
    if (argv.includes('--help')) {
      io.out(USAGE);
      return 0;
    }
    const { scenario, policies, json, plot } = scenarioFromArgs(argv);
    const plan = planFromFlags(parseFlags(argv, SPEC).flags, scenario.trace);
    if (plan) return printPlan(io, json, describeScenario(scenario), runPlanPolicies(scenario, plan), plan);
    const solar = solarFromFlags(parseFlags(argv, SPEC).flags);
    if (solar) return printSolar(io, json, describeScenario(scenario), scenario, solar);
    const plotted: PolicyName | undefined = plot ? (policies.includes('balancer') ? 'balancer' : policies[0]) : undefined;
    const { results, series } = runPolicies(scenario, policies, { record: plotted });
    if (scenario.capacity) results.push(runPelsLike(scenario, (s, p) => runPolicy(s, p).metrics, carGridPhases(scenario.car)));
    if (plot && series && plotted) {
      writeFileSync(plot, plotRun(`${scenario.trace.name}: ${plotted}, fuse ${scenario.fuseA} A`, scenario.fuseA, series));
    }
    if (json) {
      io.out(JSON.stringify({ scenario: describeScenario(scenario), results: results.map(roundMetrics) }));
    } else {
      const d = describeScenario(scenario);
      io.out(Object.entries(d).map(([k, v]) => `${k}=${v}`).join(' '));
      io.out(metricsTable(results));
      if (plot) io.out(`plot (${plotted}) written to ${plot}`);
    }
    return 0;
  } catch (err) {
    io.err(`error: ${describeError(err)}`);
    return err instanceof UserInputError ? 2 : 1;
  }
}

if (require.main === module) {
  const code = runSimCli(process.argv.slice(2), {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
  });
  process.exitCode = code;
}

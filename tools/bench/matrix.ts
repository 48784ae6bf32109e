/**
 * The bench's scenario matrix: trace groups × fuse × car × meter × charger, every policy side by side,
 * and the small helpers the report shares (sums, medians, markdown tables).
 */
import { existsSync, readdirSync, readFileSync } from 'fs';
import path from 'path';
import { GRID_PHASES, type GridPhase } from '../../lib/balancer/types';
import { DEFAULT_PLUG_IN_AFTER_S } from '../sim/cli';
import { HASS_EVSE_SOURCE, importHassEvseCsv } from '../sim/import';
import type { ChargerKind } from '../sim/models';
import { POLICY_NAMES, type PolicyName } from '../sim/policies';
import { runPolicies, type PolicyMetrics, type Scenario } from '../sim/simulate';
import { loadTrace, type Trace } from '../sim/trace';

export const ROOT = path.join(__dirname, '..', '..');
const TRACE_DIR = path.join(ROOT, 'test', 'fixtures', 'traces');
const SHARED = path.join(ROOT, '..', 'shared', 'realdata', 'timeseries');

export const FUSES = [16, 20, 25];
export const CAR_PHASES = [1, 3] as const;
export const METER_S = [1, 10];
export const CHARGERS: ChargerKind[] = ['goe', 'chargeamps'];
/** The app's default margin (DEFAULT_BALANCER_CONFIG.marginA): "default settings". */
export const DEFAULT_MARGIN_A = 1;
export const CAR_MAX_A = 16;
export const PLUG_IN_AFTER_S = DEFAULT_PLUG_IN_AFTER_S;

/** The peers the balancer has to dominate (issue 12), by their policy names. */
export const BASELINES = ['seed-flows', 'evcc', 'hass-evse', 'smartevse'] as const;
export type Baseline = (typeof BASELINES)[number];

const KNOWN: readonly string[] = POLICY_NAMES;
/** The policy that stands for a baseline today: itself once it exists; `evcc-like` until `evcc` lands. */
export function policyFor(b: Baseline): PolicyName | null {
  if (KNOWN.includes(b)) return b as PolicyName;
  if (b === 'evcc' && KNOWN.includes('evcc-like')) return 'evcc-like' as PolicyName;
  return null;
}

/** A group of scenarios replaying one household trace. */
export interface TraceGroup {
  name: string;
  trace: Trace;
  fuses: number[];
  /** One line on where it comes from. */
  note: string;
}

export interface Row {
  group: string;
  scenario: Scenario;
  label: string;
  results: Record<string, PolicyMetrics>;
}

/** The bundled traces, and the 1 s high-load hass-evse export when ../shared has it (never bundled: no licence). */
export function traceGroups(): { groups: TraceGroup[]; missing: string[] } {
  const groups: TraceGroup[] = readdirSync(TRACE_DIR)
    .filter((n) => n.endsWith('.csv'))
    .sort()
    .map((n) => {
      const trace = loadTrace(path.join(TRACE_DIR, n));
      return { name: trace.name, trace, fuses: FUSES, note: `bundled (test/fixtures/traces/${n})` };
    });
  const missing: string[] = [];
  const hassFile = path.join(SHARED, HASS_EVSE_SOURCE);
  if (existsSync(hassFile)) {
    const trace = importHassEvseCsv(readFileSync(hassFile, 'utf8'), 'hass-evse-25A-1s');
    groups.push({
      name: trace.name,
      trace,
      fuses: [25],
      note: `the 1 s high-load trace: dirkgroenen/hass-evse-load-balancer \`sim/simulation_data.csv\` read from ../shared (no licence, never bundled); household = 25 A − "corrected"; fuse 25 A only`,
    });
  } else {
    missing.push(`hass-evse-25A-1s (${HASS_EVSE_SOURCE} not found in ../shared/realdata/timeseries)`);
  }
  return { groups, missing };
}

/** A single-phase car goes on the phase with the highest household peak: the hardest case. */
export function busiestPhase(trace: Trace): GridPhase {
  const peak = [0, 1, 2].map((p) => Math.max(...trace.points.map((pt) => pt.currentsA[p])));
  return GRID_PHASES[peak.indexOf(Math.max(...peak))];
}

export function scenarios(group: TraceGroup, marginA = DEFAULT_MARGIN_A): Scenario[] {
  const out: Scenario[] = [];
  const phase = busiestPhase(group.trace);
  for (const fuseA of group.fuses)
    for (const phases of CAR_PHASES)
      for (const intervalS of METER_S)
        for (const charger of CHARGERS)
          out.push({
            trace: group.trace,
            fuseA,
            marginA,
            car: { phases, phase, maxA: CAR_MAX_A },
            meter: { intervalS },
            charger,
            plugInAfterS: PLUG_IN_AFTER_S,
          });
  return out;
}

export function label(s: Scenario): string {
  const car = s.car.phases === 3 ? '3p' : `1p ${s.car.phase}`;
  return `${s.trace.name} · ${s.fuseA} A · ${car} · meter ${s.meter.intervalS} s · ${s.charger}`;
}

/** Every policy over every scenario of every group, at the default margin. */
export function runMatrix(groups: TraceGroup[]): Row[] {
  return groups.flatMap((g) =>
    scenarios(g).map((scenario) => {
      const { results } = runPolicies(scenario, POLICY_NAMES);
      return { group: g.name, scenario, label: label(scenario), results: Object.fromEntries(results.map((r) => [r.policy, r])) };
    }),
  );
}

export function byGroup<T extends { group: string }>(rows: T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) out.set(r.group, [...(out.get(r.group) ?? []), r]);
  return out;
}

export const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export const f = (n: number, d = 1): string => (Number.isFinite(n) ? n.toFixed(d) : n > 0 ? '∞' : '—');

export function mdTable(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/**
 * A soak run's result: totals, occurrences, per-kind summary and the criteria, plus the `--json`
 * object issue 11 asks for.
 */
import { runPolicy, type Scenario } from '../../sim/simulate';
import { makeTrace, TraceCursor, type Trace, type TracePoint } from '../../sim/trace';
import type { AppSettings } from '../../../lib/settings';
import { kindVerdict, round1, type KindSummary, type Occurrence } from './measure';
import { FAULT_KINDS } from './plan';

export const HEAP_LIMIT_MB = 5;
/** Fault-free overload may be this many times the reactive oracle's (the benchmark's target factor). */
export const ORACLE_FACTOR = 1.5;
/** The go-e is polled this often (s): a resume after a restart may take resumeWindowS plus one poll. */
export const GOE_POLL_S = 5;

export interface RunTotals {
  overloadAsAll: number;
  faultFreeOverloadAs: number;
  faultFreeS: number;
  maxPhaseA: number;
  energyWh: number[];
  heapMB: { hour: number; mb: number }[];
  writes: Record<string, number>;
  faultFreeWrites: Record<string, number>;
  pauses: Record<string, number>;
  raisesUndone: Record<string, number>;
  commandFailures: Record<string, number>;
  pollFailures: Record<string, number>;
  failsafe: { checked: number; violations: string[]; pauseChecked: number; pauseViolations: string[] };
  timers: { start: number; end: number; max: number };
  handles: { before: number; start: number; end: number; max: number; after: number };
  restarts: number;
  /** Capability listeners still on the meter device after the last source stopped. */
  meterListenersAtEnd: number;
}

export interface Criterion {
  name: string;
  measured: string;
  met: boolean;
}

export interface SoakResult {
  seed: number;
  hours: number;
  traceName: string;
  wallS: number;
  fuseA: number;
  settings: Pick<AppSettings, 'marginA' | 'staleAfterS' | 'pauseAfterS' | 'resumeWindowS'>;
  totals: RunTotals;
  occurrences: Occurrence[];
  kinds: KindSummary[];
  faultFreeHours: number;
  oracleOverloadAs: number;
  heapGrowthMB: number;
  chargers: { name: string; writes: number; faultFreeWrites: number; raisesUndone: number; pauses: number; energyKWh: number; pollFailures: number; commandFailures: number }[];
  uncaught: string[];
  unhandled: string[];
  criteria: Criterion[];
}

/** The object `--json` prints (issue 11, part 7). */
export interface SoakJson {
  faults: { kind: string; count: number; maxSecondsOverFuse: number | null; maxPhaseA: number | null; unresolvedAlarmWithinS: number | null; unresolvedAlarmMissed: number }[];
  crashes: number;
  unhandledRejections: number;
  heapGrowthMB: number;
}

export function toJson(r: SoakResult): SoakJson {
  return { faults: r.kinds, crashes: r.uncaught.length, unhandledRejections: r.unhandled.length, heapGrowthMB: Math.round(r.heapGrowthMB * 100) / 100 };
}

/**
 * Overload of the reactive oracle (tools/sim/policies) on the same fault-free segments: the simulator
 * models one car behind one charger, so each car runs on its own (go-e 3-phase, Charge Amps 1-phase
 * on L3) over the household trace and the two overloads are added. Each segment gets the 5 min before
 * it as lead-in so that no session start is counted, as in the soak.
 */
export function oracleOverload(trace: Trace, segs: [number, number][], fuseA: number): number {
  const leadS = 300;
  let total = 0;
  for (const [a, b] of segs) {
    const lead = Math.min(a, leadS);
    const cursor = new TraceCursor(trace);
    const pts: TracePoint[] = [];
    for (let s = a - lead; s <= b; s++) pts.push({ timeS: s, currentsA: cursor.at(s) });
    const slice = makeTrace('segment', pts);
    const cars: Pick<Scenario, 'car' | 'charger'>[] = [
      { car: { phases: 3, maxA: 16 }, charger: 'goe' },
      { car: { phases: 1, phase: 'L3', maxA: 16 }, charger: 'chargeamps' },
    ];
    for (const c of cars) {
      const scenario: Scenario = { trace: slice, fuseA, marginA: 1, meter: { intervalS: 1 }, ...c };
      const series = runPolicy(scenario, 'reactive-oracle', { record: true }).series;
      if (!series) continue;
      series.timeS.forEach((t, i) => {
        if (t < lead) return;
        for (let p = 0; p < 3; p++) total += Math.max(0, Math.abs(series.houseA[p][i]) - fuseA);
      });
    }
  }
  return total;
}

/** restart-during-resume: seconds from the charger answering to charging allowed, per occurrence that got that far. */
export function resumeAfterRestart(r: Pick<SoakResult, 'occurrences'>): (number | null)[] {
  return r.occurrences
    .filter((o) => o.kind === 'restart-during-resume' && !o.notes.skipped && o.notes.resumedAfterAnswerS !== undefined)
    .map((o) => o.notes.resumedAfterAnswerS ?? null);
}

export function runCriteria(r: Omit<SoakResult, 'criteria'>): Criterion[] {
  const t = r.totals;
  const kindsMet = r.kinds.filter((k) => kindVerdict(k).met).length;
  const resume = resumeAfterRestart(r);
  const resumeBoundS = r.settings.resumeWindowS + GOE_POLL_S;
  const gcNote = (globalThis as { gc?: unknown }).gc ? '' : ' (no --expose-gc: not forced)';
  return [
    { name: 'no uncaught exception (crashes)', measured: String(r.uncaught.length), met: r.uncaught.length === 0 },
    { name: 'no unhandled rejection', measured: String(r.unhandled.length), met: r.unhandled.length === 0 },
    { name: 'every fault kind injected', measured: `${r.kinds.filter((k) => k.count > 0).length}/${FAULT_KINDS.length}`, met: r.kinds.every((k) => k.count > 0) },
    { name: 'every fault kind within its bound (table below)', measured: `${kindsMet}/${FAULT_KINDS.length}`, met: kindsMet === FAULT_KINDS.length },
    {
      name: `restart-during-resume: charging allowed again ≤ resumeWindowS + one go-e poll (${resumeBoundS} s) after the charger answers`,
      measured: resume.length ? resume.map((v) => (v === null ? 'never' : `${v} s`)).join(', ') : 'not reached',
      met: resume.length > 0 && resume.every((v) => v !== null && v <= resumeBoundS),
    },
    {
      name: `fault-free overload ≤ ${ORACLE_FACTOR} × reactive oracle on the same segments`,
      measured: `${t.faultFreeOverloadAs.toFixed(0)} vs ${r.oracleOverloadAs.toFixed(0)} A·s`,
      met: t.faultFreeOverloadAs <= ORACLE_FACTOR * r.oracleOverloadAs,
    },
    { name: `heap growth hour 2 → end < ${HEAP_LIMIT_MB} MB`, measured: `${r.heapGrowthMB.toFixed(2)} MB${gcNote}`, met: r.heapGrowthMB < HEAP_LIMIT_MB && t.heapMB.length > 1 },
    { name: 'no timer leak (virtual clock timers at end ≤ start)', measured: `${t.timers.start} → ${t.timers.end} (max ${t.timers.max})`, met: t.timers.end <= t.timers.start },
    {
      name: 'no handle/socket leak (active handles at end ≤ start, all gone after stop)',
      measured: `${t.handles.before} before, ${t.handles.start} at start → ${t.handles.end} at end (max ${t.handles.max}), ${t.handles.after} after stop`,
      met: t.handles.end <= t.handles.start && t.handles.after <= t.handles.before,
    },
    { name: `no meter listener left after ${t.restarts} restarts`, measured: String(t.meterListenersAtEnd), met: t.meterListenersAtEnd === 0 },
    {
      name: 'fail-safe: ≤ minimum within staleAfterS + 2 s of every meter outage',
      measured: `${t.failsafe.checked - t.failsafe.violations.length}/${t.failsafe.checked}`,
      met: t.failsafe.violations.length === 0 && t.failsafe.checked > 0,
    },
    {
      name: 'fail-safe: paused within pauseAfterS + 2 s of every meter outage',
      measured: `${t.failsafe.pauseChecked - t.failsafe.pauseViolations.length}/${t.failsafe.pauseChecked}`,
      met: t.failsafe.pauseViolations.length === 0,
    },
  ];
}

export function buildResult(x: {
  seed: number;
  trace: Trace;
  durationS: number;
  wallS: number;
  totals: RunTotals;
  occurrences: Occurrence[];
  kinds: KindSummary[];
  faultFreeSegments: [number, number][];
  chargerNames: string[];
  chargerIds: string[];
  settings: AppSettings;
  uncaught: string[];
  unhandled: string[];
}): SoakResult {
  const t = x.totals;
  const heapGrowthMB = t.heapMB.length > 1 ? t.heapMB[t.heapMB.length - 1].mb - t.heapMB[0].mb : 0;
  const base: Omit<SoakResult, 'criteria'> = {
    seed: x.seed,
    hours: x.durationS / 3600,
    traceName: x.trace.name,
    wallS: x.wallS,
    fuseA: x.settings.fuseA,
    settings: { marginA: x.settings.marginA, staleAfterS: x.settings.staleAfterS, pauseAfterS: x.settings.pauseAfterS, resumeWindowS: x.settings.resumeWindowS },
    totals: t,
    occurrences: x.occurrences.map((o) => ({ ...o, maxPhaseA: round1(o.maxPhaseA) })),
    kinds: x.kinds,
    faultFreeHours: t.faultFreeS / 3600,
    oracleOverloadAs: oracleOverload(x.trace, x.faultFreeSegments, x.settings.fuseA),
    heapGrowthMB,
    chargers: x.chargerNames.map((name, i) => {
      const id = x.chargerIds[i];
      return { name, writes: t.writes[id], faultFreeWrites: t.faultFreeWrites[id], raisesUndone: t.raisesUndone[id], pauses: t.pauses[id], energyKWh: t.energyWh[i] / 1000, pollFailures: t.pollFailures[name], commandFailures: t.commandFailures[name] };
    }),
    uncaught: x.uncaught,
    unhandled: x.unhandled,
  };
  return { ...base, criteria: runCriteria(base) };
}

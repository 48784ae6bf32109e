/**
 * Fault occurrences and what is attributed to each, the per-kind summary (the `--json` shape) and the
 * per-kind verdicts against issue 11's bounds.
 *
 * Attribution. An occurrence's window opens when the fault is injected and closes at the first second
 * at least RECOVERY_QUIET_S after the fault was cleared before which no phase was over the fuse for
 * RECOVERY_QUIET_S seconds (the controller has recovered: nothing it left behind still overloads),
 * or RECOVERY_CAP_S after the clear, whichever comes first. The next fault starts only after the
 * window closed and a quiet gap, so windows never overlap. Within its window an occurrence gets:
 * - seconds over the fuse: seconds in which some phase at the meter is above the fuse while a
 *   charger draws on that phase (a second where only the house is over is not the app's doing);
 * - the highest phase current at the meter;
 * - the seconds from injection to the first `overloadUnresolved` event, if one came.
 */
import { ALARM_BOUND_S, FAULT_KINDS, FAULT_SPECS, RECOVERY_CAP_S, gapBefore, type FaultKind, type PlannedFault } from './plan';
import type { ActiveFault, OccurrenceNotes } from './faults';

/** After a fault is cleared, this many seconds without a phase over the fuse close its window. */
export const RECOVERY_QUIET_S = 30;

export interface Occurrence {
  kind: FaultKind;
  planned: PlannedFault;
  startS: number;
  /** When the fault was cleared (null while active). */
  clearedS: number | null;
  /** When the window closed (null while open). */
  endS: number | null;
  secondsOverFuse: number;
  maxPhaseA: number;
  /** Seconds from injection to the first overloadUnresolved event in the window (null: none came). */
  alarmAfterS: number | null;
  notes: OccurrenceNotes;
}

/** One entry of `faults` in the `--json` output. */
export interface KindSummary {
  kind: FaultKind;
  count: number;
  /** Worst over occurrences; null when none was injected. */
  maxSecondsOverFuse: number | null;
  maxPhaseA: number | null;
  /**
   * Worst seconds from injection to overloadUnresolved over the occurrences that needed it (the kind
   * is one nothing the app controls can cut, or the app raised it); null when none needed it. When an
   * occurrence needed it and it never came, this is the longest such window watched (a lower bound)
   * and `unresolvedAlarmMissed` counts them.
   */
  unresolvedAlarmWithinS: number | null;
  unresolvedAlarmMissed: number;
}

/** Runs the plan one fault at a time and attributes the ground truth to the open occurrence. */
export class FaultSchedule {
  readonly occurrences: Occurrence[] = [];
  private index = 0;
  private nextStartS: number;
  private active: { occ: Occurrence; fault: ActiveFault } | null = null;
  /** A due fault waiting for its precondition. */
  private pending: { fault: ActiveFault; sinceS: number } | null = null;
  private watching: Occurrence | null = null;
  private quietS = 0;

  constructor(
    private readonly plan: PlannedFault[],
    private readonly firstS: number,
    private readonly durationS: number,
    private readonly start: (f: PlannedFault) => ActiveFault,
  ) {
    const gap = gapBefore(plan, 0, firstS, durationS);
    this.nextStartS = gap === null ? Infinity : firstS + gap;
  }

  /** The occurrence whose window is open, if any. */
  get open(): Occurrence | null {
    return this.active?.occ ?? this.watching;
  }

  /** Start a due fault and run the active one's script for second `simS`. */
  async beforeSecond(simS: number): Promise<void> {
    if (!this.open && simS >= this.nextStartS && this.index < this.plan.length) {
      const planned = this.plan[this.index];
      this.pending ??= { fault: this.start(planned), sinceS: simS };
      const { fault, sinceS } = this.pending;
      if (fault.ready && !fault.ready() && simS - sinceS < FAULT_SPECS[planned.kind].readyS) return;
      this.pending = null;
      const occ: Occurrence = { kind: planned.kind, planned, startS: simS, clearedS: null, endS: null, secondsOverFuse: 0, maxPhaseA: -Infinity, alarmAfterS: null, notes: fault.notes };
      this.occurrences.push(occ);
      this.active = { occ, fault };
    }
    if (!this.active) return;
    const { occ, fault } = this.active;
    if (await fault.step(simS - occ.startS)) return;
    occ.clearedS = simS;
    this.active = null;
    this.watching = occ;
    this.quietS = 0;
  }

  /** The ground truth of second `simS`: was a phase over the fuse (with a charger on it), the highest phase. */
  afterSecond(simS: number, overFuse: boolean, maxPhaseA: number): void {
    const occ = this.open;
    if (!occ) return;
    if (overFuse) occ.secondsOverFuse++;
    occ.maxPhaseA = Math.max(occ.maxPhaseA, maxPhaseA);
    if (occ !== this.watching || occ.clearedS === null) return;
    this.quietS = overFuse ? 0 : this.quietS + 1;
    const sinceClearS = simS - occ.clearedS;
    if ((sinceClearS >= RECOVERY_QUIET_S && this.quietS >= RECOVERY_QUIET_S) || sinceClearS >= RECOVERY_CAP_S) {
      occ.endS = simS;
      this.watching = null;
      this.index++;
      const gap = this.index < this.plan.length ? gapBefore(this.plan, this.index, simS, this.durationS) : null;
      this.nextStartS = gap === null ? Infinity : simS + gap;
    }
  }

  /** An overloadUnresolved event came at `simS`. */
  onAlarm(simS: number): void {
    const occ = this.open;
    if (occ && occ.alarmAfterS === null) occ.alarmAfterS = simS - occ.startS;
  }

  /** Close whatever is still open at the end of the run. */
  finish(simS: number): void {
    const occ = this.open;
    if (!occ) return;
    occ.clearedS ??= simS;
    occ.endS = simS;
    this.active = null;
    this.watching = null;
  }

  windows(): [number, number][] {
    return this.occurrences.map((o) => [o.startS, o.endS ?? o.startS]);
  }
}

/** Did this occurrence need the overloadUnresolved trigger? */
export function alarmNeeded(o: Occurrence): boolean {
  return o.alarmAfterS !== null || (!!FAULT_SPECS[o.kind].uncuttable && !o.notes.skipped);
}

export function summarizeKinds(occs: Occurrence[]): KindSummary[] {
  return FAULT_KINDS.map((kind) => {
    const of = occs.filter((o) => o.kind === kind);
    const needing = of.filter(alarmNeeded);
    const missed = needing.filter((o) => o.alarmAfterS === null);
    const latencies = needing.map((o) => o.alarmAfterS ?? (o.endS ?? o.startS) - o.startS);
    return {
      kind,
      count: of.length,
      maxSecondsOverFuse: of.length ? Math.max(...of.map((o) => o.secondsOverFuse)) : null,
      maxPhaseA: of.length ? round1(Math.max(...of.map((o) => o.maxPhaseA))) : null,
      unresolvedAlarmWithinS: latencies.length ? Math.max(...latencies) : null,
      unresolvedAlarmMissed: missed.length,
    };
  });
}

export const round1 = (v: number): number => Math.round(v * 10) / 10;

export interface KindVerdict {
  met: boolean;
  /** The bound as a phrase for the reports. */
  bound: string;
}

/** Issue 11's bound for one kind: seconds over the fuse, or for an uncuttable kind the alarm in time. */
export function kindVerdict(s: KindSummary): KindVerdict {
  const spec = FAULT_SPECS[s.kind];
  const bound = `≤ ${spec.boundS} s over${spec.uncuttable ? ` or overloadUnresolved ≤ ${ALARM_BOUND_S} s` : ''}`;
  if (s.count === 0) return { met: false, bound };
  const overOk = (s.maxSecondsOverFuse ?? 0) <= spec.boundS;
  const alarmOk = !!spec.uncuttable && s.unresolvedAlarmMissed === 0 && s.unresolvedAlarmWithinS !== null && s.unresolvedAlarmWithinS <= ALARM_BOUND_S;
  return { met: overOk || alarmOk, bound };
}

/** Worst of several runs' summaries per kind (the matrix). */
export function worstOf(runs: KindSummary[][]): KindSummary[] {
  return FAULT_KINDS.map((kind) => {
    const all = runs.map((r) => r.find((k) => k.kind === kind)).filter((k): k is KindSummary => !!k);
    const max = (pick: (k: KindSummary) => number | null): number | null => {
      const v = all.map(pick).filter((x): x is number => x !== null);
      return v.length ? Math.max(...v) : null;
    };
    return {
      kind,
      count: all.reduce((n, k) => n + k.count, 0),
      maxSecondsOverFuse: max((k) => k.maxSecondsOverFuse),
      maxPhaseA: max((k) => k.maxPhaseA),
      unresolvedAlarmWithinS: max((k) => k.unresolvedAlarmWithinS),
      unresolvedAlarmMissed: all.reduce((n, k) => n + k.unresolvedAlarmMissed, 0),
    };
  });
}

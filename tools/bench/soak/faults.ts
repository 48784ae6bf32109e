/**
 * How each soak fault kind is injected. A fault is a small script run once per simulated second
 * (`step(relS)`, relS = seconds since it started) until it says it is cleared; the soak then watches
 * the recovery before the next fault starts (see run.ts).
 *
 * Faults that only matter when the app must cut a charger bring their own house load step (the
 * "probe"), sized from the ground truth at that moment: the phase goes over the fuse by a few amps
 * unless the app cuts, while the house alone stays low enough that cutting can fix it.
 */
import type { Triple } from '../../../lib/balancer/types';
import type { ManualClock } from '../../../lib/clock';
import type { ControllerEvent } from '../../../lib/controller';
import { DEMO_CA_ID, type DemoRig } from '../../demo/demo';
import type { AppSettings } from '../../../lib/settings';
import type { SoakMeterDevice } from './meterDevice';
import { PROBE_AFTER_CLOCK_STEP_S, PROBE_AFTER_RESTART_S, type FaultKind, type PlannedFault } from './plan';

/** What a fault may touch. */
export interface SoakWorld {
  readonly rig: DemoRig;
  readonly clock: ManualClock;
  readonly meter: SoakMeterDevice;
  readonly settings: AppSettings;
  /** House load added by faults, per grid phase (A); part of the ground truth and of the meter. */
  readonly extraA: Triple<number>;
  /** Ground truth now on a grid phase: house (trace + extra), the cars, the total at the meter (A). */
  phaseNow(phase: number): { houseA: number; evA: number; totalA: number };
  /** An app restart (controller, clients and meter source rebuilt from the same store). */
  restart(): Promise<void>;
  /** The simulated second now. */
  readonly simS: number;
  /** Controller events so far, with the simulated second they came in. */
  readonly events: { simS: number; event: ControllerEvent }[];
}

/** What an occurrence found out beyond the ground truth (docs/soak.md). */
export interface OccurrenceNotes {
  /** restart-during-resume: seconds from the charger answering again to charging allowed again (null = not within the watch). */
  resumedAfterAnswerS?: number | null;
  /** Why an occurrence did not test what it was meant to (e.g. the charger was not charging). */
  skipped?: string;
}

export interface ActiveFault {
  /** Its precondition (e.g. the car charging): the fault is injected once this holds, or after FaultSpec.readyS. */
  ready?: () => boolean;
  /** Called every simulated second from relS = 0; resolves false once the fault is cleared. */
  step(relS: number): Promise<boolean>;
  notes: OccurrenceNotes;
}

const GOE = 0;
const CA = 1;
const L1 = 0;
const L3 = 2;
/** restart-during-resume gives up waiting for each stage after this long (s); see FAULT_SPECS. */
export const RDR_TIMEOUT_S = { pause: 60, resume: 300, resumed: 300 };
/** The owner unplugs a misbehaving car for this long (s). */
const UNPLUGGED_S = 10;
const GOE_CAR = { maxCurrentA: 16, phases: 3 as const, needWh: 1e9 };
/** A load step is at least this big (A). */
const MIN_STEP_A = 2;
/** The chargers' minimum current (A). */
const MIN_A = 6;

/**
 * Add house load on `phase` so that the total at the meter reaches `targetTotalA`, but no more than
 * `houseCapA` of house load (trace + step) on that phase: the most the app can still make room for.
 * Returns the undo, and a note when no step of at least MIN_STEP_A fits.
 */
export function loadStep(w: SoakWorld, phase: number, targetTotalA: number, houseCapA: number, notes?: OccurrenceNotes): () => void {
  const now = w.phaseNow(phase);
  const stepA = Math.min(targetTotalA - now.totalA, houseCapA - now.houseA);
  if (stepA < MIN_STEP_A) {
    if (notes) notes.skipped = `no room for a load step the app could fix on L${phase + 1} (house ${now.houseA.toFixed(0)} A, total ${now.totalA.toFixed(0)} A)`;
    return () => undefined;
  }
  w.extraA[phase] += stepA;
  let undone = false;
  return () => {
    if (!undone) w.extraA[phase] -= stepA;
    undone = true;
  };
}

/** The most house load on a phase the app can fix with every charger on it at its minimum (the Charge Amps paused). */
const fixableHouseA = (w: SoakWorld): number => w.settings.fuseA - w.settings.marginA - MIN_A;

/** A switch held for `durationS` (0 = one shot: on, cleared at once). */
function hold(durationS: number, on: () => void, off: () => void = () => undefined): ActiveFault {
  return {
    notes: {},
    step: async (relS) => {
      if (relS === 0) on();
      if (relS < durationS) return true;
      off();
      return false;
    },
  };
}

/** Something at `atS`, then a probe load step for `f.durationS`. */
function thenProbe(w: SoakWorld, f: PlannedFault, atS: number, first: () => Promise<void> | void): ActiveFault {
  let undo: (() => void) | null = null;
  const notes: OccurrenceNotes = {};
  return {
    notes,
    step: async (relS) => {
      if (relS === 0) await first();
      if (relS === atS) undo = loadStep(w, f.phase, w.settings.fuseA + 5, fixableHouseA(w), notes);
      if (relS < atS + f.durationS) return true;
      undo?.();
      return false;
    },
  };
}

/**
 * A load step on L1 (only the go-e) with the go-e told to ignore its limit (and its pause). At the
 * end the owner notices: the faults are switched off and the car is unplugged for 10 s.
 */
function ignoring(w: SoakWorld, f: PlannedFault, pauseToo: boolean): ActiveFault {
  const fuse = w.settings.fuseA;
  const goe = w.rig.goeEmu;
  let undo: () => void = () => undefined;
  const notes: OccurrenceNotes = {};
  return {
    notes,
    ready: () => goe.drawA >= 10,
    step: async (relS) => {
      if (relS === 0) {
        if (!goe.charging) notes.skipped = 'the go-e was not charging at the start';
        goe.faults.ignoreLimit = true;
        goe.faults.ignorePause = pauseToo;
        // house ≤ fuse − margin − 7 A: a cut (to ≥ 7 A) would do, had the charger obeyed it
        undo = loadStep(w, L1, fuse + 4, fuse - w.settings.marginA - MIN_A - 1, notes);
      }
      if (relS < f.durationS) return true;
      if (relS === f.durationS) {
        goe.faults.ignoreLimit = false;
        goe.faults.ignorePause = false;
        undo();
        goe.unplug();
      }
      if (relS < f.durationS + UNPLUGGED_S) return true;
      goe.plugIn(GOE_CAR);
      return false;
    },
  };
}

/** A load step on grid L3 (both chargers) while the Charge Amps cloud fails the next requests. */
function cloudFailing(w: SoakWorld, f: PlannedFault, inject: () => void): ActiveFault {
  const fuse = w.settings.fuseA;
  let undo: () => void = () => undefined;
  const notes: OccurrenceNotes = {};
  return {
    notes,
    ready: () => w.rig.cars[CA].drawA()[L3] >= 8,
    step: async (relS) => {
      if (relS === 0) {
        if (w.rig.cars[CA].drawA()[L3] === 0) notes.skipped = 'the Charge Amps car was not charging at the start';
        inject();
        // cutting the go-e alone can make room, whatever the Charge Amps keeps drawing
        undo = loadStep(w, L3, fuse + 6, fuse - w.settings.marginA - w.rig.cars[CA].drawA()[L3], notes);
      }
      if (relS < f.durationS) return true;
      undo();
      return false;
    },
  };
}

function frozenPhase(w: SoakWorld, f: PlannedFault): ActiveFault {
  let undo: () => void = () => undefined;
  const notes: OccurrenceNotes = {};
  return {
    notes,
    step: async (relS) => {
      if (relS === 0) w.meter.frozenPhase = f.phase;
      // the load step the frozen phase hides
      if (relS === 5) undo = loadStep(w, f.phase, w.settings.fuseA + 5, fixableHouseA(w), notes);
      if (relS < f.durationS) return true;
      w.meter.frozenPhase = null;
      undo();
      return false;
    },
  };
}

function noMeterAtStart(w: SoakWorld, f: PlannedFault): ActiveFault {
  return {
    notes: {},
    step: async (relS) => {
      if (relS === 0) {
        w.meter.silent = true;
        w.meter.reset(); // Homey itself restarted: the meter device has no values yet
        await w.restart();
      }
      if (relS < f.durationS) return true;
      w.meter.silent = false;
      return false;
    },
  };
}

function twoBrandsOnePhase(w: SoakWorld, f: PlannedFault): ActiveFault {
  const fuse = w.settings.fuseA;
  let undo: () => void = () => undefined;
  const notes: OccurrenceNotes = {};
  return {
    notes,
    ready: () => w.rig.cars.every((c) => c.drawA()[L3] >= MIN_A),
    step: async (relS) => {
      if (relS === 0) {
        if (w.rig.cars.some((c) => c.drawA()[L3] === 0)) notes.skipped = 'not both cars were charging on L3 at the start';
        // L3 towards fuse + 11 A (36 A at 25 A): the Charge Amps must pause and the go-e go down to its minimum
        undo = loadStep(w, L3, fuse + 11, fixableHouseA(w), notes);
      }
      if (relS < f.durationS) return true;
      undo();
      return false;
    },
  };
}

/**
 * restart-during-resume: a load step on L1 until the balancer has paused the go-e; the go-e becomes
 * unreachable and the load goes away; once the balancer decided to resume (the write cannot land),
 * the app restarts; `f.arg` s later the go-e answers again. Watched until charging is allowed again.
 */
function restartDuringResume(w: SoakWorld, f: PlannedFault): ActiveFault {
  const goe = w.rig.goeEmu;
  const headroomA = 3; // < the 6 A minimum: the balancer pauses the go-e
  const notes: OccurrenceNotes = {};
  let stage: 'pausing' | 'waitResume' | 'restarted' | 'answered' = 'pausing';
  let stageAtS = 0;
  let stageSimS = 0;
  let undo: () => void = () => undefined;
  const next = (s: typeof stage, relS: number): void => {
    stage = s;
    stageAtS = relS;
    stageSimS = w.simS;
  };
  const goeId = w.rig.ids[GOE];
  const resumeDecided = (): boolean => w.events.some((e) => e.simS >= stageSimS && e.event.type === 'resumed' && e.event.chargerId === goeId);
  return {
    notes,
    ready: () => goe.drawA >= MIN_A,
    step: async (relS) => {
      if (relS === 0) undo = loadStep(w, L1, Infinity, w.settings.fuseA - w.settings.marginA - headroomA, notes);
      if (stage === 'pausing') {
        if (goe.allowed && relS < RDR_TIMEOUT_S.pause) return true;
        if (goe.allowed) notes.skipped = 'the go-e was not paused by the load step';
        goe.faults.drop = true;
        undo();
        next('waitResume', relS);
        return true;
      }
      if (stage === 'waitResume') {
        const decided = resumeDecided();
        if (!decided && relS - stageAtS < RDR_TIMEOUT_S.resume) return true;
        if (!decided) notes.skipped = 'the balancer did not decide a resume while the go-e was unreachable';
        await w.restart();
        next('restarted', relS);
        return true;
      }
      if (stage === 'restarted') {
        if (relS - stageAtS < f.arg) return true;
        goe.faults.drop = false;
        notes.resumedAfterAnswerS = null;
        next('answered', relS);
        return true;
      }
      if (goe.allowed) {
        notes.resumedAfterAnswerS = relS - stageAtS;
        return false;
      }
      return relS - stageAtS < RDR_TIMEOUT_S.resumed;
    },
  };
}

export function startFault(w: SoakWorld, f: PlannedFault): ActiveFault {
  const goe = w.rig.goeEmu;
  const ca = w.rig.caEmu;
  const kind: FaultKind = f.kind;
  switch (kind) {
    case 'goe-delay':
      return hold(f.durationS, () => void (goe.faults.delayMs = f.arg), () => void (goe.faults.delayMs = 0));
    case 'goe-500':
      return hold(f.durationS, () => void (goe.faults.http500 = true), () => void (goe.faults.http500 = false));
    case 'goe-garbage':
      return hold(f.durationS, () => void (goe.faults.garbage = true), () => void (goe.faults.garbage = false));
    case 'goe-drop':
      return hold(f.durationS, () => void (goe.faults.drop = true), () => void (goe.faults.drop = false));
    case 'goe-reboot':
      return hold(0, () => goe.reboot());
    case 'ca-429':
    case 'ca-500':
    case 'ca-garbage':
      return hold(0, () => ca.failNext(kind.slice(3) as '429' | '500' | 'garbage', f.arg));
    case 'ca-revoke':
      return hold(0, () => ca.revokeTokens());
    case 'ca-offline':
      return hold(f.durationS, () => ca.setOnline(DEMO_CA_ID, false), () => ca.setOnline(DEMO_CA_ID, true));
    case 'meter-gap':
      return hold(f.durationS, () => void (w.meter.silent = true), () => void (w.meter.silent = false));
    case 'meter-frozen':
      return hold(f.durationS, () => void (w.meter.frozen = true), () => void (w.meter.frozen = false));
    case 'meter-spike':
      return hold(0, () => void (w.meter.spikePhase = f.phase));
    case 'goe-unplug':
      return hold(f.durationS, () => goe.unplug(), () => goe.plugIn(GOE_CAR));
    case 'ca-unplug':
      return hold(f.durationS, () => ca.unplug(DEMO_CA_ID, 1), () => ca.plugIn(DEMO_CA_ID, 1, { phases: 1, maxCurrentA: 16 }));
    case 'clock-step-back':
      return thenProbe(w, f, PROBE_AFTER_CLOCK_STEP_S, () => w.clock.jump(-3_600_000));
    case 'clock-step-forward':
      return thenProbe(w, f, PROBE_AFTER_CLOCK_STEP_S, () => w.clock.jump(3_600_000));
    case 'restart':
      return thenProbe(w, f, PROBE_AFTER_RESTART_S, () => w.restart());
    case 'restart-during-resume':
      return restartDuringResume(w, f);
    case 'ignored-limit':
      return ignoring(w, f, false);
    case 'ignored-pause':
      return ignoring(w, f, true);
    case 'cloud-429-retry-after':
      return cloudFailing(w, f, () => ca.failNext('429', f.count, { retryAfterS: f.arg }));
    case 'cloud-html-200':
      return cloudFailing(w, f, () => ca.failNext('html200', f.count));
    case 'frozen-phase':
      return frozenPhase(w, f);
    case 'no-meter-at-start':
      return noMeterAtStart(w, f);
    case 'two-brands-one-phase':
      return twoBrandsOnePhase(w, f);
  }
}

/**
 * The soak's fault kinds, their bounds, and the seeded plan: kinds in shuffled rounds of all kinds,
 * one at a time, each with its own parameters and a quiet gap before it. Start times are decided
 * while the soak runs (a fault starts only after the previous one was cleared and the controller
 * recovered), so occurrences never overlap; the gap shrinks in the first round when needed so that
 * every kind fits into a 6 h run whatever the seed.
 */

export const FAULT_KINDS = [
  'goe-delay',
  'goe-500',
  'goe-garbage',
  'goe-drop',
  'goe-reboot',
  'ca-429',
  'ca-500',
  'ca-garbage',
  'ca-revoke',
  'ca-offline',
  'meter-gap',
  'meter-frozen',
  'meter-spike',
  'goe-unplug',
  'ca-unplug',
  'clock-step-back',
  'clock-step-forward',
  'restart',
  'restart-during-resume',
  'ignored-limit',
  'ignored-pause',
  'cloud-429-retry-after',
  'cloud-html-200',
  'frozen-phase',
  'no-meter-at-start',
  'two-brands-one-phase',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultSpec {
  /** The longest the fault stays active (s), for the schedule. */
  maxActiveS: number;
  /** The longest it waits for its precondition (e.g. a car charging) before it is injected anyway (s). */
  readyS: number;
  /** Seconds over the fuse one occurrence may cause (issue 11, Done when). */
  boundS: number;
  /** Nothing the app controls can cut the phase: the overloadUnresolved trigger within 60 s is the bound. */
  uncuttable?: boolean;
}

/** Seconds over the fuse one occurrence may cause, unless a kind says otherwise. */
export const DEFAULT_BOUND_S = 40;
/** Cloud answers that cannot land a cut, and a pause the charger ignores, may take this long. */
export const SLOW_BOUND_S = 75;
/** Where nothing the app controls can cut the phase, `overloadUnresolved` must come this soon (s). */
export const ALARM_BOUND_S = 60;

/** A house load step (the probe) follows a clock step by this much (s). */
export const PROBE_AFTER_CLOCK_STEP_S = 20;
/** A house load step (the probe) follows a restart by this much (s). */
export const PROBE_AFTER_RESTART_S = 30;

/** How long a fault with a precondition waits for it (s). */
export const READY_WAIT_S = 300;

const spec = (maxActiveS: number, boundS = DEFAULT_BOUND_S, uncuttable = false, readyS = 0): FaultSpec => ({ maxActiveS, readyS, boundS, uncuttable });

export const FAULT_SPECS: Record<FaultKind, FaultSpec> = {
  'goe-delay': spec(60),
  'goe-500': spec(120),
  'goe-garbage': spec(120),
  'goe-drop': spec(120),
  'goe-reboot': spec(0),
  'ca-429': spec(0),
  'ca-500': spec(0),
  'ca-garbage': spec(0),
  'ca-revoke': spec(0),
  'ca-offline': spec(300),
  'meter-gap': spec(120),
  'meter-frozen': spec(120),
  'meter-spike': spec(1),
  'goe-unplug': spec(300),
  'ca-unplug': spec(300),
  'clock-step-back': spec(PROBE_AFTER_CLOCK_STEP_S + 120),
  'clock-step-forward': spec(PROBE_AFTER_CLOCK_STEP_S + 120),
  restart: spec(PROBE_AFTER_RESTART_S + 90),
  // paused ≤ 60 s, resume decided ≤ 300 s, unreachable ≤ 20 s after the restart, resumed ≤ 300 s
  'restart-during-resume': spec(60 + 300 + 20 + 300, DEFAULT_BOUND_S, false, READY_WAIT_S),
  // + the owner unplugging the car for 10 s at the end
  'ignored-limit': spec(150 + 10, DEFAULT_BOUND_S, false, READY_WAIT_S),
  'ignored-pause': spec(150 + 10, SLOW_BOUND_S, true, READY_WAIT_S),
  'cloud-429-retry-after': spec(150, SLOW_BOUND_S, false, READY_WAIT_S),
  'cloud-html-200': spec(180, SLOW_BOUND_S, false, READY_WAIT_S),
  'frozen-phase': spec(150),
  'no-meter-at-start': spec(150),
  'two-brands-one-phase': spec(150, DEFAULT_BOUND_S, false, READY_WAIT_S),
};

export interface PlannedFault {
  kind: FaultKind;
  /** How long it stays active (s); 0 for one-shot faults. For probe faults: the probe's length. */
  durationS: number;
  /**
   * goe-delay: delay (real ms); ca-429/500/garbage: failing requests; cloud-429-retry-after:
   * Retry-After (s); restart-during-resume: seconds the charger stays unreachable after the restart.
   */
  arg: number;
  /** cloud-429-retry-after, cloud-html-200: failing requests. */
  count: number;
  /** Grid phase index (0..2) for meter-spike, frozen-phase and the probe load steps. */
  phase: number;
  /** Quiet time before it, after the previous occurrence closed (s); the schedule may shorten it. */
  gapS: number;
}

/** The soak starts its first fault no earlier than this (s). */
export const FIRST_FAULT_S = 300;
/** No fault starts later than this before the end, so the last one is over by the end (s). */
export const END_MARGIN_S = 600;
export const MIN_GAP_S = 120;
export const MAX_GAP_S = 600;
/** An occurrence is watched at most this long after it was cleared (s). */
export const RECOVERY_CAP_S = 300;

const between = (random: () => number, lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));

function planOne(random: () => number, kind: FaultKind): PlannedFault {
  const f: PlannedFault = { kind, durationS: 0, arg: 0, count: 0, phase: between(random, 0, 2), gapS: between(random, MIN_GAP_S, MAX_GAP_S) };
  const d = (lo: number, hi: number): void => void (f.durationS = between(random, lo, hi));
  if (kind === 'goe-delay') [f.durationS, f.arg] = [between(random, 10, 60), between(random, 10, 50)];
  else if (kind === 'goe-500' || kind === 'goe-garbage' || kind === 'goe-drop') d(10, 120);
  else if (kind === 'ca-429' || kind === 'ca-500' || kind === 'ca-garbage') f.arg = between(random, 1, 3);
  else if (kind === 'ca-offline' || kind === 'goe-unplug' || kind === 'ca-unplug') d(60, 300);
  else if (kind === 'meter-gap' || kind === 'meter-frozen') d(20, 120);
  else if (kind === 'clock-step-back' || kind === 'clock-step-forward') d(60, 120);
  else if (kind === 'restart') d(60, 90);
  else if (kind === 'restart-during-resume') f.arg = between(random, 5, 20);
  else if (kind === 'ignored-limit' || kind === 'ignored-pause' || kind === 'frozen-phase' || kind === 'no-meter-at-start' || kind === 'two-brands-one-phase') d(90, 150);
  else if (kind === 'cloud-429-retry-after') [f.durationS, f.arg, f.count] = [between(random, 90, 150), between(random, 30, 120), between(random, 1, 2)];
  else if (kind === 'cloud-html-200') [f.durationS, f.count] = [between(random, 120, 180), between(random, 6, 12)];
  return f;
}

/** Enough faults for `durationS` (each slot takes at least MIN_GAP_S), kinds in shuffled rounds. */
export function planFaults(random: () => number, durationS: number): PlannedFault[] {
  const out: PlannedFault[] = [];
  const n = Math.max(FAULT_KINDS.length, Math.ceil(durationS / MIN_GAP_S));
  let round: FaultKind[] = [];
  while (out.length < n) {
    if (!round.length) {
      round = [...FAULT_KINDS];
      for (let i = round.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [round[i], round[j]] = [round[j], round[i]];
      }
    }
    out.push(planOne(random, round.pop() as FaultKind));
  }
  return out;
}

/** The longest slot a kind can take: waiting, active, watched after it, and the shortest gap before it (s). */
export const worstSlotS = (kind: FaultKind): number => FAULT_SPECS[kind].readyS + FAULT_SPECS[kind].maxActiveS + RECOVERY_CAP_S + MIN_GAP_S;

/**
 * The gap before planned fault `index`, starting no earlier than `nowS`, in a run that ends at
 * `durationS`: the planned gap, shortened during the first round so that the rest of the round fits
 * even if every remaining fault takes its worst slot. Returns null when the fault no longer fits.
 */
export function gapBefore(plan: PlannedFault[], index: number, nowS: number, durationS: number): number | null {
  const f = plan[index];
  const lastEndS = durationS - END_MARGIN_S;
  let gapS = f.gapS;
  if (index < FAULT_KINDS.length) {
    const rest = plan.slice(index, FAULT_KINDS.length);
    const worstRestS = rest.reduce((s, r) => s + worstSlotS(r.kind) - MIN_GAP_S, 0);
    const spareS = Math.floor((lastEndS - nowS - worstRestS) / rest.length);
    gapS = Math.max(MIN_GAP_S, Math.min(gapS, spareS));
  }
  if (nowS + gapS + worstSlotS(f.kind) - MIN_GAP_S > lastEndS) return null;
  return gapS;
}

/** Per second of the run: 1 when no occurrence window covers it and the last one closed ≥ quietS ago. */
export function faultFreeMask(windows: [number, number][], durationS: number, quietS: number): Uint8Array {
  const mask = new Uint8Array(durationS + 1).fill(1);
  for (let s = 0; s <= Math.min(quietS, durationS); s++) mask[s] = 0; // session start
  for (const [a, b] of windows) {
    for (let s = a; s <= Math.min(durationS, b + quietS); s++) mask[s] = 0;
  }
  return mask;
}

/** Contiguous runs of 1 in the mask as [first, last] seconds. */
export function segments(mask: Uint8Array): [number, number][] {
  const out: [number, number][] = [];
  let start = -1;
  for (let s = 0; s <= mask.length; s++) {
    const on = s < mask.length && mask[s] === 1;
    if (on && start < 0) start = s;
    if (!on && start >= 0) {
      out.push([start, s - 1]);
      start = -1;
    }
  }
  return out;
}

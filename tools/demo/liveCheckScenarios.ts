/**
 * The three live-mode scenarios of issue 11 for `npm run live-check`, each on a fresh rig
 * (liveCheckRig.ts) on the real clock with a hard timeout: the session-start race, a charger that
 * ignores its limit, a meter that stops answering. Every figure is taken at the emulators (what the
 * go-e was told and does, what the meter shows), in real seconds.
 */
import type { Triple } from '../../lib/balancer/types';
import { DEFAULT_BALANCER_CONFIG } from '../../lib/balancer/types';
import { FUSE_A, sleep, settled, waitFor, withRig, type Rig } from './liveCheckRig';
import { LIVE_GOE_POLL_S } from './live';

const MARGIN_A = DEFAULT_BALANCER_CONFIG.marginA;
/** 11 A free on every phase: room to charge, but a car's first amps taken for house load leave less than 6 A. */
export const HOUSE_A: Triple<number> = [13, 13, 13];
/** go-e: plugged in (and allowed) until the car draws, the emulator's default (ms). */
export const CAR_START_DELAY_MS = 2000;
export const CAR = { maxCurrentA: 16, phases: 3 as const, needWh: 1e9 };
export const SESSION_WATCH_S = 60;
const GOE_POLL_MS = LIVE_GOE_POLL_S * 1000;

export interface SessionRun {
  no: number;
  plannedOffsetS: number;
  /** From the last go-e status read to the car's first current (s). */
  offsetS: number | null;
  /** A go-e status read fell between plug-in and the car's first current (the app knew the car was there). */
  sawCarBeforeDraw: boolean | null;
  /** The meter showed the car's current before the go-e's own reading did (the race window was open). */
  meterFirst: boolean | null;
  /** Seconds after plug-in of the first `paused` event within SESSION_WATCH_S, or null. */
  pausedAtS: number | null;
  pauseReason: string | null;
  /** The go-e's limit when the car was plugged in (what the app had set with no car), A. */
  limitAtPlugA: number | null;
  /** What the car draws at the end of the watch (A). */
  endA: number | null;
  /** The balancer's events in the watch: "+s type". */
  events: string[];
  /** What the app wrote to the go-e in the watch: "+s key=value". */
  writes: string[];
  error?: string;
}

/** `n` offsets from `loS` to `hiS`, evenly spaced, rounded to 0.01 s. */
export function sessionOffsets(n: number, loS: number, hiS: number): number[] {
  if (n <= 1) return [loS];
  return Array.from({ length: n }, (_, i) => Math.round((loS + ((hiS - loS) * i) / (n - 1)) * 100) / 100);
}

/**
 * Delay from a go-e status read to the plug-in so that the car's first current comes `offsetMs` after
 * a read: in the same poll interval when the start delay fits before it (the app never saw the car
 * connected), else plugged in before the next read (the app saw it connected, not drawing).
 */
export function plugInDelayMs(offsetMs: number, startDelayMs: number, pollMs: number): number {
  return offsetMs >= startDelayMs ? offsetMs - startDelayMs : pollMs - startDelayMs + offsetMs;
}

const rel = (ms: number, fromMs: number): number => Math.round((ms - fromMs) / 100) / 10;

/** One run of the session-start race: a car plugged in so that it starts drawing `offsetS` after a go-e read. */
export async function sessionStartRun(no: number, offsetS: number): Promise<SessionRun> {
  const run: SessionRun = { no, plannedOffsetS: offsetS, offsetS: null, sawCarBeforeDraw: null, meterFirst: null, pausedAtS: null, pauseReason: null, limitAtPlugA: null, endA: null, events: [], writes: [] };
  try {
    await withRig({ houseA: HOUSE_A, carStartDelayMs: CAR_START_DELAY_MS }, 120_000, (rig, signal) => sessionStart(rig, signal, run));
  } catch (err) {
    run.error = err instanceof Error ? err.message : String(err);
  }
  return run;
}

async function sessionStart(rig: Rig, signal: AbortSignal, run: SessionRun): Promise<void> {
  const { goe } = rig;
  await settled(rig, 2, signal);
  const reads = goe.statusReadsMs.length;
  if ((await waitFor(() => goe.statusReadsMs.length > reads, GOE_POLL_MS + 5000, signal)) === null) throw new Error('the go-e is not polled');
  const readMs = goe.statusReadsMs[reads];
  await sleep(Math.max(0, readMs + plugInDelayMs(run.plannedOffsetS * 1000, CAR_START_DELAY_MS, GOE_POLL_MS) - Date.now()), signal);
  const plugMs = Date.now();
  run.limitAtPlugA = goe.allowed ? goe.offeredA : 0;
  goe.plugIn(CAR);
  let meterSawMs: number | null = null;
  const off = rig.live.meter.onSample((s) => {
    if (meterSawMs === null && (s.currentsA[0] ?? 0) >= rig.houseA[0] + 5) meterSawMs = Date.now();
  });
  try {
    const drawMs = await waitFor(() => goe.drawA > 0, CAR_START_DELAY_MS + 10_000, signal);
    await sleep(Math.max(0, plugMs + SESSION_WATCH_S * 1000 - Date.now()), signal);
    if (drawMs !== null) {
      const before = goe.readBefore(drawMs);
      run.offsetS = before === null ? null : Math.round((drawMs - before) / 10) / 100;
      run.sawCarBeforeDraw = before !== null && before >= plugMs;
      const nextRead = goe.statusReadsMs.find((t) => t > drawMs) ?? null;
      run.meterFirst = meterSawMs !== null && (nextRead === null || meterSawMs < nextRead);
    }
  } finally {
    off();
  }
  const inWatch = (atMs: number): boolean => atMs >= plugMs && atMs <= plugMs + SESSION_WATCH_S * 1000;
  const watch = rig.events.filter((x) => inWatch(x.atMs));
  run.events = watch.map((x) => `+${rel(x.atMs, plugMs).toFixed(1)} s ${x.e.type}`);
  run.writes = goe.writes.filter((w) => inWatch(w.atMs)).map((w) => `+${rel(w.atMs, plugMs).toFixed(1)} s ${w.key}=${w.raw}`);
  const paused = watch.find((x) => x.e.type === 'paused');
  run.pausedAtS = paused ? rel(paused.atMs, plugMs) : null;
  run.pauseReason = paused?.e.reason ?? null;
  run.endA = goe.drawA;
}

/** Plug the car in and wait until it charges and the app has not written for 20 s (a steady session). */
async function chargingSteadily(rig: Rig, signal: AbortSignal): Promise<number> {
  const { goe } = rig;
  await settled(rig, 2, signal);
  const plugMs = Date.now();
  goe.plugIn(CAR);
  const quiet = (): boolean => {
    const lastWriteMs = goe.writes.at(-1)?.atMs ?? 0;
    return goe.drawA >= 6 && Date.now() - Math.max(lastWriteMs, plugMs) >= 20_000;
  };
  if ((await waitFor(quiet, 150_000, signal)) === null) throw new Error(`no steady charging after plug-in (car ${goe.drawA} A, allowed ${goe.allowed})`);
  return goe.drawA;
}

export interface IgnoredLimitResult {
  /** What the car drew before the step and kept drawing (A). */
  carA: number | null;
  /** L1 house load before and after the step (A). */
  houseStep: [number, number] | null;
  /** Seconds from the load step: the app's first cut written, its pause decided, the go-e not allowed (frc=1). */
  cutS: number | null;
  pauseDecidedS: number | null;
  goePausedS: number | null;
  /** Seconds with L1 above the fuse (true current) from the step until the go-e stopped. */
  overFuseS: number;
  peakA: number | null;
  trail: string[];
  error?: string;
}

/** A go-e that ignores its limit (emulator `faults.ignoreLimit`), then a house load step that needs a cut. */
export async function ignoredLimit(): Promise<IgnoredLimitResult> {
  const r: IgnoredLimitResult = { carA: null, houseStep: null, cutS: null, pauseDecidedS: null, goePausedS: null, overFuseS: 0, peakA: null, trail: [] };
  let rigRef: Rig | null = null;
  try {
    await withRig({ houseA: HOUSE_A, carStartDelayMs: CAR_START_DELAY_MS }, 330_000, async (rig, signal) => {
      rigRef = rig;
      const { goe } = rig;
      r.carA = await chargingSteadily(rig, signal);
      goe.faults.ignoreLimit = true;
      const before = rig.houseA[0];
      // L1 over fuse − margin by 4 A unless the go-e is cut by 4 A (≥ 6 A left: a cut, not a pause)
      rig.houseA[0] = FUSE_A - MARGIN_A - r.carA + 4;
      r.houseStep = [before, rig.houseA[0]];
      const stepMs = Date.now();
      const truth = sampleTruth(rig);
      try {
        const pausedMs = await waitFor(() => !goe.allowed, 120_000, signal);
        r.goePausedS = pausedMs === null ? null : rel(pausedMs, stepMs);
      } finally {
        truth.stop();
      }
      r.overFuseS = truth.overS;
      r.peakA = truth.peakA;
      const cut = goe.writes.find((w) => w.atMs >= stepMs && (w.key === 'amp' || w.key === 'frc'));
      r.cutS = cut ? rel(cut.atMs, stepMs) : null;
      const paused = rig.events.find((x) => x.atMs >= stepMs && x.e.type === 'paused');
      r.pauseDecidedS = paused ? rel(paused.atMs, stepMs) : null;
    });
  } catch (err) {
    r.error = err instanceof Error ? err.message : String(err);
  }
  r.trail = (rigRef as Rig | null)?.lines.slice(-12) ?? [];
  return r;
}

/** Sample the true L1 current every 100 ms: seconds above the fuse and the peak. */
function sampleTruth(rig: Rig): { stop(): void; overS: number; peakA: number } {
  const out = { overS: 0, peakA: 0, stop: () => clearInterval(timer) };
  const timer = setInterval(() => {
    const l1 = rig.trueA()[0];
    out.peakA = Math.max(out.peakA, l1);
    if (l1 > FUSE_A) out.overS = Math.round((out.overS + 0.1) * 10) / 10;
  }, 100);
  return out;
}

export type MeterFault = 'no-answer' | 'http-500' | 'stopped';

export const METER_FAULTS: Record<MeterFault, string> = {
  'no-answer': 'HomeWizard emulator `faults.slowMs` = 10 min: every request hangs until the app’s 3 s timeout',
  'http-500': 'HomeWizard emulator `faults.status500`: every request answers HTTP 500',
  stopped: 'HomeWizard emulator stopped: connection refused',
};

export interface MeterOutageResult {
  fault: MeterFault;
  carA: number | null;
  /** Seconds from the meter's stop: the go-e offers 6 A (or is paused), the go-e is paused (frc=1). */
  minimumS: number | null;
  /** The go-e offered exactly 6 A before it was paused. */
  sawSixA: boolean;
  pausedS: number | null;
  /** Seconds from the meter's stop to the `meterStale` event. */
  staleEventS: number | null;
  trail: string[];
  error?: string;
}

/** A charging session, then the meter stops answering (`fault`). */
export async function meterOutage(fault: MeterFault): Promise<MeterOutageResult> {
  const r: MeterOutageResult = { fault, carA: null, minimumS: null, sawSixA: false, pausedS: null, staleEventS: null, trail: [] };
  let rigRef: Rig | null = null;
  try {
    await withRig({ houseA: HOUSE_A, carStartDelayMs: CAR_START_DELAY_MS }, 330_000, async (rig, signal) => {
      rigRef = rig;
      const { goe, meter } = rig;
      r.carA = await chargingSteadily(rig, signal);
      const stopMs = Date.now();
      if (fault === 'no-answer') meter.faults.slowMs = 600_000;
      else if (fault === 'http-500') meter.faults.status500 = true;
      else await meter.stop();
      const minMs = await waitFor(() => goe.offeredA <= 6 || !goe.allowed, 120_000, signal);
      r.sawSixA = goe.allowed && goe.offeredA === 6;
      r.minimumS = minMs === null ? null : rel(minMs, stopMs);
      const pausedMs = await waitFor(() => !goe.allowed, 120_000, signal);
      r.pausedS = pausedMs === null ? null : rel(pausedMs, stopMs);
      const stale = rig.events.find((x) => x.atMs >= stopMs && x.e.type === 'meterStale');
      r.staleEventS = stale ? rel(stale.atMs, stopMs) : null;
    });
  } catch (err) {
    r.error = err instanceof Error ? err.message : String(err);
  }
  r.trail = (rigRef as Rig | null)?.lines.slice(-12) ?? [];
  return r;
}

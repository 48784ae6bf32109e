/**
 * The rig of `npm run live-check` (tools/demo/liveCheck.ts): live mode exactly as
 * `npm start -- --meter homewizard://HOST --goe HOST` runs it (`startLive`, app default settings,
 * go-e polled every 5 s, the real clock) against a go-e emulator and a HomeWizard P1 emulator over
 * loopback HTTP. The meter shows a settable house load plus what the emulated car really draws.
 * Also the small waiting helpers every scenario uses, all bounded and abortable.
 */
import type { Triple } from '../../lib/balancer/types';
import { SystemClock } from '../../lib/clock';
import type { ControllerEvent } from '../../lib/controller';
import { GoeEmulator } from '../emulators/goe/emulator';
import { HomeWizardEmulator } from '../emulators/homewizard';
import { startLive, type LiveRun } from './live';

export const FUSE_A = 25;

/** A go-e emulator that notes when the app reads its status and what it writes (real ms). */
export class TimedGoeEmulator extends GoeEmulator {
  readonly statusReadsMs: number[] = [];
  readonly writes: { atMs: number; key: string; raw: string }[] = [];

  override v2Status(): Record<string, unknown> {
    this.statusReadsMs.push(Date.now());
    return super.v2Status();
  }

  protected override setV2(key: string, raw: string): true | string {
    this.writes.push({ atMs: Date.now(), key, raw });
    return super.setV2(key, raw);
  }

  /** The last status read at or before `atMs`, or null. */
  readBefore(atMs: number): number | null {
    let last: number | null = null;
    for (const t of this.statusReadsMs) if (t <= atMs) last = t;
    return last;
  }
}

export interface RigOptions {
  /** House load per phase without the car (A). */
  houseA: Triple<number>;
  /** go-e: time from "plugged in and allowed" until the car draws (ms). */
  carStartDelayMs: number;
}

export interface Rig {
  goe: TimedGoeEmulator;
  meter: HomeWizardEmulator;
  live: LiveRun;
  /** Change it at any time: the next telegram shows it. */
  houseA: Triple<number>;
  events: { atMs: number; e: ControllerEvent }[];
  /** What live mode printed, with the real time in front. */
  lines: string[];
  /** True phase currents now (house + what the car draws). */
  trueA(): Triple<number>;
  stop(): Promise<void>;
}

export async function startRig(opts: RigOptions): Promise<Rig> {
  const clock = new SystemClock();
  const houseA: Triple<number> = [...opts.houseA];
  const goe = new TimedGoeEmulator({ clock, startDelayMs: opts.carStartDelayMs, profile: 'v2-060' });
  await goe.start();
  const trueA = (): Triple<number> => houseA.map((a) => a + goe.drawA) as Triple<number>;
  const meter = new HomeWizardEmulator({ clock, trace: () => trueA() });
  const lines: string[] = [];
  const note = (l: string): void => {
    lines.push(`${new Date().toISOString().slice(11, 23)} ${l}`);
  };
  let live: LiveRun;
  try {
    const meterHost = await meter.start();
    // exactly what `npm start -- --meter homewizard://HOST --goe HOST` passes (main.ts, live())
    live = await startLive({ meterHost, goeHost: goe.url, settings: { fuseA: FUSE_A }, out: note, err: (l) => note(`err: ${l}`) });
  } catch (err) {
    await Promise.allSettled([goe.stop(), meter.stop()]);
    throw err;
  }
  const events: Rig['events'] = [];
  live.controller.on('event', (e: ControllerEvent) => events.push({ atMs: Date.now(), e }));
  let stopped = false;
  return {
    goe,
    meter,
    live,
    houseA,
    events,
    lines,
    trueA,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await bounded(live.stop(), 10_000);
      await Promise.allSettled([bounded(goe.stop(), 5_000), bounded(meter.stop(), 5_000)]);
    },
  };
}

/** Resolves when `p` settles or after `ms`, whichever is first; never rejects. */
async function bounded(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => undefined), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

export class ScenarioAborted extends Error {
  constructor() {
    super('scenario aborted (hard timeout)');
  }
}

/** Real-time sleep that rejects with ScenarioAborted when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new ScenarioAborted());
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new ScenarioAborted());
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Wait until `cond` holds (checked every 20 ms): the real time it held first (ms), or null after `withinMs`. */
export async function waitFor(cond: () => boolean, withinMs: number, signal: AbortSignal): Promise<number | null> {
  const endMs = Date.now() + withinMs;
  for (;;) {
    if (cond()) return Date.now();
    if (Date.now() > endMs) return null;
    await sleep(20, signal);
  }
}

/**
 * Run `fn` with a fresh rig and a hard timeout: after `limitMs` every wait in it rejects, and the rig
 * is stopped whatever happens.
 */
export async function withRig<T>(opts: RigOptions, limitMs: number, fn: (rig: Rig, signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), limitMs);
  let rig: Rig | null = null;
  try {
    rig = await startRig(opts);
    return await fn(rig, ac.signal);
  } finally {
    clearTimeout(timer);
    await rig?.stop();
  }
}

/** Wait until the live loop has fresh meter data and has read the go-e `polls` times. */
export async function settled(rig: Rig, polls: number, signal: AbortSignal): Promise<void> {
  const ok = await waitFor(() => rig.live.meter.counters.telegrams >= 2 && rig.goe.statusReadsMs.length >= polls, 20_000, signal);
  if (ok === null) throw new Error(`live mode did not start: ${rig.live.meter.counters.telegrams} telegrams, ${rig.goe.statusReadsMs.length} go-e reads`);
}

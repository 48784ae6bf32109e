/**
 * Physical models for the simulator: the house meter, the charger (command latency, pause/resume)
 * and the car (follows the offered current after a delay, starts late after a pause).
 * All times are seconds of simulated time.
 */
import type { GridPhase, MeterSample, Triple } from '../../lib/balancer/types';
import type { LatencyClass } from '../../lib/charger';

export type ChargerKind = 'goe' | 'chargeamps';

/** Typical time from our write to the charger acting on it: go-e local API ~1 s, Charge Amps cloud ~15 s. */
export const CHARGER_LATENCY_S: Record<ChargerKind, number> = { goe: 1, chargeamps: 15 };
/** How the balancer sees each simulated charger: the go-e local, Charge Amps through its cloud. */
export const CHARGER_LATENCY_CLASS: Record<ChargerKind, LatencyClass> = { goe: 'local', chargeamps: 'cloud' };

export interface MeterOptions {
  /** A fresh reading every this many seconds (DSMR 5: 1 s, DSMR 4: 10 s). */
  intervalS: number;
  /** Report whole amps like a DSMR meter does (default true). */
  wholeAmps?: boolean;
}

/** Produces a fresh sample only when its interval has passed, stamped with the reading time. */
export class MeterModel {
  private nextS = 0;
  private seq = 0;
  constructor(private readonly opts: MeterOptions) {
    if (!(opts.intervalS > 0)) throw new Error('meter interval must be > 0 s');
  }

  /** The reading due at `nowS`, or null between readings. */
  read(nowS: number, houseA: Triple<number>): MeterSample | null {
    if (nowS + 1e-9 < this.nextS) return null;
    this.nextS += this.opts.intervalS;
    if (this.nextS <= nowS) this.nextS = nowS + this.opts.intervalS;
    const round = this.opts.wholeAmps !== false;
    const currentsA = houseA.map((a) => (round ? Math.round(a) : a)) as Triple<number>;
    return { timeMs: Math.round(nowS * 1000), seq: ++this.seq, currentsA };
  }
}

export interface CarOptions {
  /** 1 or 3 phases. */
  phases: 1 | 3;
  /** Grid phase of a single-phase car (default L1). */
  phase?: GridPhase;
  /** Most the car draws per phase (A). */
  maxA: number;
  /** Below this the car does not charge (A). */
  minA?: number;
  /** Seconds until the car's draw follows a new offered current (default 5). */
  followS?: number;
  /** Extra seconds before the car starts drawing after a pause or at plug-in (default 10). */
  startDelayS?: number;
}

/** Grid phases the car draws on, as indexes 0..2. */
export function carGridPhases(car: CarOptions): number[] {
  if (car.phases === 3) return [0, 1, 2];
  return [['L1', 'L2', 'L3'].indexOf(car.phase ?? 'L1')];
}

/**
 * The car's draw is the offered current as it was `followS` ago (a delayed step), clamped to the
 * car's max; it draws nothing while the offer is below its minimum, and after a stop it waits
 * `startDelayS` more before drawing again.
 */
export class CarModel {
  private readonly offers: { atS: number; offeredA: number }[] = [{ atS: -Infinity, offeredA: 0 }];
  private drawA = 0;
  /** When the offer last became enough to charge while the car was not drawing. */
  private wantSinceS: number | null = null;
  readonly gridPhases: number[];

  constructor(private readonly opts: CarOptions) {
    this.gridPhases = carGridPhases(opts);
  }

  get minA(): number {
    return this.opts.minA ?? 6;
  }

  /** The charger's offer changed at `nowS` (0 = paused). */
  offer(nowS: number, offeredA: number): void {
    const last = this.offers[this.offers.length - 1];
    if (last.offeredA === offeredA) return;
    if (last.atS === nowS) last.offeredA = offeredA;
    else this.offers.push({ atS: nowS, offeredA });
  }

  /** Current the car draws per phase it uses at `nowS` (A). Call with increasing times. */
  update(nowS: number): number {
    const followS = this.opts.followS ?? 5;
    while (this.offers.length > 1 && this.offers[1].atS <= nowS - followS) this.offers.shift();
    const offered = this.offers[0].offeredA;
    const target = offered >= this.minA ? Math.min(offered, this.opts.maxA) : 0;
    if (target === 0) {
      this.wantSinceS = null;
      this.drawA = 0;
    } else if (this.drawA > 0) {
      this.drawA = target;
    } else {
      this.wantSinceS ??= nowS;
      if (nowS >= this.wantSinceS + (this.opts.startDelayS ?? 10)) this.drawA = target;
    }
    return this.drawA;
  }

  /** Draw per grid phase (A). */
  drawPerPhase(): Triple<number> {
    const out: Triple<number> = [0, 0, 0];
    for (const p of this.gridPhases) out[p] = this.drawA;
    return out;
  }
}

export interface ChargerState {
  limitA: number;
  paused: boolean;
}

/**
 * The charger: commands take effect `latencyS` after they were sent. Limits are whole amps (both
 * brands take integers), clamped to minA..maxA. Counts writes and pauses.
 */
export class ChargerModel {
  readonly state: ChargerState;
  writes = 0;
  pauses = 0;
  private queue: { dueS: number; apply: (s: ChargerState) => void }[] = [];

  constructor(
    readonly latencyS: number,
    readonly minA: number,
    readonly maxA: number,
    initialLimitA = maxA,
  ) {
    this.state = { limitA: this.clamp(initialLimitA), paused: false };
  }

  private clamp(a: number): number {
    return Math.min(this.maxA, Math.max(this.minA, Math.floor(a + 1e-9)));
  }

  setCurrentLimit(nowS: number, currentA: number): void {
    this.send(nowS, (s) => {
      s.limitA = this.clamp(currentA);
    });
  }

  pause(nowS: number): void {
    this.send(nowS, (s) => {
      if (!s.paused) this.pauses++;
      s.paused = true;
    });
  }

  resume(nowS: number, currentA: number): void {
    this.send(nowS, (s) => {
      s.limitA = this.clamp(currentA);
      s.paused = false;
    });
  }

  private send(nowS: number, apply: (s: ChargerState) => void): void {
    this.writes++;
    this.queue.push({ dueS: nowS + this.latencyS, apply });
  }

  /** Apply every command due by `nowS`; returns the current offered to the car (0 when paused). */
  advance(nowS: number): number {
    while (this.queue.length && this.queue[0].dueS <= nowS + 1e-9) this.queue.shift()!.apply(this.state);
    return this.offeredA();
  }

  offeredA(): number {
    return this.state.paused ? 0 : this.state.limitA;
  }
}

/**
 * How the simulator starts a balancer: a simulated world has nothing before its first second, so the fuse's last hour
 * is known (no stress) and the quick rules may apply from the start (docs/balancer.md, rule 13); the app, which cannot
 * know that hour, starts careful.
 */
export const SIM_START = { lastHourKnown: true } as const;

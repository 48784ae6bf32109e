/**
 * The common shape of every house-meter source (another Homey device, the HomeWizard P1 local API,
 * a Flow card, a replayed trace) and the small helpers they share: per-phase current from
 * current/power/voltage, per-phase freshness, and merging per-phase updates into `MeterSample`s.
 *
 * Freshness: a phase is fresh only when it got a new value (or a new timestamp for the same value).
 * `status().perPhaseAgeS` reports, per phase, the seconds since that happened. A source emits a
 * sample only when something new arrived; the balancer's own `staleAfterS` handles silence.
 */
import type { Clock } from '../clock';
import type { MeterSample, Triple } from '../balancer/types';
import { describeError } from '../errors';

export type MeterSourceKind = 'homey-device' | 'homewizard' | 'flow' | 'replay';
export type PhaseNo = 0 | 1 | 2;
export const PHASE_NOS: readonly PhaseNo[] = [0, 1, 2];

export interface MeterSourceStatus {
  kind: MeterSourceKind;
  /** Clock time of the last emitted sample, null before the first. */
  lastSampleMs: number | null;
  /** Seconds since each phase last got a new value; null = never reported. */
  perPhaseAgeS: Triple<number | null>;
  /** Why the source cannot deliver samples now (one line), or null. */
  error: string | null;
  /** Something the user should know that does not stop the source (e.g. a clamped setting). */
  warning: string | null;
}

export interface MeterSource {
  readonly kind: MeterSourceKind;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Register a listener for new samples; returns a function that removes it. */
  onSample(cb: (sample: MeterSample) => void): () => void;
  /** Called whenever `status().error` changes (null = recovered). */
  onError(cb: (error: string | null) => void): () => void;
  status(): MeterSourceStatus;
}

/** Nominal phase voltage used to turn power into current when a meter reports no voltage (V). */
export const NOMINAL_VOLTAGE_V = 230;

/** Voltages below this are treated as "not measured" (a dead phase or a placeholder 0). */
const MIN_PLAUSIBLE_VOLTAGE_V = 100;

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Signed current of one phase (A, negative = export) from whatever a meter reports.
 * - magnitude: the larger of |current| and |power| / voltage. DSMR currents are truncated to whole
 *   amps (and P/U ignores reactive current), so the larger one is the closer lower bound.
 *   Without a usable voltage, `nominalV` is used.
 * - sign: the sign of the power when it is non-zero, else the sign of the reported current
 *   (HomeWizard signs its currents; raw DSMR and Tibber do not).
 * Returns null when neither current nor power is known.
 */
export function phaseCurrentA(
  currentA: number | null | undefined,
  powerW: number | null | undefined,
  voltageV: number | null | undefined,
  nominalV = NOMINAL_VOLTAGE_V,
): number | null {
  const hasI = finite(currentA);
  const hasP = finite(powerW);
  if (!hasI && !hasP) return null;
  const u = finite(voltageV) && voltageV >= MIN_PLAUSIBLE_VOLTAGE_V ? voltageV : nominalV;
  const magnitude = Math.max(hasI ? Math.abs(currentA) : 0, hasP ? Math.abs(powerW) / u : 0);
  const negative = hasP && powerW !== 0 ? powerW < 0 : hasI && currentA < 0;
  const rounded = Math.round(magnitude * 1000) / 1000;
  return negative && rounded !== 0 ? -rounded : rounded;
}

/**
 * Collects per-phase updates that arrive one by one (e.g. three Homey capability events) and turns
 * them into samples. A phase keeps its last value until it is older than `maxPhaseAgeMs`, because
 * event-driven sources only push changes: an unchanged phase is still valid while the meter shows
 * life through other updates (`touch`). A sample is built only when something new arrived.
 */
export class PhaseMerger {
  private readonly valueA: Triple<number | null> = [null, null, null];
  private readonly changedMs: Triple<number | null> = [null, null, null];
  private latestMs: number | null = null;
  private dirty = false;

  constructor(private readonly maxPhaseAgeMs: number) {}

  /** A phase got a value (null = the meter no longer reports it) at `atMs`. */
  update(phase: PhaseNo, valueA: number | null, atMs: number): void {
    const prev = this.changedMs[phase];
    // An event older than what we have (out-of-order delivery) is ignored.
    if (prev !== null && atMs < prev) return;
    this.valueA[phase] = valueA;
    this.changedMs[phase] = atMs;
    this.touch(atMs);
  }

  /** Something else from the same meter arrived at `atMs` (proves it is alive). */
  touch(atMs: number): void {
    this.latestMs = this.latestMs === null ? atMs : Math.max(this.latestMs, atMs);
    this.dirty = true;
  }

  /** Seconds since each phase last changed, null when never seen. */
  ageS(nowMs: number): Triple<number | null> {
    return this.changedMs.map((t) => (t === null ? null : Math.max(0, nowMs - t) / 1000)) as Triple<number | null>;
  }

  /** The values that are still valid at `nowMs` (older than maxPhaseAgeMs → null). */
  current(nowMs: number): Triple<number | null> {
    return PHASE_NOS.map((p) => {
      const t = this.changedMs[p];
      return t !== null && nowMs - t <= this.maxPhaseAgeMs ? this.valueA[p] : null;
    }) as Triple<number | null>;
  }

  /** The sample for everything new since the last call, or null when nothing new arrived or no phase is valid. */
  take(nowMs: number): { timeMs: number; currentsA: Triple<number | null> } | null {
    if (!this.dirty || this.latestMs === null) return null;
    this.dirty = false;
    const currentsA = this.current(nowMs);
    if (currentsA.every((v) => v === null)) return null;
    return { timeMs: this.latestMs, currentsA };
  }
}

/**
 * Shared bookkeeping of the sources: listeners, sequence numbers, per-phase ages, error/warning.
 * Subclasses call `emit` with each new reading.
 */
export abstract class BaseMeterSource implements MeterSource {
  abstract readonly kind: MeterSourceKind;
  private readonly listeners = new Set<(s: MeterSample) => void>();
  private readonly errorListeners = new Set<(e: string | null) => void>();
  private seq = 0;
  private lastSampleMs: number | null = null;
  private lastTimeMs: number | null = null;
  private readonly phaseSeenMs: Triple<number | null> = [null, null, null];
  private error: string | null = null;
  protected warning: string | null = null;
  /** Set by the last listener that threw, so a broken consumer is visible but cannot stop the source. */
  listenerError: string | null = null;

  constructor(protected readonly clock: Clock) {}

  abstract start(): Promise<void>;
  abstract stop(): Promise<void>;

  onSample(cb: (s: MeterSample) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  onError(cb: (e: string | null) => void): () => void {
    this.errorListeners.add(cb);
    return () => this.errorListeners.delete(cb);
  }

  /** Set or clear (null) the error; listeners hear about changes only. */
  protected setError(error: string | null): void {
    if (error === this.error) return;
    this.error = error;
    for (const cb of [...this.errorListeners]) this.safely(() => cb(error));
  }

  status(): MeterSourceStatus {
    const now = this.clock.nowMs();
    return {
      kind: this.kind,
      lastSampleMs: this.lastSampleMs,
      perPhaseAgeS: this.phaseAges(now),
      error: this.error,
      warning: this.warning,
    };
  }

  /** Per-phase age; sources that track phases themselves (PhaseMerger) override this. */
  protected phaseAges(nowMs: number): Triple<number | null> {
    return this.phaseSeenMs.map((t) => (t === null ? null : Math.max(0, nowMs - t) / 1000)) as Triple<number | null>;
  }

  /**
   * Hand a new reading to the listeners. Every non-null phase counts as fresh at `timeMs`.
   * `timeMs` never goes backwards: a reading stamped at or before the previous one is moved 1 ms
   * after it so that consumers judging freshness by time still see it as new (seq is authoritative).
   */
  protected emit(currentsA: Triple<number | null>, timeMs = this.clock.nowMs()): MeterSample {
    const t = this.lastTimeMs !== null && timeMs <= this.lastTimeMs ? this.lastTimeMs + 1 : timeMs;
    this.lastTimeMs = t;
    const sample: MeterSample = { timeMs: t, seq: ++this.seq, currentsA: [...currentsA] as Triple<number | null> };
    this.lastSampleMs = this.clock.nowMs();
    for (const p of PHASE_NOS) if (currentsA[p] !== null) this.phaseSeenMs[p] = t;
    for (const cb of [...this.listeners]) this.safely(() => cb(sample));
    return sample;
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.listenerError = describeError(err);
    }
  }
}

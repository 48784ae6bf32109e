/**
 * The common shape of every house-meter source (another Homey device, the HomeWizard P1 local API,
 * raw P1 telegrams over TCP, a Flow card, a replayed trace) and the small helpers they share: per-phase current from
 * current/power/voltage, per-phase freshness, and merging per-phase updates into `MeterSample`s.
 *
 * Freshness is judged on receipt, by this app's monotonic clock (`Clock.monoMs`) and by a change of
 * content, never by comparing wall-clock stamps a source was handed (Homey `lastUpdated`, telegram
 * timestamps) or the wall clock itself: a wall-clock step either way neither freezes nor fakes data.
 * A source emits a sample only when something new arrived, with `seq` one higher than the last
 * (the balancer decides freshness by it) and `timeMs` = the wall time at receipt (display only); the
 * balancer's own `staleAfterS` handles silence. `status().perPhaseAgeS` reports, per phase, the
 * seconds (monotonic) since it was last handed over in a sample.
 */
import type { Clock } from '../clock';
import { DEFAULT_BALANCER_CONFIG, type MeterSample, type Triple } from '../balancer/types';
import { describeError } from '../errors';

/** Where the house meter readings come from: the one meter-kind type (settings, sources, live view). */
export type MeterSourceKind = 'homey-device' | 'homewizard' | 'homewizard-v2' | 'flow' | 'p1tcp';
/** A source's kind; 'replay' is the workshop's recorded trace (tools), never a setting. */
export type SourceKind = MeterSourceKind | 'replay';
import { PHASES, type PhaseIndex } from '../phase';

/** Timings of a source that keeps a connection open (raw P1 over TCP, HomeWizard API v2's WebSocket). */
export interface StreamTimings {
  connectTimeoutMs: number;
  silenceTimeoutMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  nominalVoltageV: number;
}

/** The one reading of those options: a missing, non-finite or non-positive value takes its default; max ≥ min. */
export function streamTimings(opts: Partial<StreamTimings>, defaults: Omit<StreamTimings, 'nominalVoltageV'>): StreamTimings {
  const positive = (v: number | undefined, d: number): number => (v !== undefined && Number.isFinite(v) && v > 0 ? v : d);
  const minMs = positive(opts.reconnectMinMs, defaults.reconnectMinMs);
  return {
    connectTimeoutMs: positive(opts.connectTimeoutMs, defaults.connectTimeoutMs),
    silenceTimeoutMs: positive(opts.silenceTimeoutMs, defaults.silenceTimeoutMs),
    reconnectMinMs: minMs,
    reconnectMaxMs: Math.max(minMs, positive(opts.reconnectMaxMs, defaults.reconnectMaxMs)),
    nominalVoltageV: positive(opts.nominalVoltageV, NOMINAL_VOLTAGE_V),
  };
}

export interface MeterSourceStatus {
  kind: SourceKind;
  /** Wall time of the last emitted sample (for display), null before the first. */
  lastSampleMs: number | null;
  /** Seconds (monotonic) since the last emitted sample, null before the first. */
  lastSampleAgeS: number | null;
  /** Seconds (monotonic) since each phase was last handed over in a sample; null = not since start. */
  perPhaseAgeS: Triple<number | null>;
  /** Why the source cannot deliver samples now (one line), or null. */
  error: string | null;
  /** Something the user should know that does not stop the source (e.g. a clamped setting). */
  warning: string | null;
}

export interface MeterSource {
  readonly kind: SourceKind;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Register a listener for new samples; returns a function that removes it. */
  onSample(cb: (sample: MeterSample) => void): () => void;
  /** Called whenever `status().error` changes (null = recovered). */
  onError(cb: (error: string | null) => void): () => void;
  status(): MeterSourceStatus;
}

/**
 * A phase whose own values stop changing while the meter's other values change is stale after this long
 * (the balancer's default `staleAfterS`; sources take it as `staleAfterMs`).
 */
export const DEFAULT_STALE_AFTER_MS = DEFAULT_BALANCER_CONFIG.staleAfterS * 1000;

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

/** Highest phase voltage a grid is allowed to have (EN 50160: 230 V + 10 %). */
export const MAX_GRID_VOLTAGE_V = 253;

/** What a meter reports for one phase; null = not reported. */
export interface PhaseParts {
  currentA: number | null;
  powerW: number | null;
  voltageV: number | null;
}

/**
 * Whether a meter's total power can be what its per-phase values add up to, so that a phase whose own values
 * did not change for a while is still vouched for by the meter (see homeyDevice.ts on constant phases):
 * - every reported phase has a power: |total − Σ power| ≤ 50 W + 3 % of Σ|power| (signed, both ways);
 * - some phase has only a current (whole amps, maybe unsigned): one way only, the total may not exceed what
 *   the phases can carry, Σ(|power| or 253 V · (|current| + 1 A)) + 50 W. A phase reading less than it
 *   carries is what matters for the fuse; this bound never calls truthful whole-amp values inconsistent.
 * False when no phase is reported.
 */
export function totalPowerExplains(totalPowerW: number, phases: readonly PhaseParts[]): boolean {
  const reported = phases.filter((p) => finite(p.currentA) || finite(p.powerW));
  if (reported.length === 0 || !finite(totalPowerW)) return false;
  const slackW = 50;
  if (reported.every((p) => finite(p.powerW))) {
    const sumW = reported.reduce((s, p) => s + p.powerW!, 0);
    const absW = reported.reduce((s, p) => s + Math.abs(p.powerW!), 0);
    return Math.abs(totalPowerW - sumW) <= slackW + 0.03 * absW;
  }
  const canCarryW = reported.reduce(
    (s, p) => s + (finite(p.powerW) ? Math.abs(p.powerW) : MAX_GRID_VOLTAGE_V * (Math.abs(p.currentA!) + 1)),
    0,
  );
  return Math.abs(totalPowerW) <= canCarryW + slackW;
}

/**
 * Collects per-phase values that arrive one by one (e.g. Homey capability events) and turns them into
 * samples, on the monotonic clock. A phase is alive while any of its own values changes; one whose own
 * values have not changed for `staleAfterMs` (or not since start) is left out (null) unless the caller
 * vouches for it (`take(…, confirmed)`), because event-driven sources push changes only. A sample is built
 * only when something of the meter changed since the last one.
 */
export class PhaseMerger {
  private readonly valueA: Triple<number | null> = [null, null, null];
  private readonly changedMonoMs: Triple<number | null> = [null, null, null];
  private dirty = false;

  constructor(private readonly staleAfterMs: number) {}

  /**
   * The phase's value as it is now (null = the meter does not report it), received at `monoMs`;
   * `changed`: one of the phase's own values (current, power, voltage) differs from before.
   */
  set(phase: PhaseIndex, valueA: number | null, changed: boolean, monoMs: number): void {
    this.valueA[phase] = valueA;
    if (!changed) return;
    this.changedMonoMs[phase] = monoMs;
    this.dirty = true;
  }

  /** Another value of the same meter (total power) changed: a sample is due. */
  touch(): void {
    this.dirty = true;
  }

  /** Whether each phase's own values changed within `staleAfterMs`. */
  alive(monoMs: number): Triple<boolean> {
    return this.changedMonoMs.map((t) => t !== null && monoMs - t < this.staleAfterMs) as Triple<boolean>;
  }

  /**
   * How long ago each phase's own values last changed (ms), for the phases `take` hands out: a phase the total
   * vouches for (`confirmed`) counts as seen now.
   */
  agesMs(monoMs: number, confirmed: boolean): Triple<number | null> {
    return PHASES.map((p) => {
      if (confirmed) return 0;
      const t = this.changedMonoMs[p];
      return t === null ? null : Math.max(0, monoMs - t);
    }) as Triple<number | null>;
  }

  /**
   * The currents for everything new since the last call: alive phases, and the others only when
   * `confirmed` (the meter's total vouches for them). Null when nothing changed or no phase is usable.
   */
  take(monoMs: number, confirmed: boolean): Triple<number | null> | null {
    if (!this.dirty) return null;
    this.dirty = false;
    const alive = this.alive(monoMs);
    const currentsA = PHASES.map((p) => (alive[p] || confirmed ? this.valueA[p] : null)) as Triple<number | null>;
    return currentsA.every((v) => v === null) ? null : currentsA;
  }
}

/** What a reading may carry besides the currents (see `MeterSample`): set on the sample only where finite. */
export type MeterExtras = Partial<Pick<MeterSample, 'powerW' | 'voltagesV' | 'meterPeakW' | 'ageMs'>>;

/**
 * Shared bookkeeping of the sources: listeners, sequence numbers, per-phase ages, error/warning.
 * Subclasses call `emit` with each new reading.
 */
export abstract class BaseMeterSource implements MeterSource {
  abstract readonly kind: SourceKind;
  private readonly listeners = new Set<(s: MeterSample) => void>();
  private readonly errorListeners = new Set<(e: string | null) => void>();
  private seq = 0;
  private lastSampleMs: number | null = null;
  private lastSampleMonoMs: number | null = null;
  private readonly phaseSeenMonoMs: Triple<number | null> = [null, null, null];
  private error: string | null = null;
  protected warning: string | null = null;
  /** Set by the last listener that threw, so a broken consumer is visible but cannot stop the source. */
  listenerError: string | null = null;

  constructor(protected readonly clock: Clock) {}

  /** Between start() and stop(). */
  protected running = false;

  /** Start once (a second call while running does nothing), then `begin`: the first poll, a connection. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.begin();
  }

  /** No more samples from here on; `end` closes what is open. */
  async stop(): Promise<void> {
    this.running = false;
    await this.end();
  }

  /** What starting means for this source (nothing by default: a source that is fed from outside). */
  protected begin(): void | Promise<void> {}

  /** What stopping closes (nothing by default). */
  protected end(): void | Promise<void> {}

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
    const mono = this.clock.monoMs();
    return {
      kind: this.kind,
      lastSampleMs: this.lastSampleMs,
      lastSampleAgeS: this.lastSampleMonoMs === null ? null : Math.max(0, mono - this.lastSampleMonoMs) / 1000,
      perPhaseAgeS: this.phaseAges(mono),
      error: this.error,
      warning: this.warning,
    };
  }

  /** Seconds (monotonic) since each phase was last handed over. */
  private phaseAges(monoMs: number): Triple<number | null> {
    return this.phaseSeenMonoMs.map((t) => (t === null ? null : Math.max(0, monoMs - t) / 1000)) as Triple<number | null>;
  }

  /**
   * Hand a reading with new content to the listeners: `seq` one higher than the last sample's, `timeMs`
   * the wall time now (display only: it may step back or forward with the wall clock). Every non-null
   * phase counts as fresh now (monotonic). `extra`: the house's net power, voltages and the meter's own month peak,
   * where the meter gives them.
   */
  protected emit(currentsA: Triple<number | null>, extra: MeterExtras = {}): MeterSample {
    const sample: MeterSample = { timeMs: this.clock.nowMs(), seq: ++this.seq, currentsA: [...currentsA] as Triple<number | null> };
    if (finite(extra.powerW)) sample.powerW = extra.powerW;
    if (extra.voltagesV?.some(finite)) sample.voltagesV = [...extra.voltagesV] as Triple<number | null>;
    if (finite(extra.meterPeakW)) sample.meterPeakW = extra.meterPeakW;
    if (extra.ageMs?.some((a) => finite(a) && a > 0)) sample.ageMs = [...extra.ageMs] as Triple<number | null>;
    this.lastSampleMs = sample.timeMs;
    this.lastSampleMonoMs = this.clock.monoMs();
    for (const p of PHASES) if (currentsA[p] !== null) this.phaseSeenMonoMs[p] = this.lastSampleMonoMs - Math.max(0, sample.ageMs?.[p] ?? 0);
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

/** A wait or a silence as the sources say it in a status line: "800 ms", "2.5 s". */
export function formatWait(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

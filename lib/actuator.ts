/**
 * One actuator per charger: the only place that decides what a charger is told, when a write is
 * retried, repeated or repaired, and when the charger's own readings confirm it. The balancer hands
 * it a target (a limit, or a pause); protocol clients write once and report the outcome. The rules in
 * full: docs/balancer.md, "The actuator"; the timings: lib/actuatorRules.ts.
 *
 * - **Decreases first.** A lower limit or a pause goes out at once, even while a raise is in flight, and
 *   is retried soon (`retryDelayMs`); raises and decreases keep their failures apart. A limit the charger
 *   may have applied without `told` showing it (a raise in flight or unanswered: `maybeLimitA`), or two
 *   writes that crossed, leave the limit unknown: the target is written once more.
 * - **Raises wait.** One at a time; after a failure an exponential back-off with jitter (2 s … 5 min) or
 *   the server's Retry-After, whichever is longer.
 * - **Unconfirmed means worst case.** A write the charger accepted is not yet what it does. A decrease
 *   is confirmed only by a reading taken after it that shows the new limit (or the pause) and a draw
 *   within `COMPLY_TOLERANCE_A` of it. Until then `committedA()` tells the balancer to count the
 *   charger at the higher of the level it may still be at and its measured draw — from the first second
 *   for a cloud charger, `LOCAL_GRACE_MS` after the first cut not yet confirmed for a local one.
 * - **Drift and faults.** A charger that reports another limit (or not paused) one confirm period
 *   (`confirmMs`: local 15 s, cloud 75 s) after it was told gets the target again, at most once per
 *   confirm period. A charger that reports the limit but keeps drawing more for a confirm period is
 *   paused (notice `ignoredLimit`); one that keeps drawing a confirm period after that pause raises the
 *   notice `ignoredPause` (the app turns it into `overloadUnresolved`). Such a charger stays held paused
 *   until the car is unplugged or the user resumes it.
 * - **Pauses by others.** A charger that stops offering current after it was confirmed running, without
 *   being told, was paused by someone else (its own app, a button): `externalPause` is set and the
 *   target is not enforced until it runs again, the car leaves, or the user resumes it through Homey.
 *   A resume that has not landed yet (failed, or lost in a restart) is never taken for such a pause.
 *
 * Time is the injected clock's monotonic time. Homey-free; persistence through `snapshot()`/`restore()`.
 */
import type { Charger, ChargerStatus } from './charger';
export { CONFIRM_MS, DECREASE_RETRY_AFTER_CAP_MS, LOCAL_GRACE_MS } from './actuatorRules';
import type { Clock } from './clock';
import {
  carPresent,
  COMPLY_TOLERANCE_A,
  CONFIRM_MS,
  isTransient,
  LOCAL_GRACE_MS,
  level,
  retryDelayMs,
  strongestPhase,
  type WriteFailures,
  type WriteKind,
} from './actuatorRules';
import { describeError, PeerError } from './errors';
import { createPhaseSwitch, type PhaseSwitch } from './phaseSwitch';
import { reason, said, type Reason } from './reasons';

const noFailures = (): WriteFailures => ({ count: 0, atMs: -Infinity, retryAfterMs: 0, transient: true });

export interface ActuatorTarget {
  /** A per phase while running (ignored when paused). */
  limitA: number;
  paused: boolean;
}

export type ActuatorNotice =
  | { type: 'ignoredLimit'; chargerPhase: number; drawA: number; limitA: number; reason: string; text: Reason }
  | { type: 'ignoredPause'; chargerPhase: number; drawA: number; reason: string; text: Reason }
  | { type: 'externalPause'; reason: string; text: Reason };

/** What survives a restart: what was wanted, what the charger was last confirmed to do, and holds. */
export interface ActuatorSnapshot {
  target: ActuatorTarget | null;
  /** The level the charger was last confirmed at (0 = paused); null = never confirmed. */
  confirmedLevelA: number | null;
  /** The highest level the charger may be at now (a write that may have landed counts). */
  assumedLevelA: number | null;
  /** The app paused it (and has not seen it resume since): a paused reading is ours, not the user's. */
  pausedByApp: boolean;
  /** Held paused because it ignored its limit. */
  held: boolean;
}

export interface ActuatorOptions {
  charger: Charger;
  name: () => string;
  clock: Clock;
  log: (line: string) => void;
  random?: () => number;
  onNotice?: (notice: ActuatorNotice) => void;
  /** Called after every change worth persisting (a write landed, a confirmation, a hold). */
  onChange?: () => void;
  /** A write failed (one line, already redacted). */
  onError?: (message: string) => void;
}

export class Actuator {
  readonly charger: Charger;
  private readonly opts: ActuatorOptions;
  private readonly clock: Clock;
  private readonly random: () => number;
  private target: ActuatorTarget | null = null;
  /** When the current target was set (mono ms). */
  private targetAtMs = 0;
  /** Since when a cut has waited for its confirmation (a later cut does not restart the grace); null = none. */
  private cutSinceMs: number | null = null;
  /** What the last accepted write(s) told the charger; null = unknown. */
  private told: { limitA: number | null; paused: boolean | null } = { limitA: null, paused: null };
  private toldAtMs = -Infinity;
  private confirmedLevelA: number | null = null;
  private assumedLevelA: number | null = null;
  private pausedByApp = false;
  private held = false;
  private ignoredPauseNoticed = false;
  private externalPause = false;
  private status: ChargerStatus | null = null;
  private statusAtMs = -Infinity;
  /** Readings so far, and how many there were when the last write landed: later ones may show it. */
  private statusCount = 0;
  private statusCountAtTold = 0;
  /** Since when the reading has shown more draw than the told level (mono ms); null = complying. */
  private overSinceMs: number | null = null;
  private writeSeq = 0;
  /** A write was sent while another was in flight: their order at the charger is unknown. */
  private overlapped = false;
  private readonly inflight = new Map<WriteKind, { seq: number; promise: Promise<void> }>();
  /** Failures in a row per kind of write: a refused raise never holds back a cut. */
  private readonly failed: Record<WriteKind, WriteFailures> = { raise: noFailures(), decrease: noFailures() };
  /** A limit the charger may have applied that `told` does not show (a raise in flight or unanswered): written over. */
  private maybeLimitA: number | null = null;
  private lastRepeatMs = -Infinity;
  readonly phases: PhaseSwitch | null; // 1-/3-phase switching (lib/phaseSwitch.ts); null: the charger cannot switch

  constructor(opts: ActuatorOptions) {
    this.opts = opts;
    this.charger = opts.charger;
    this.clock = opts.clock;
    this.random = opts.random ?? Math.random;
    this.phases = createPhaseSwitch(opts.charger, opts.clock, opts.name, opts.log);
  }

  // ---- inputs ------------------------------------------------------------------------------------

  /** What the balancer wants now; null = nothing (not balanced): the charger keeps what it has. */
  setTarget(target: ActuatorTarget | null): void {
    const same = target && this.target ? level(target) === level(this.target) && target.paused === this.target.paused : target === this.target;
    if (!same) {
      if (target && (!this.target || level(target) < level(this.target))) this.cutSinceMs ??= this.now();
      this.target = target ? { limitA: target.limitA, paused: target.paused } : null;
      this.targetAtMs = this.now();
      this.overSinceMs = null;
      this.lastRepeatMs = -Infinity;
    }
    this.reconcile();
  }

  /** A new reading of the charger. */
  reportStatus(status: ChargerStatus): void {
    this.status = status;
    this.statusAtMs = this.now();
    this.statusCount++;
    if (!status.online || status.state === 'unknown') return;
    if (!carPresent(status)) {
      const wasHeld = this.held || this.externalPause;
      if (wasHeld) this.opts.log(`${this.name()}: car unplugged; no longer held paused`);
      this.held = false;
      this.externalPause = false;
      this.ignoredPauseNoticed = false;
      this.overSinceMs = null;
      if (wasHeld) this.opts.onChange?.(); // persist only what changed: a poll without a car changes nothing
      this.reconcile();
      return;
    }
    this.noticeExternalPause(status);
    if (this.externalPause && status.chargingAllowed) {
      this.externalPause = false;
      this.opts.log(`${this.name()}: offers current again; balancing it again`);
    }
    this.confirm(status);
    this.checkCompliance(status);
    this.reconcile();
  }

  /** The user paused or resumed it through Homey (the device has written it already). */
  userPause(paused: boolean): void {
    this.externalPause = paused;
    this.held = false;
    this.ignoredPauseNoticed = false;
    this.pausedByApp = false;
    this.told = { limitA: this.told.limitA, paused };
    this.toldAtMs = this.now();
    this.overSinceMs = null;
    this.opts.onChange?.();
  }

  /** Periodic: retries that fell due. */
  tick(): void {
    if (this.status) this.checkCompliance(this.status);
    this.phases?.step(this.pauseConfirmed());
    this.reconcile();
  }

  // ---- views for the balancer and the app ----------------------------------------------------------

  /** Paused by someone else, or held paused after ignoring its limit: not the balancer's to run. */
  get notOurs(): boolean {
    return this.externalPause || this.held;
  }

  get isHeld(): boolean {
    return this.held;
  }

  getTarget(): ActuatorTarget | null {
    return this.target;
  }

  /** The last reading and when it arrived (mono ms). */
  lastStatus(): { status: ChargerStatus | null; atMs: number } {
    return { status: this.status, atMs: this.statusAtMs };
  }

  /** Whether the charger offers no current as far as we know (reading, or our confirmed pause). */
  reportsPaused(): boolean {
    if (this.status && this.status.online && this.status.state !== 'unknown') return !this.status.chargingAllowed;
    return this.pausedByApp;
  }

  /** The limit the charger reports, or what it was told while no reading is there. */
  reportedLimitA(): number | null {
    return this.status?.currentLimitA ?? this.told.limitA;
  }

  /** The limit the charger has accepted (0 = paused), null = unknown. */
  acceptedA(): number | null {
    if (this.told.paused === true) return 0;
    return this.told.limitA;
  }

  /** What the charger was told last (for the live view). */
  toldState(): { limitA: number | null; paused: boolean | null } {
    return { ...this.told };
  }

  /** An unconfirmed decrease or pause: the current it may still draw per phase (level or draw); null when confirmed. */
  committedA(): number | null {
    const t = this.target;
    if (!t || this.notOurs) return null;
    const want = level(t);
    const drawA = this.maxDrawA();
    const mayBeA = Math.max(this.assumedLevelA ?? drawA, drawA);
    if (mayBeA <= want + COMPLY_TOLERANCE_A) {
      this.cutSinceMs = null;
      return null;
    }
    const graceMs = this.charger.latencyClass === 'cloud' ? 0 : LOCAL_GRACE_MS;
    return this.now() - (this.cutSinceMs ?? this.targetAtMs) < graceMs ? null : mayBeA;
  }

  /** Resolves when no write is in flight. */
  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.all([...this.inflight.values()].map((w) => w.promise));
  }

  idleNow(): boolean {
    return this.inflight.size === 0;
  }

  snapshot(): ActuatorSnapshot {
    return {
      target: this.target ? { ...this.target } : null,
      confirmedLevelA: this.confirmedLevelA,
      assumedLevelA: this.assumedLevelA,
      pausedByApp: this.pausedByApp,
      held: this.held,
    };
  }

  /** Continue from a snapshot (persisted data is not trusted: bad fields are dropped). */
  restore(s: Partial<ActuatorSnapshot> | null | undefined): void {
    if (!s || typeof s !== 'object') return;
    const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1000 ? v : null);
    const t = s.target;
    if (t && typeof t === 'object' && num(t.limitA) !== null && typeof t.paused === 'boolean') {
      this.target = { limitA: t.limitA, paused: t.paused };
      this.targetAtMs = this.now();
    }
    this.confirmedLevelA = num(s.confirmedLevelA);
    this.assumedLevelA = num(s.assumedLevelA);
    this.pausedByApp = s.pausedByApp === true;
    this.held = s.held === true;
  }

  // ---- reading the charger -----------------------------------------------------------------------

  private pauseConfirmed(): boolean {
    return !!this.status?.online && this.told.paused === true && this.statusCount > this.statusCountAtTold && !this.status.chargingAllowed && this.maxDrawA() <= COMPLY_TOLERANCE_A;
  }

  private maxDrawA(): number {
    const s = this.status;
    if (!s || !s.online) return 0;
    let max = 0;
    for (const p of s.phases) if (typeof p.currentA === 'number' && Number.isFinite(p.currentA)) max = Math.max(max, p.currentA);
    return max;
  }

  /**
   * It offers no current and the app did not pause it: someone else did. A resume of ours that may not
   * show yet (within a confirm period of it) or that did not land (`pausedByApp` survives restarts
   * until a resume is accepted) is not such a pause.
   */
  private noticeExternalPause(status: ChargerStatus): void {
    if (status.chargingAllowed || this.externalPause || this.held) return;
    if (this.pausedByApp || this.told.paused === true || this.target?.paused) return;
    if (this.told.paused === false && this.now() - this.toldAtMs < this.confirmMs()) return;
    this.externalPause = true;
    const why = said(reason('external_pause', { name: this.name() }));
    this.opts.log(why.reason);
    this.opts.onNotice?.({ type: 'externalPause', ...why });
    this.opts.onChange?.();
  }

  private confirm(status: ChargerStatus): void {
    const t = this.target;
    if (!t || this.notOurs || this.statusCount <= this.statusCountAtTold) return;
    const drawA = this.maxDrawA();
    const want = level(t);
    const offersA = status.chargingAllowed ? (status.currentLimitA ?? 0) : 0;
    // the charger says it offers more than we thought: it may draw that much
    if (offersA > (this.assumedLevelA ?? 0)) this.assumedLevelA = offersA;
    let ok: boolean;
    if (t.paused) ok = !status.chargingAllowed && drawA <= COMPLY_TOLERANCE_A;
    else ok = status.chargingAllowed && status.currentLimitA !== null && Math.round(status.currentLimitA) === t.limitA && drawA <= want + COMPLY_TOLERANCE_A;
    if (!ok) return;
    this.assumedLevelA = want;
    if (this.confirmedLevelA === want) return;
    this.confirmedLevelA = want;
    this.opts.onChange?.();
  }

  /** Draw above the told level for a confirm period: pause it; still drawing after that: notice. */
  private checkCompliance(status: ChargerStatus): void {
    const t = this.target;
    if (!status.online || this.externalPause) return;
    const holding = this.held || t?.paused;
    const toldLevel = holding ? 0 : t && this.told.limitA === t.limitA && this.told.paused !== true ? t.limitA : null;
    if (toldLevel === null || this.statusCount <= this.statusCountAtTold) return;
    const drawA = this.maxDrawA();
    const now = this.now();
    if (drawA <= toldLevel + COMPLY_TOLERANCE_A) {
      this.overSinceMs = null;
      return;
    }
    if (this.overSinceMs === null) this.overSinceMs = Math.max(this.toldAtMs, this.statusAtMs);
    if (now - this.overSinceMs < this.confirmMs()) return;
    const k = strongestPhase(status);
    if (!holding && t) {
      this.held = true;
      this.overSinceMs = null;
      const why = said(reason('ignored_limit', { name: this.name(), a: drawA, limit: t.limitA, s: Math.round(this.confirmMs() / 1000) }));
      this.opts.log(why.reason);
      this.opts.onNotice?.({ type: 'ignoredLimit', chargerPhase: k, drawA, limitA: t.limitA, ...why });
      this.opts.onChange?.();
      this.reconcile();
    } else if (!this.ignoredPauseNoticed && this.told.paused === true) {
      this.ignoredPauseNoticed = true;
      const why = said(reason('ignored_pause', { name: this.name(), a: drawA }));
      this.opts.log(why.reason);
      this.opts.onNotice?.({ type: 'ignoredPause', chargerPhase: k, drawA, ...why });
    }
  }

  // ---- writing -----------------------------------------------------------------------------------

  /** The target that is enforced: the balancer's, or a pause while held. */
  private wanted(): ActuatorTarget | null {
    if (this.held || this.phases?.holdsPaused) return { limitA: this.target?.limitA ?? this.charger.minCurrentA, paused: true };
    if (this.externalPause) return null;
    return this.target;
  }

  private reconcile(): void {
    const t = this.wanted();
    if (!t) return;
    const needLimit = !t.paused && (this.told.limitA !== t.limitA || (this.maybeLimitA !== null && this.maybeLimitA !== t.limitA));
    // never resume what the app did not pause
    const needPause = t.paused ? this.told.paused !== true : this.told.paused === true || this.pausedByApp;
    const drift = !needLimit && !needPause && this.drifted(t);
    if (!needLimit && !needPause && !drift) return;
    const kind: WriteKind = this.isDecrease(t) ? 'decrease' : 'raise';
    if (this.inflight.has(kind)) return;
    if (kind === 'raise' && this.inflight.has('decrease')) return;
    const now = this.now();
    if (now < this.failed[kind].atMs + this.retryDelayMs(kind)) return;
    if (drift) {
      this.lastRepeatMs = now;
      this.opts.log(`${this.name()}: ${this.driftText(t)}; ${t.paused ? 'pausing it again' : 'applying the limit again'}`);
    }
    this.send(kind, t, drift);
  }

  /** The charger reports something else a confirm period after it was told (a lost write, a reboot). */
  private drifted(t: ActuatorTarget): boolean {
    const s = this.status;
    const now = this.now();
    if (!s || !s.online || s.state === 'unknown' || this.statusCount <= this.statusCountAtTold) return false;
    if (now - this.lastRepeatMs < this.confirmMs()) return false; // at most one repeat per confirm period
    if (t.paused) return s.chargingAllowed && carPresent(s);
    // whether a charger without a car "allows charging" differs by brand: only its limit is held then
    const stillPaused = !s.chargingAllowed && carPresent(s);
    return stillPaused || (s.currentLimitA !== null && Math.round(s.currentLimitA) !== t.limitA);
  }

  private driftText(t: ActuatorTarget): string {
    const s = this.status;
    if (t.paused) return 'allows charging again although paused (restarted?)';
    if (s && !s.chargingAllowed) return 'still reports paused';
    return `reports ${s?.currentLimitA} A instead of ${t.limitA} A`;
  }

  private isDecrease(t: ActuatorTarget): boolean {
    if (t.paused) return true;
    const toldA = this.told.paused === true ? 0 : (this.told.limitA ?? this.assumedLevelA);
    const from = toldA === null ? null : Math.max(toldA, this.maybeLimitA ?? 0);
    return from === null || t.limitA < from || (this.status?.currentLimitA ?? 0) > t.limitA;
  }

  private retryDelayMs(kind: WriteKind): number {
    return retryDelayMs(kind, this.failed[kind], this.random);
  }

  private send(kind: WriteKind, t: ActuatorTarget, repeat: boolean): void {
    const seq = ++this.writeSeq;
    if (this.inflight.size) this.overlapped = true;
    else this.assumedLevelA = Math.max(this.assumedLevelA ?? 0, level(t));
    // a cut to the limit last told while a raise may have landed: the limit must be written, not skipped
    const rewrite = repeat || (!t.paused && this.maybeLimitA !== null && this.maybeLimitA !== t.limitA);
    if (kind === 'raise' && !t.paused) this.maybeLimitA = t.limitA;
    const promise = this.write(seq, kind, t, rewrite).finally(() => {
      if (this.inflight.get(kind)?.seq === seq) this.inflight.delete(kind);
      if (!this.inflight.size && this.overlapped) {
        // two writes crossed: which one the charger applied last is unknown, so write the target again
        this.overlapped = false;
        this.told = { limitA: null, paused: this.told.paused };
      }
      this.reconcile();
    });
    this.inflight.set(kind, { seq, promise });
  }

  private async write(seq: number, kind: WriteKind, t: ActuatorTarget, repeat: boolean): Promise<void> {
    const c = this.charger;
    try {
      if (t.paused) {
        await c.pause();
        this.landed(seq, { limitA: this.told.limitA, paused: true });
        this.pausedByApp = true;
      } else {
        if (this.told.limitA !== t.limitA || repeat) {
          await c.setCurrentLimit(t.limitA);
          if (seq === this.writeSeq) this.maybeLimitA = null; // the latest limit landed: nothing else may be applied
          this.landed(seq, { limitA: t.limitA, paused: this.told.paused });
        }
        if (this.told.paused === true || this.pausedByApp) {
          await c.resume();
          this.landed(seq, { limitA: this.told.limitA, paused: false });
          this.pausedByApp = false;
        }
      }
      this.failed[kind] = noFailures();
      this.opts.onChange?.();
    } catch (err) {
      const f = this.failed[kind];
      f.count++;
      f.atMs = this.now();
      f.retryAfterMs = err instanceof PeerError && typeof err.retryAfterMs === 'number' ? err.retryAfterMs : 0;
      f.transient = isTransient(err);
      const message = describeError(err);
      this.opts.log(`${this.name()}: command failed (${f.count}x): ${message}`);
      this.opts.onError?.(message);
    }
  }

  /** A write was accepted. An older write answering after a newer one was sent leaves the state unknown. */
  private landed(seq: number, told: { limitA: number | null; paused: boolean | null }): void {
    this.toldAtMs = this.now();
    this.statusCountAtTold = this.statusCount;
    if (seq !== this.writeSeq) return;
    this.told = told;
  }

  private confirmMs(): number {
    return CONFIRM_MS[this.charger.latencyClass];
  }

  private name(): string {
    return this.opts.name();
  }

  private now(): number {
    return this.clock.monoMs();
  }
}

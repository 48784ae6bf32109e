/**
 * The controller: owns every charger through the one `Charger` interface, feeds meter samples to the
 * balancer, applies its commands, and keeps enough state to start safely after a restart.
 *
 * - Commands are reconciled, not fired and forgotten: the controller keeps what the balancer wants
 *   (`desired`) and what the charger last accepted (`applied`) per charger, writes only the
 *   difference, one write in flight per charger, and retries failures with back-off and jitter.
 *   Decreases are never held back by a back-off.
 * - A charger that reports a limit other than the one applied (a reboot reset it, or someone changed
 *   it outside Homey) gets its limit re-applied: the app owns the limit while balancing.
 * - A manual change made through Homey (capability or flow card) becomes that charger's maximum until
 *   the car is unplugged (setting `manualOverride`), so the balancer never fights the user.
 * - Safe start: until the first fresh meter sample after a start, connected chargers are held at their
 *   minimum current (6 A), or stay paused if they were paused.
 *
 * Homey-free: time comes from the injected clock, persistence through a small `StateStore`.
 */
import { EventEmitter } from 'events';
import { Balancer } from './balancer/balancer';
import type {
  BalancerCommand,
  BalancerConfig,
  BalancerEvent,
  BalancerOutput,
  BalancerState,
  ChargerInput,
  MeterSample,
  Triple,
} from './balancer/types';
import { DEFAULT_BALANCER_CONFIG } from './balancer/types';
import type { Charger, ChargerStatus } from './charger';
import type { Clock } from './clock';
import { describeError } from './errors';
import { AppSettings, ChargerSettings, defaultChargerSettings, userBalancerSettings } from './settings';
import type { LiveView } from './webapi';
import type { MeterSourceKind } from './settings';

export interface StateStore {
  load(): unknown;
  save(state: unknown): void;
}

export interface ControllerOptions {
  clock: Clock;
  settings: AppSettings;
  store?: StateStore;
  log?: (line: string) => void;
  /** Random source for retry jitter (tests pass a seeded one). */
  random?: () => number;
}

/** A balancer event enriched for people: which charger, by name. */
export interface ControllerEvent extends BalancerEvent {
  chargerName: string | null;
}

interface Target {
  limitA: number;
  paused: boolean;
}

interface Entry {
  charger: Charger;
  name: string;
  status: ChargerStatus | null;
  /** When the last status arrived (clock ms). */
  statusAtMs: number;
  /** The last raise the charger accepted: when, and from which limit. */
  raise: { atMs: number; fromA: number } | null;
  /** What the charger last accepted; null = unknown (after a start, or a lost limit). */
  applied: { limitA: number | null; paused: boolean | null };
  desired: Target | null;
  writing: boolean;
  failures: number;
  lastFailureMs: number;
  manualMaxA: number | null;
  /** The user paused this charger through Homey: the balancer leaves it alone until they resume. */
  userPaused: boolean;
  carConnected: boolean;
}

interface PersistedState {
  version: 1;
  balancer: BalancerState | null;
  chargers: Record<string, { limitA: number | null; paused: boolean; manualMaxA: number | null }>;
}

const EVENT_HISTORY = 20;
const MAX_BACKOFF_MS = 5 * 60_000;
/** A failed decrease is retried sooner than a raise, but never in a tight loop. */
const MAX_DECREASE_RETRY_MS = 5_000;

export function balancerConfigFrom(settings: AppSettings): BalancerConfig {
  return { ...DEFAULT_BALANCER_CONFIG, ...userBalancerSettings(settings) };
}

function carConnectedIn(status: ChargerStatus | null): boolean {
  return !!status && status.online && ['connected', 'charging', 'complete'].includes(status.state);
}

export class Controller extends EventEmitter {
  private readonly clock: Clock;
  private readonly store?: StateStore;
  private readonly log: (line: string) => void;
  private readonly random: () => number;
  private settings: AppSettings;
  private balancer: Balancer;
  private readonly entries = new Map<string, Entry>();
  private readonly history: ControllerEvent[] = [];
  private lastOutput: BalancerOutput | null = null;
  private lastSample: MeterSample | null = null;
  private safeStartPending = true;
  private persisted: PersistedState | null = null;
  private lastSavedJson = '';
  private meterInfo: { source: MeterSourceKind; error: string | null } = { source: 'flow', error: null };
  private readonly inflight = new Set<Promise<void>>();

  constructor(options: ControllerOptions) {
    super();
    this.clock = options.clock;
    this.store = options.store;
    this.log = options.log ?? (() => undefined);
    this.random = options.random ?? Math.random;
    this.settings = options.settings;
    this.meterInfo.source = options.settings.meter.source;
    this.balancer = new Balancer(balancerConfigFrom(options.settings));
    this.persisted = this.loadState();
    if (this.persisted?.balancer) this.balancer.restoreState(this.persisted.balancer);
  }

  // ---- configuration -------------------------------------------------------------------------

  getSettings(): AppSettings {
    return this.settings;
  }

  setSettings(settings: AppSettings): void {
    this.settings = settings;
    this.meterInfo.source = settings.meter.source;
    this.balancer.setConfig(balancerConfigFrom(settings));
    this.step(null);
  }

  chargerSettings(id: string): ChargerSettings {
    return this.settings.chargers[id] ?? defaultChargerSettings();
  }

  // ---- chargers ------------------------------------------------------------------------------

  addCharger(charger: Charger, name: string): void {
    const saved = this.persisted?.chargers[charger.id];
    const entry: Entry = {
      charger,
      name,
      status: null,
      statusAtMs: 0,
      raise: null,
      applied: { limitA: saved?.limitA ?? null, paused: saved?.paused ?? false },
      desired: null,
      writing: false,
      failures: 0,
      lastFailureMs: 0,
      manualMaxA: saved?.manualMaxA ?? null,
      userPaused: false,
      carConnected: false,
    };
    this.entries.set(charger.id, entry);
    if (this.safeStartPending && this.settings.balancing && this.chargerSettings(charger.id).enabled) {
      // Until fresh meter data arrives, hold the charger at a safe current (or keep it paused).
      entry.desired = entry.applied.paused ? { limitA: 0, paused: true } : { limitA: charger.minCurrentA, paused: false };
      entry.applied = { limitA: null, paused: null };
      this.reconcile(entry);
    }
  }

  removeCharger(id: string): void {
    this.entries.delete(id);
    this.persist();
  }

  renameCharger(id: string, name: string): void {
    const e = this.entries.get(id);
    if (e) e.name = name;
  }

  chargerIds(): string[] {
    return [...this.entries.keys()];
  }

  /** A device polled its charger: remember the status, notice unplugging and lost limits. */
  reportStatus(id: string, status: ChargerStatus): void {
    const e = this.entries.get(id);
    if (!e) return;
    e.status = status;
    e.statusAtMs = this.clock.nowMs();
    // An offline or unreadable charger says nothing about the plug: keep what we knew.
    const connected = status.online && status.state !== 'unknown' ? carConnectedIn(status) : e.carConnected;
    if (e.carConnected && !connected && e.manualMaxA !== null) {
      e.manualMaxA = null;
      this.log(`${e.name}: car unplugged, manual maximum cleared`);
      this.persist();
    }
    e.carConnected = connected;
    if (
      status.online &&
      !e.writing &&
      e.desired &&
      !e.desired.paused &&
      e.applied.limitA !== null &&
      status.currentLimitA !== null &&
      Math.round(status.currentLimitA) !== e.applied.limitA
    ) {
      this.log(`${e.name}: reports ${status.currentLimitA} A instead of ${e.applied.limitA} A; applying the limit again`);
      e.applied.limitA = null;
      this.reconcile(e);
    }
    if (status.online && !e.writing && e.desired?.paused && e.applied.paused === true && status.chargingAllowed) {
      this.log(`${e.name}: allows charging again although paused (restarted?); pausing it again`);
      e.applied.paused = null;
      this.reconcile(e);
    }
  }

  /** Poll every charger once (used where no Homey device polls: the demo and live CLI). */
  async pollStatuses(): Promise<void> {
    await Promise.all(
      [...this.entries.values()].map(async (e) => {
        try {
          this.reportStatus(e.charger.id, await e.charger.getStatus());
        } catch (err) {
          this.log(`${e.name}: status failed: ${describeError(err)}`);
        }
      }),
    );
  }

  /** The user changed the current through Homey. */
  manualCurrentChange(id: string, currentA: number): void {
    const e = this.entries.get(id);
    if (!e) return;
    if (this.settings.manualOverride === 'until-unplug') {
      e.manualMaxA = currentA;
      this.log(`${e.name}: manual change to ${currentA} A is the maximum until the car is unplugged`);
      this.persist();
    }
    this.step(null);
  }

  /** The user paused or resumed charging through Homey. */
  manualPauseChange(id: string, paused: boolean): void {
    const e = this.entries.get(id);
    if (!e) return;
    e.userPaused = paused;
    e.applied.paused = paused;
    e.desired = null;
    this.log(`${e.name}: ${paused ? 'paused' : 'resumed'} by the user`);
    this.step(null);
  }

  // ---- meter -----------------------------------------------------------------------------------

  setMeterError(error: string | null): void {
    this.meterInfo.error = error;
  }

  onSample(sample: MeterSample): BalancerOutput {
    this.lastSample = sample;
    return this.step(sample);
  }

  /** Periodic call (about every second) so staleness is noticed and failed writes retried. */
  tick(): BalancerOutput {
    return this.step(null);
  }

  // ---- the loop ------------------------------------------------------------------------------

  private step(sample: MeterSample | null): BalancerOutput {
    const now = this.clock.nowMs();
    const inputs = [...this.entries.values()].map((e) => this.inputFor(e));
    const out = this.balancer.step(now, sample, inputs);
    this.lastOutput = out;
    if (sample && !out.stale && this.safeStartPending) this.safeStartPending = false;
    if (this.settings.balancing && !this.safeStartPending) {
      for (const cmd of out.commands) this.accept(cmd);
    }
    for (const ev of out.events) this.record(ev);
    for (const e of this.entries.values()) this.reconcile(e);
    this.persist();
    this.emit('step', out);
    return out;
  }

  private inputFor(e: Entry): ChargerInput {
    const cs = this.chargerSettings(e.charger.id);
    const status = e.status;
    const hardMax = Math.min(e.charger.maxCurrentA, cs.maxCurrentA);
    const maxCurrentA = e.manualMaxA !== null ? Math.max(e.charger.minCurrentA, Math.min(hardMax, e.manualMaxA)) : hardMax;
    const measured = this.ownDrawEstimate(e);
    return {
      id: e.charger.id,
      name: e.name,
      enabled: cs.enabled && this.settings.balancing,
      phaseMap: cs.phaseMap,
      measuredA: measured,
      currentLimitA: e.applied.limitA ?? status?.currentLimitA ?? null,
      minCurrentA: e.charger.minCurrentA,
      maxCurrentA,
      paused: e.applied.paused === true || e.userPaused,
      carConnected: carConnectedIn(status),
      priority: cs.priority,
      latencyClass: e.charger.latencyClass,
    };
  }

  /**
   * The charger's draw per phase as the balancer should count it. A reading taken before the charger
   * accepted a raise still shows the old current while the meter already shows the new one; counting
   * the old value would make the raise look like house load and cut it straight back (a raise/cut
   * pair every time). Until a newer reading arrives, a phase that was drawing is assumed to follow the
   * raise, up to the new limit.
   */
  private ownDrawEstimate(e: Entry): Triple<number | null> {
    const measured = (e.status?.phases.map((p) => p.currentA) ?? [null, null, null]) as Triple<number | null>;
    const r = e.raise;
    const limitA = e.applied.limitA;
    if (!r || limitA === null || e.statusAtMs > r.atMs) return measured;
    const stepA = limitA - r.fromA;
    return measured.map((m) => (m !== null && m >= 1 ? Math.max(m, Math.min(limitA, m + stepA)) : m)) as Triple<number | null>;
  }

  private accept(cmd: BalancerCommand): void {
    const e = this.entries.get(cmd.chargerId);
    if (!e) return;
    if (cmd.type === 'pause') e.desired = { limitA: 0, paused: true };
    else e.desired = { limitA: cmd.currentA, paused: false };
  }

  private record(ev: BalancerEvent): void {
    const name = ev.chargerId ? (this.entries.get(ev.chargerId)?.name ?? ev.chargerId) : null;
    const full: ControllerEvent = { ...ev, chargerName: name };
    this.history.unshift(full);
    if (this.history.length > EVENT_HISTORY) this.history.length = EVENT_HISTORY;
    this.log(`balancer ${ev.type}: ${ev.reason}`);
    this.emit('event', full);
  }

  private isDecrease(e: Entry, t: Target): boolean {
    if (t.paused) return e.applied.paused !== true;
    return e.applied.limitA === null || t.limitA < e.applied.limitA;
  }

  /** How long to wait after the last failure: exponential with jitter, shorter for decreases. */
  private retryDelayMs(e: Entry, t: Target): number {
    if (e.failures === 0) return 0;
    const backoff = Math.min(MAX_BACKOFF_MS, 2000 * 2 ** (e.failures - 1)) * (0.5 + this.random() / 2);
    return this.isDecrease(e, t) ? Math.min(backoff, MAX_DECREASE_RETRY_MS) : backoff;
  }

  private reconcile(e: Entry): void {
    const t = e.desired;
    if (!t || e.writing || e.userPaused) return;
    const limitDone = t.paused || e.applied.limitA === t.limitA;
    // An unknown pause state is left alone unless a pause is wanted: never resume what we did not pause.
    const pauseDone = t.paused ? e.applied.paused === true : e.applied.paused !== true;
    if (limitDone && pauseDone) return;
    if (this.clock.nowMs() < e.lastFailureMs + this.retryDelayMs(e, t)) return;
    e.writing = true;
    const done = this.write(e, t).finally(() => {
      e.writing = false;
      this.inflight.delete(done);
      // The balancer may have changed its mind while we were writing.
      if (this.entries.get(e.charger.id) === e && e.desired !== t) this.reconcile(e);
    });
    this.inflight.add(done);
  }

  private async write(e: Entry, t: Target): Promise<void> {
    try {
      if (t.paused) {
        await e.charger.pause();
        e.applied.paused = true;
      } else {
        if (e.applied.limitA !== t.limitA) {
          const fromA = e.applied.limitA;
          await e.charger.setCurrentLimit(t.limitA);
          e.applied.limitA = t.limitA;
          e.raise = fromA !== null && t.limitA > fromA ? { atMs: this.clock.nowMs(), fromA } : null;
        }
        if (e.applied.paused === true) {
          await e.charger.resume();
          e.applied.paused = false;
        }
      }
      e.failures = 0;
      this.emit('applied', { chargerId: e.charger.id, limitA: e.applied.limitA, paused: e.applied.paused });
      this.persist();
    } catch (err) {
      e.failures++;
      e.lastFailureMs = this.clock.nowMs();
      const msg = describeError(err);
      this.log(`${e.name}: command failed (${e.failures}x): ${msg}`);
      this.emit('chargerError', { chargerId: e.charger.id, name: e.name, message: msg });
    }
  }

  /** Resolves when no charger write is in flight (tests, demo, shutdown). */
  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.all([...this.inflight]);
  }

  // ---- state ---------------------------------------------------------------------------------

  private loadState(): PersistedState | null {
    try {
      const raw = this.store?.load() as PersistedState | null | undefined;
      if (raw && raw.version === 1 && typeof raw.chargers === 'object' && raw.chargers) return raw;
    } catch (err) {
      this.log(`stored controller state ignored: ${describeError(err)}`);
    }
    return null;
  }

  private persist(): void {
    if (!this.store) return;
    const chargers: PersistedState['chargers'] = {};
    for (const [id, e] of this.entries) {
      chargers[id] = { limitA: e.applied.limitA, paused: e.applied.paused === true, manualMaxA: e.manualMaxA };
    }
    const state: PersistedState = { version: 1, balancer: this.balancer.getState(), chargers };
    const json = JSON.stringify(state);
    if (json === this.lastSavedJson) return; // save only what changed
    try {
      this.store.save(state);
      this.lastSavedJson = json;
    } catch (err) {
      this.log(`could not save controller state: ${describeError(err)}`);
    }
  }

  // ---- views ---------------------------------------------------------------------------------

  isLimited(id: string): boolean {
    const e = this.entries.get(id);
    if (!e || !e.desired) return false;
    const max = this.inputFor(e).maxCurrentA;
    return e.desired.paused || e.desired.limitA < max;
  }

  appliedLimit(id: string): { limitA: number | null; paused: boolean | null } | null {
    return this.entries.get(id)?.applied ?? null;
  }

  events(): ControllerEvent[] {
    return [...this.history];
  }

  liveView(): LiveView {
    const out = this.lastOutput;
    const now = this.clock.nowMs();
    return {
      timeMs: now,
      balancing: this.settings.balancing,
      fuseA: this.settings.fuseA,
      marginA: this.settings.marginA,
      meter: {
        source: this.meterInfo.source,
        stale: out?.stale ?? true,
        lastSampleAgeS: this.lastSample ? Math.max(0, (now - this.lastSample.timeMs) / 1000) : null,
        error: this.meterInfo.error,
      },
      measuredA: out?.measuredA ?? [null, null, null],
      headroomA: out?.headroomA ?? [null, null, null],
      chargers: [...this.entries.values()].map((e) => ({
        id: e.charger.id,
        name: e.name,
        enabled: this.chargerSettings(e.charger.id).enabled,
        allowedA: e.applied.paused ? 0 : e.applied.limitA,
        drawnA: (e.status?.phases.map((p) => p.currentA) ?? [null, null, null]) as Triple<number | null>,
        paused: e.applied.paused === true,
        limited: this.isLimited(e.charger.id),
      })),
      events: this.history.map((h) => ({ timeMs: h.timeMs, type: h.type, chargerName: h.chargerName, reason: h.reason })),
    };
  }
}

/**
 * The controller: owns every charger through the one `Charger` interface (each behind its one
 * `Actuator`, lib/actuator.ts), feeds meter samples to the balancer, hands the balancer's targets to
 * the actuators, and keeps enough state to start safely after a restart.
 *
 * - Targets, not commands: the balancer says what each charger should have; the charger's actuator
 *   alone decides what is written, retried, repeated or repaired, and tells the balancer what is not
 *   confirmed yet (`committedA`) and which chargers are not ours to run (paused by someone else, or
 *   held paused after ignoring their limit).
 * - A manual change made through Homey (capability or flow card) becomes that charger's maximum until
 *   the car is unplugged (setting `manualOverride`), so the balancer never fights the user. A target power
 *   (Homey's `target_power`, turned into a current by the device) is a maximum the same way, until it
 *   changes, ends or the car is unplugged, whatever that setting says; the balancer's headroom still wins.
 * - Safe start: until the first fresh meter sample after a start, chargers are held at their minimum
 *   current (6 A), or stay paused if the app had paused them. No meter data since the start is an
 *   outage like any other: the balancer pauses them after `pauseAfterS`.
 * - Time: every age and decision runs on the clock's monotonic time; wall time only stamps events.
 *
 * Homey-free: time comes from the injected clock, persistence through a small `StateStore`.
 */
import { EventEmitter } from 'events';
import { Actuator, type ActuatorNotice } from './actuator';
import { Balancer } from './balancer/balancer';
import type { BalancerEvent, BalancerOutput, ChargerInput, MeterSample, Triple } from './balancer/types';
import { GRID_PHASES } from './balancer/types';
import type { Charger, ChargerStatus } from './charger';
import type { Clock } from './clock';
import type { Reason } from './reasons';
import { describeError } from './errors';
import { applyLimits, type LimitSource } from './limits';
import { migrateState, type PersistedCharger, type PersistedState } from './controllerState';
import { AppSettings, balancerConfigFrom, ChargerSettings, defaultChargerSettings } from './settings';
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
  speak?: (text: Reason) => string; // an event's reason in the user's language (lib/reasons.ts); the log keeps English
}

/** A balancer event enriched for people: which charger, by name. */
export interface ControllerEvent extends BalancerEvent {
  chargerName: string | null;
}

interface Entry {
  charger: Charger;
  actuator: Actuator;
  name: string;
  status: ChargerStatus | null;
  manualMaxA: number | null;
  /** The current of the device's target power (Homey's `target_power`); null: none. */
  targetMaxA: number | null;
  carConnected: boolean;
}

const EVENT_HISTORY = 20;

function carConnectedIn(status: ChargerStatus | null): boolean {
  return !!status && status.online && ['connected', 'charging', 'complete'].includes(status.state);
}

export class Controller extends EventEmitter {
  private readonly clock: Clock;
  private readonly store?: StateStore;
  private readonly log: (line: string) => void;
  private readonly speak: ((text: Reason) => string) | undefined;
  private readonly random: () => number;
  private settings: AppSettings;
  private balancer: Balancer;
  private readonly entries = new Map<string, Entry>();
  private readonly history: ControllerEvent[] = [];
  private readonly limitSources: LimitSource[] = [];
  private readonly limitErrors = new Map<string, string>();
  private lastOutput: BalancerOutput | null = null;
  /** Monotonic time the last sample arrived. */
  private lastSampleAtMs: number | null = null;
  private safeStartPending = true;
  private persisted: PersistedState | null = null;
  private lastSavedJson = '';
  private meterInfo: { source: MeterSourceKind; error: string | null } = { source: 'flow', error: null };

  constructor(options: ControllerOptions) {
    super();
    this.clock = options.clock;
    this.store = options.store;
    this.log = options.log ?? (() => undefined);
    this.speak = options.speak;
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
    // the same charger again (a repair hands a new client): continue from what its entry knows now
    if (this.entries.has(charger.id)) this.removeCharger(charger.id);
    const saved = this.persisted?.chargers[charger.id];
    const entry: Entry = {
      charger,
      name,
      status: null,
      manualMaxA: typeof saved?.manualMaxA === 'number' ? saved.manualMaxA : null,
      targetMaxA: typeof saved?.targetMaxA === 'number' ? saved.targetMaxA : null,
      // until the charger's first reading: what the balancer knew before a restart (a session goes on, its cut too)
      carConnected: this.persisted?.balancer?.chargers[charger.id]?.carConnected === true,
      actuator: null as unknown as Actuator,
    };
    entry.actuator = new Actuator({
      charger,
      name: () => entry.name,
      clock: this.clock,
      log: this.log,
      random: this.random,
      onNotice: (n) => this.onNotice(entry, n),
      onChange: () => {
        this.emit('applied', { chargerId: charger.id, ...entry.actuator.toldState() });
        this.persist();
      },
      onError: (message) => this.emit('chargerError', { chargerId: charger.id, name: entry.name, message }),
    });
    entry.actuator.restore(saved?.actuator);
    this.entries.set(charger.id, entry);
    if (this.safeStartPending && this.settings.balancing && this.chargerSettings(charger.id).enabled) {
      // Until fresh meter data arrives, hold the charger at a safe current (or keep it paused).
      entry.actuator.setTarget(this.safeTarget(entry));
    }
  }

  /**
   * A device that goes (also for a restart of the device alone): what its actuator knew is kept for its return.
   * `forget` (the device was deleted): its saved state goes too, so a charger paired again starts afresh.
   */
  removeCharger(id: string, opts: { forget?: boolean } = {}): void {
    const e = this.entries.get(id);
    const persisted = (this.persisted ??= { version: 2, balancer: null, chargers: {} });
    if (opts.forget) delete persisted.chargers[id];
    else if (e) persisted.chargers[id] = this.snapshotOf(e);
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

  /** A device polled its charger: remember the status, notice unplugging; the actuator checks the rest. */
  reportStatus(id: string, status: ChargerStatus): void {
    const e = this.entries.get(id);
    if (!e) return;
    e.status = status;
    // An offline or unreadable charger says nothing about the plug: keep what we knew.
    const connected = status.online && status.state !== 'unknown' ? carConnectedIn(status) : e.carConnected;
    if (e.carConnected && !connected) this.endUntilUnplug(e);
    e.carConnected = connected;
    e.actuator.reportStatus(status);
  }

  /** The car left: the maxima that hold until unplug (a manual current, a target power) end, in one line. */
  private endUntilUnplug(e: Entry): void {
    const cleared: string[] = [];
    if (e.manualMaxA !== null) cleared.push('manual maximum');
    if (e.targetMaxA !== null) cleared.push('target power maximum');
    if (!cleared.length) return;
    e.manualMaxA = null;
    e.targetMaxA = null;
    this.log(`${e.name}: car unplugged, ${cleared.join(' and ')} cleared`);
    this.persist();
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
      // whole amps, as the charger takes it; below the minimum (0 A) the balancer pauses it until that changes
      const a = Number.isFinite(currentA) ? Math.max(0, Math.floor(currentA)) : null;
      e.manualMaxA = a;
      if (a === null) this.log(`${e.name}: manual change to an unreadable current ignored`);
      else if (a < e.charger.minCurrentA) this.log(`${e.name}: manual change to ${a} A holds charging back (paused) until the car is unplugged or a higher current is set`);
      else this.log(`${e.name}: manual change to ${a} A is the maximum until the car is unplugged`);
      this.persist();
    }
    this.step(null);
  }

  /** Homey asked the charger's device for a target power, which it turned into `currentA` (null: the target ended):
   *  the charger's maximum until it changes, ends or the car is unplugged (whatever `manualOverride` says). Below
   *  the charger's minimum (0) the balancer pauses it, and resumes it like after its own pauses. */
  targetCurrentChange(id: string, currentA: number | null): void {
    const e = this.entries.get(id);
    if (!e) return;
    const a = currentA !== null && Number.isFinite(currentA) ? Math.max(0, Math.floor(currentA)) : null;
    if (a === e.targetMaxA) return;
    e.targetMaxA = a;
    if (a === null) this.log(`${e.name}: target power ended`);
    else if (a < e.charger.minCurrentA) this.log(`${e.name}: target power below the minimum current: paused until it rises`);
    else this.log(`${e.name}: target power allows ${a} A at most until the car is unplugged`);
    this.persist();
    this.step(null);
  }

  /** Whether the balancer runs this charger now (else nobody writes its target), and whether it holds the charger
   *  below the current of its target power (a cut, a pause or a raise still on its way). */
  targetState(id: string): { balanced: boolean; heldBelowTarget: boolean } {
    const e = this.entries.get(id);
    const balanced = !!e && this.settings.balancing && this.chargerSettings(id).enabled;
    const targetA = e?.targetMaxA ?? null;
    return { balanced, heldBelowTarget: balanced && targetA !== null && targetA >= e!.charger.minCurrentA && this.isLimited(id) };
  }

  /** The user paused or resumed charging through Homey. */
  manualPauseChange(id: string, paused: boolean): void {
    const e = this.entries.get(id);
    if (!e) return;
    e.actuator.userPause(paused);
    this.log(`${e.name}: ${paused ? 'paused' : 'resumed'} by the user`);
    this.step(null);
  }

  /** Switch to 1 or 3 phases through the charger's actuator (lib/phaseSwitch.ts; e.g. on SolarLimitSource.phaseWish); emits 'phasesSwitched'. */
  requestPhases(id: string, phases: 1 | 3): { ok: boolean; reason: string } {
    const a = this.entries.get(id)?.actuator;
    if (a?.phases) {
      a.phases.onSwitched = (p) => {
        // the car draws on other phases now; on three it goes on from its minimum, handed over before it resumes
        this.balancer.phasesSwitched(id, p, this.entries.get(id)?.charger.minCurrentA ?? Infinity);
        this.step(null);
        this.emit('phasesSwitched', { chargerId: id, phases: p });
      };
    }
    const res = a?.phases?.request(phases) ?? { ok: false, reason: `${this.entries.get(id)?.name ?? id} cannot switch phases` };
    a?.tick();
    return res;
  }

  // ---- meter -----------------------------------------------------------------------------------

  setMeterError(error: string | null): void {
    this.meterInfo.error = error;
  }

  onSample(sample: MeterSample): BalancerOutput {
    this.lastSampleAtMs = this.clock.monoMs();
    return this.step(sample);
  }

  /** Periodic call (about every second) so staleness is noticed and failed writes retried. */
  tick(): BalancerOutput {
    for (const e of this.entries.values()) e.actuator.tick();
    return this.step(null);
  }

  // ---- the loop ------------------------------------------------------------------------------

  /** Add a limit from outside the fuse (capacity cap, charging mode, plan: lib/limits.ts); one per id (replaces). */
  addLimitSource(src: LimitSource): void {
    this.removeLimitSource(src.id);
    this.limitSources.push(src);
  }

  removeLimitSource(id: string): void {
    const i = this.limitSources.findIndex((s) => s.id === id);
    if (i >= 0) this.limitSources.splice(i, 1);
  }

  private step(sample: MeterSample | null): BalancerOutput {
    const inputs = [...this.entries.values()].map((e) => this.inputFor(e));
    const nowMs = this.clock.monoMs();
    const onError = (src: LimitSource, err: unknown): void => {
      const line = `Limit "${src.id}" skipped: ${describeError(err)}`;
      if (this.limitErrors.get(src.id) !== line) this.log(line); // once per new message, not every second
      this.limitErrors.set(src.id, line);
    };
    const site = applyLimits(this.limitSources, { nowMs, wallMs: this.clock.nowMs(), sample }, inputs, onError);
    const out = this.balancer.step(nowMs, sample, inputs, site);
    this.lastOutput = out;
    if (sample && !out.stale && this.safeStartPending) this.safeStartPending = false;
    if (this.settings.balancing) {
      for (const e of this.entries.values()) this.applyTarget(e, out.targets[e.charger.id]);
    }
    const wallMs = this.clock.nowMs();
    for (const ev of out.events) this.record({ ...ev, timeMs: wallMs });
    this.persist();
    this.emit('step', out);
    return out;
  }

  /** Hand the balancer's target to the actuator (held at the minimum until the first fresh sample). */
  private applyTarget(e: Entry, limitA: number | null | undefined): void {
    if (!this.chargerSettings(e.charger.id).enabled) return e.actuator.setTarget(null);
    if (limitA === null) return; // a new session waits for a fresh sample: keep what it has
    if (limitA === undefined) {
      // not balanced now (no car, paused by the user): keep the safe hold during start-up only
      if (!this.safeStartPending) e.actuator.setTarget(null);
      return;
    }
    const minA = e.charger.minCurrentA;
    if (limitA === 0) return e.actuator.setTarget({ limitA: minA, paused: true });
    e.actuator.setTarget({ limitA: this.safeStartPending ? Math.min(limitA, minA) : limitA, paused: false });
  }

  private safeTarget(e: Entry): { limitA: number; paused: boolean } {
    const minA = e.charger.minCurrentA;
    return { limitA: minA, paused: e.actuator.snapshot().pausedByApp };
  }

  private inputFor(e: Entry): ChargerInput {
    const cs = this.chargerSettings(e.charger.id);
    const status = e.status;
    const hardMax = Math.min(e.charger.maxCurrentA, cs.maxCurrentA);
    // a manual current and a target power are maxima: the lower one counts; below the charger's minimum (0 A)
    // the balancer pauses the charger until that changes
    const capA = Math.min(e.manualMaxA ?? Infinity, e.targetMaxA ?? Infinity);
    let maxCurrentA = Number.isFinite(capA) ? Math.max(e.charger.minCurrentA, Math.min(hardMax, capA)) : hardMax;
    if (capA < e.charger.minCurrentA) maxCurrentA = 0;
    const a = e.actuator;
    return {
      id: e.charger.id,
      name: e.name,
      enabled: cs.enabled && this.settings.balancing,
      phaseMap: cs.phaseMap,
      measuredA: (status?.phases.map((p) => p.currentA) ?? [null, null, null]) as Triple<number | null>,
      measuredAtMs: status ? a.lastStatus().atMs : null,
      currentLimitA: a.reportedLimitA(),
      committedA: a.committedA(),
      acceptedA: a.acceptedA(),
      minCurrentA: e.charger.minCurrentA,
      maxCurrentA,
      paused: a.reportsPaused(),
      externalPause: a.notOurs,
      // no reading yet, or an offline or unreadable one, says nothing about the plug: what we knew (reportStatus)
      carConnected: e.carConnected,
      priority: cs.priority,
      latencyClass: e.charger.latencyClass,
    };
  }

  /** A charger ignored its limit (held paused) or its pause (nothing the app can do): tell the user. */
  private onNotice(e: Entry, n: ActuatorNotice): void {
    if (n.type === 'externalPause') return;
    const g = this.chargerSettings(e.charger.id).phaseMap[n.chargerPhase] ?? undefined;
    const type = n.type === 'ignoredLimit' ? 'paused' : 'overloadUnresolved';
    const ev: BalancerEvent = { type, timeMs: this.clock.nowMs(), chargerId: e.charger.id, phase: g && GRID_PHASES.includes(g) ? g : undefined, reason: n.reason, text: n.text };
    if (n.type === 'ignoredLimit') Object.assign(ev, { fromA: n.limitA, toA: 0 });
    this.record(ev);
  }

  private record(ev: BalancerEvent): void {
    const name = ev.chargerId ? (this.entries.get(ev.chargerId)?.name ?? ev.chargerId) : null;
    const full: ControllerEvent = { ...ev, reason: ev.text && this.speak ? this.speak(ev.text) : ev.reason, chargerName: name };
    this.history.unshift(full);
    if (this.history.length > EVENT_HISTORY) this.history.length = EVENT_HISTORY;
    this.log(`balancer ${ev.type}: ${ev.reason}`);
    this.emit('event', full);
  }

  /** Resolves when no charger write is in flight (tests, demo, shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const actuators = [...this.entries.values()].map((e) => e.actuator);
      await Promise.all(actuators.map((a) => a.idle()));
      if (actuators.every((a) => a.idleNow())) return;
    }
  }

  // ---- state ---------------------------------------------------------------------------------

  private loadState(): PersistedState | null {
    try {
      return migrateState(this.store?.load());
    } catch (err) {
      this.log(`stored controller state ignored: ${describeError(err)}`);
    }
    return null;
  }

  private snapshotOf(e: Entry): PersistedCharger {
    return { actuator: e.actuator.snapshot(), manualMaxA: e.manualMaxA, targetMaxA: e.targetMaxA };
  }

  private persist(): void {
    if (!this.store) return;
    const chargers: PersistedState['chargers'] = {};
    for (const [id, e] of this.entries) chargers[id] = this.snapshotOf(e);
    const state: PersistedState = { version: 2, balancer: this.balancer.getState(), chargers };
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
    const t = e?.actuator.getTarget();
    if (!e || !t) return false;
    const maxA = this.inputFor(e).maxCurrentA;
    return t.paused ? maxA >= e.charger.minCurrentA : t.limitA < maxA; // a pause for a target power is its maximum
  }

  /** What the charger was last told (limit, pause); null fields = unknown. */
  appliedLimit(id: string): { limitA: number | null; paused: boolean | null } | null {
    return this.entries.get(id)?.actuator.toldState() ?? null;
  }

  events(): ControllerEvent[] {
    return [...this.history];
  }

  liveView(): LiveView {
    const out = this.lastOutput;
    const now = this.clock.nowMs();
    const monoNow = this.clock.monoMs();
    return {
      timeMs: now,
      balancing: this.settings.balancing,
      fuseA: this.settings.fuseA,
      marginA: this.settings.marginA,
      meter: {
        source: this.meterInfo.source,
        stale: out?.stale ?? true,
        lastSampleAgeS: this.lastSampleAtMs !== null ? Math.max(0, (monoNow - this.lastSampleAtMs) / 1000) : null,
        error: this.meterInfo.error,
      },
      measuredA: out?.measuredA ?? [null, null, null],
      headroomA: out?.headroomA ?? [null, null, null],
      fuse: { ...this.balancer.fuseStressNow(monoNow), quickOn: this.settings.quickRestore !== false },
      chargers: [...this.entries.values()].map((e) => this.liveCharger(e)),
      events: this.history.map((h) => ({ timeMs: h.timeMs, type: h.type, chargerName: h.chargerName, reason: h.reason })),
    };
  }

  private liveCharger(e: Entry): LiveView['chargers'][number] {
    const told = e.actuator.toldState();
    return {
      id: e.charger.id,
      name: e.name,
      enabled: this.chargerSettings(e.charger.id).enabled,
      allowedA: told.paused ? 0 : told.limitA,
      drawnA: (e.status?.phases.map((p) => p.currentA) ?? [null, null, null]) as Triple<number | null>,
      paused: told.paused === true,
      limited: this.isLimited(e.charger.id),
    };
  }
}

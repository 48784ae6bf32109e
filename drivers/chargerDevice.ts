/**
 * What both charger devices (go-e, Charge Amps) share: the poll loop (one read at a time, the next one timed by the
 * brand), showing a failed read, commands from capabilities and flow cards (one readable error line, a `manual`
 * event for the balancer, a quick re-read), and joining the app's balancing (`homey.app.chargers`): join in onInit,
 * leave in onUninit, removed in onDeleted, renamed in onRenamed.
 *
 * Events for the app: `status` (ChargerStatus) after each good read, `unavailable` (message) after a failed one,
 * `manual` (ManualChange) when a person changed the limit or paused/resumed through Homey. From the app (through
 * the registry): `balancerApplied` (what the balancer told the charger) and `balancerEvent` (its decisions about it),
 * for the triggers `<brand>_current_limit_changed` (limit, by: balancer / user / charger, see limitChanges.ts) and
 * `<brand>_balancer_limited` (limit, 0 when paused; reason).
 *
 * Target power (drivers/targetPower.ts): where the device has `target_power` and `target_power_mode`, they and
 * `evcharger_charging` are one listener; the target's current goes to the app as a `manual` event of kind `target`
 * (the balancer writes it within its headroom; the device writes it itself only when nobody balances the charger),
 * and `alarm_generic.below_target` says when the balancer holds the charger below it.
 */
import Homey from 'homey';
import { chargerRegistrationOf, type ManualChange } from '../lib/app/chargerRegistry';
import { CONFIRM_MS } from '../lib/actuatorRules';
import type { BalancerEvent } from '../lib/balancer/types';
import type { Charger, ChargerStatus } from '../lib/charger';
import { describeError } from '../lib/errors';
import type { ChargingMode } from '../lib/limits';
import { ChargingModeControl } from './chargingMode';
import { LimitChanges, type LimitChange, type ToldState } from './limitChanges';
import { phasesInUse, TargetPowerControl, targetPowerMode, type PausedBy, type TargetPowerHost } from './targetPower';

export type CapabilityValues = Record<string, string | number | boolean | null>;

/** Says that the balancer holds the charger below its target power. */
export const BELOW_TARGET_CAPABILITY = 'alarm_generic.below_target';
/** What a charger device needs for Homey's target power (added to devices paired before it existed). */
export const TARGET_POWER_CAPABILITIES = ['target_power', 'target_power_mode', BELOW_TARGET_CAPABILITY];

const carConnectedIn = (s: ChargerStatus): boolean => ['connected', 'charging', 'complete'].includes(s.state);
const pausedByOf = (v: unknown): PausedBy | null => (v === 'target' || v === 'homey' ? v : null);

export abstract class ChargerDevice<Reading> extends Homey.Device {
  /** Wall time for the limit-change bookkeeping (tests replace it). */
  static now: () => number = () => Date.now();

  private pollTimer: NodeJS.Timeout | undefined;
  private polling: Promise<Reading | null> | undefined;
  private stopped = false;
  /** Who changed the limit (the trigger `<brand>_current_limit_changed`). */
  private readonly limits = new LimitChanges({
    now: () => ChargerDevice.now(),
    graceMs: () => (this.getCharger().latencyClass === 'cloud' ? CONFIRM_MS.cloud : 0),
  });
  /** The device is telling the app something (its events are handled synchronously there). */
  private tellingApp = false;
  /** Homey's target power, where the device has it (see listenCharging). */
  private target: TargetPowerControl | null = null;
  /** The last good reading. */
  private lastStatus: ChargerStatus | null = null;
  /** The charging mode (drivers/chargingMode.ts), where the device has one (not a socket). */
  private chargingMode: ChargingModeControl | null = null;

  /** Re-read the status this long after a command. */
  protected abstract readonly refreshAfterCommandMs: number;
  /** The prefix of the driver's flow card ids (`goe`, `chargeamps`). */
  protected abstract readonly cardPrefix: string;

  /** The one charger interface the app controller drives. */
  abstract getCharger(): Charger;
  /** Connect and register capability listeners (onInit, before the first read). */
  protected abstract initCharger(): Promise<void>;
  /** Read the charger once; throws on failure. */
  protected abstract read(): Promise<Reading>;
  /** Show a good reading (capabilities, triggers, warnings); returns the status for the app. */
  protected abstract show(reading: Reading): Promise<ChargerStatus>;
  /** Show a failed read (unavailable, or a warning while the peer asks to slow down). */
  protected abstract showFailure(err: unknown, message: string): Promise<void>;
  /** How long until the next read after this one (null: it failed). */
  protected abstract pollIntervalMs(reading: Reading | null): number;
  /** Let go of what the device holds (once, when it stops). */
  protected releaseCharger(): void {}

  async onInit(): Promise<void> {
    await this.initCharger();
    this.rejoin();
    void this.poll();
  }

  async onUninit(): Promise<void> {
    this.stop();
    chargerRegistrationOf(this.homey.app)?.leave(this);
  }

  async onDeleted(): Promise<void> {
    this.stop();
    chargerRegistrationOf(this.homey.app)?.remove(this);
  }

  async onRenamed(): Promise<void> {
    chargerRegistrationOf(this.homey.app)?.renamed(this);
  }

  /** Take part in balancing (again: after the device's charger changed). */
  protected rejoin(): void {
    if (!this.stopped && this.takesPart()) chargerRegistrationOf(this.homey.app)?.join(this);
  }

  /** Whether the balancer drives this device's charger: a socket it can only switch is house load the meter sees. */
  protected takesPart(): boolean {
    return true;
  }

  // --- polling ----------------------------------------------------------------------------------

  /** Read the charger once and show it (also used by tests and after commands); null when it failed. */
  poll(): Promise<Reading | null> {
    if (!this.polling) {
      this.polling = this.pollOnce().finally(() => {
        this.polling = undefined;
      });
    }
    return this.polling;
  }

  private async pollOnce(): Promise<Reading | null> {
    let reading: Reading | null = null;
    const readNo = this.limits.readStarts();
    try {
      reading = await this.read();
      if (this.stopped) return null;
      const status = await this.show(reading);
      if (!this.getAvailable()) await this.setAvailable();
      await this.limitChanged(this.limits.reported(status.currentLimitA, readNo));
      this.lastStatus = status;
      this.tellApp('status', status);
      await this.targetReading(status);
    } catch (err) {
      if (this.stopped) return null;
      reading = null;
      const message = describeError(err);
      this.error('poll failed:', message);
      await this.showFailure(err, message).catch(() => undefined);
      this.emit('unavailable', message);
    } finally {
      if (!this.stopped) this.schedulePoll(this.pollIntervalMs(reading));
    }
    return reading;
  }

  /** Read again after `delayMs` (replaces the read already planned). */
  protected schedulePoll(delayMs: number): void {
    if (this.stopped) return;
    if (this.pollTimer) this.homey.clearTimeout(this.pollTimer);
    this.pollTimer = this.homey.setTimeout(() => {
      this.pollTimer = undefined;
      void this.poll();
    }, delayMs);
  }

  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.pollTimer) this.homey.clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    this.releaseCharger();
  }

  // --- showing ----------------------------------------------------------------------------------

  /** Set the capabilities the device has whose value changed; `keep` leaves a value as it is. */
  protected async showValues(values: CapabilityValues, keep: (id: string, value: unknown) => boolean = () => false): Promise<void> {
    for (const [id, value] of Object.entries(values)) {
      if (!this.hasCapability(id) || this.getCapabilityValue(id) === value || keep(id, value)) continue;
      await this.setCapabilityValue(id, value).catch((err: unknown) => this.error(`${id}:`, describeError(err)));
    }
  }

  /** Show a value the user just set (a device without that capability has nothing to show). */
  protected async showValue(id: string, value: string | number | boolean): Promise<void> {
    if (this.hasCapability(id)) await this.setCapabilityValue(id, value).catch(() => undefined);
  }

  /** Emit an event for the app; what the app tells the device back meanwhile is its answer to it. */
  private tellApp(event: 'status' | 'manual', value: ChargerStatus | ManualChange): void {
    this.tellingApp = true;
    try {
      this.emit(event, value);
    } finally {
      this.tellingApp = false;
    }
  }

  private async limitChanged(change: LimitChange | null): Promise<void> {
    if (change) await this.trigger(`${this.cardPrefix}_current_limit_changed`, { limit: change.limitA, by: change.by });
  }

  // --- from the app (controller events routed by lib/app/chargerRegistry) ------------------------

  /** What the balancer told the charger (the controller's `applied`). */
  balancerApplied(told: ToldState): void {
    void this.limitChanged(this.limits.balancerApplied(told, !this.tellingApp));
    void this.showBelowTarget();
  }

  /** A balancer decision about this charger: a cut or a pause fires `<brand>_balancer_limited` (not the balancer
   *  lowering it to the limit a person just set: that maximum is theirs). */
  balancerEvent(ev: BalancerEvent): void {
    void this.showBelowTarget();
    if (ev.type !== 'reduced' && ev.type !== 'paused') return;
    if (ev.type === 'reduced' && this.limits.isUsersLimit(ev.toA)) return;
    // the balancer following the target power down to its current, or pausing for it: that maximum is Homey's
    if (ev.type === 'reduced' && ev.toA !== undefined && this.target?.currentA() === Math.round(ev.toA)) return;
    if (ev.type === 'paused' && this.target?.pauses()) return;
    const limit = ev.type === 'paused' ? 0 : (ev.toA ?? 0);
    void this.trigger(`${this.cardPrefix}_balancer_limited`, { limit, reason: ev.reason });
  }

  /** Fire a device trigger card; a failure is logged, never thrown. */
  protected async trigger(id: string, tokens: Record<string, unknown> = {}): Promise<void> {
    await this.homey.flow
      .getDeviceTriggerCard(id)
      .trigger(this, tokens)
      .catch((err: unknown) => this.error(`${id}:`, describeError(err)));
  }

  // --- commands (capability listeners and flow cards) -------------------------------------------

  /** Run a command: one readable error line, `manual` for the balancer when a person changed it, a quick re-read.
   *  Returns the limit change a person's new current makes (for `limitChanged`, once it is shown). */
  protected async command(fn: () => Promise<void>, change?: ManualChange): Promise<LimitChange | null> {
    try {
      await fn();
    } catch (err) {
      throw new Error(describeError(err));
    }
    // noted before the app hears of it: a balancer write it causes may land before this resolves
    const limitChange = change?.kind === 'current' ? this.limits.userSet(change.currentA) : null;
    if (change) this.tellApp('manual', change);
    this.schedulePoll(this.refreshAfterCommandMs);
    return limitChange;
  }

  async setCurrentLimit(requestedA: number): Promise<void> {
    // whole amps once, as both brands take them: the command, the balancer's maximum and the flow token agree
    const currentA = Math.floor(requestedA);
    const change = await this.command(() => this.getCharger().setCurrentLimit(currentA), { kind: 'current', currentA });
    await this.showValue('charger_current_limit', currentA);
    await this.limitChanged(change);
  }

  async pause(): Promise<void> {
    await this.command(() => this.getCharger().pause(), { kind: 'pause' });
    this.target?.noteCommand('pause');
  }

  async resume(): Promise<void> {
    await this.command(() => this.getCharger().resume(), { kind: 'resume' });
    this.target?.noteCommand('resume');
  }

  // --- charging mode (drivers/chargingMode.ts) --------------------------------------------------

  /** The capability `charging_mode` (added to devices paired before it existed) and its picker (in initCharger). */
  protected async addChargingMode(): Promise<void> {
    const control = new ChargingModeControl(this, {
      setInApp: async (mode, by) => (await chargerRegistrationOf(this.homey.app)?.setMode(this, mode, by)) === true,
      trigger: (tokens) => this.trigger(`${this.cardPrefix}_charging_mode_changed`, tokens),
      log: (line) => this.log(line),
      error: (line) => this.error(line),
    });
    await control.init();
    this.chargingMode = control;
  }

  /** Where the app's mode store keeps this charger's mode (null: a device without one). */
  modeHolder(): ChargingModeControl | null {
    return this.chargingMode;
  }

  /** The flow action `<brand>_set_charging_mode`. */
  async setChargingMode(mode: ChargingMode): Promise<void> {
    if (!this.chargingMode) throw new Error(this.homey.__('mode.none'));
    await this.chargingMode.set(mode, 'flow');
  }

  /** The flow condition `<brand>_charging_mode_is`. */
  chargingModeIs(mode: ChargingMode): boolean {
    return this.chargingMode?.mode() === mode;
  }

  // --- target power (drivers/targetPower.ts) ----------------------------------------------------

  /** Add the target power capabilities to a device paired before they existed (before `listenCharging`). */
  protected async addTargetPower(): Promise<void> {
    for (const id of TARGET_POWER_CAPABILITIES) {
      if (!this.hasCapability(id)) await this.addCapability(id).catch((err: unknown) => this.error(`${id}:`, describeError(err)));
    }
  }

  /**
   * Listen to `evcharger_charging`; where the device has `target_power` and `target_power_mode` too, the three are
   * one listener: Homey sets them together (the "Set the target power" card sets the mode and starts or stops).
   */
  protected async listenCharging(): Promise<void> {
    if (!this.hasCapability('evcharger_charging')) return;
    if (!this.hasCapability('target_power') || !this.hasCapability('target_power_mode')) {
      this.registerCapabilityListener('evcharger_charging', (on: boolean) => (on ? this.resume() : this.pause()));
      return;
    }
    if (targetPowerMode(this.getCapabilityValue('target_power_mode')) === null) await this.showValue('target_power_mode', 'device');
    const watts: unknown = this.getCapabilityValue('target_power');
    const target = new TargetPowerControl(this.targetHost(), {
      mode: targetPowerMode(this.getCapabilityValue('target_power_mode')),
      watts: typeof watts === 'number' ? watts : null,
      pausedBy: pausedByOf(this.getStoreValue('targetPausedBy')),
    });
    this.target = target;
    this.registerMultipleCapabilityListener(
      ['evcharger_charging', 'target_power', 'target_power_mode'],
      async (values: Record<string, unknown>) => {
        const { evcharger_charging: charging, target_power: watts, target_power_mode: mode } = values;
        await target.change({
          charging: typeof charging === 'boolean' ? charging : undefined,
          watts: typeof watts === 'number' && Number.isFinite(watts) ? watts : undefined,
          mode: targetPowerMode(mode) ?? undefined,
        });
      },
      500,
    );
  }

  private targetHost(): TargetPowerHost {
    return {
      currentRange: () => ({ minA: this.getCharger().minCurrentA, maxA: this.getCharger().maxCurrentA }),
      pause: () => this.pause(),
      resume: () => this.resume(),
      setTargetCurrent: (currentA) => this.setTargetCurrent(currentA),
      showMode: (mode) => this.showValue('target_power_mode', mode),
      savePausedBy: async (by) => {
        await (by === null ? this.unsetStoreValue('targetPausedBy') : this.setStoreValue('targetPausedBy', by)).catch(() => undefined);
      },
      log: (line) => this.log(line),
    };
  }

  /** The target's current (0: pause; null: it ended) becomes the charger's maximum; the device writes it itself only
   *  when nobody balances the charger (a pause then too: see TargetPowerControl). */
  private async setTargetCurrent(currentA: number | null): Promise<{ balanced: boolean }> {
    const balanced = chargerRegistrationOf(this.homey.app)?.targetState(this)?.balanced === true;
    const write = currentA !== null && currentA >= this.getCharger().minCurrentA;
    if (write && !balanced && this.lastStatus?.currentLimitA !== currentA) {
      await this.command(() => this.getCharger().setCurrentLimit(currentA));
      await this.showValue('charger_current_limit', currentA);
      await this.limitChanged(this.limits.userSet(currentA));
    }
    this.tellApp('manual', { kind: 'target', currentA });
    await this.showBelowTarget();
    return { balanced };
  }

  /** A good reading for the target: the car's phases, unplugging. */
  private async targetReading(status: ChargerStatus): Promise<void> {
    if (this.target && status.online && status.state !== 'unknown') {
      // a command it sends that fails is logged: the reading itself was good
      await this.target
        .reading({ carConnected: carConnectedIn(status), phases: phasesInUse(status.activePhases, status.state === 'charging') })
        .catch((err: unknown) => this.error('target power:', describeError(err)));
    }
    await this.showBelowTarget();
  }

  /** `alarm_generic.below_target`: the balancer holds the charger below the current of its target power. */
  private async showBelowTarget(): Promise<void> {
    if (!this.hasCapability(BELOW_TARGET_CAPABILITY) || this.stopped) return;
    const held = this.target?.currentA() != null && chargerRegistrationOf(this.homey.app)?.targetState(this)?.heldBelowTarget === true;
    await this.showValues({ [BELOW_TARGET_CAPABILITY]: held });
  }
}

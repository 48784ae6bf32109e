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
 */
import Homey from 'homey';
import { chargerRegistrationOf, type ManualChange } from '../lib/app/chargerRegistry';
import { CONFIRM_MS } from '../lib/actuatorRules';
import type { BalancerEvent } from '../lib/balancer/types';
import type { Charger, ChargerStatus } from '../lib/charger';
import { describeError } from '../lib/errors';
import { LimitChanges, type LimitChange, type ToldState } from './limitChanges';

export type CapabilityValues = Record<string, string | number | boolean | null>;

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
    if (!this.stopped) chargerRegistrationOf(this.homey.app)?.join(this);
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
      this.tellApp('status', status);
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
  }

  /** A balancer decision about this charger: a cut or a pause fires `<brand>_balancer_limited` (not the balancer
   *  lowering it to the limit a person just set: that maximum is theirs). */
  balancerEvent(ev: BalancerEvent): void {
    if (ev.type !== 'reduced' && ev.type !== 'paused') return;
    if (ev.type === 'reduced' && this.limits.isUsersLimit(ev.toA)) return;
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

  async setCurrentLimit(currentA: number): Promise<void> {
    const change = await this.command(() => this.getCharger().setCurrentLimit(currentA), { kind: 'current', currentA });
    await this.showValue('charger_current_limit', Math.floor(currentA));
    await this.limitChanged(change);
  }

  async pause(): Promise<void> {
    await this.command(() => this.getCharger().pause(), { kind: 'pause' });
  }

  async resume(): Promise<void> {
    await this.command(() => this.getCharger().resume(), { kind: 'resume' });
  }
}

/**
 * Which charger devices take part in balancing. A charger device joins in its `onInit` (and again when it hands a
 * new `Charger`, e.g. after a repair), leaves in `onUninit`, is removed in `onDeleted` and tells a rename: the app
 * exposes this registry as `homey.app.chargers` (see `chargerRegistrationOf`). Devices that join before the app is
 * ready (Homey may start them while the app's onInit still runs) wait in a queue and are attached, in the order
 * they joined, when the app hands over its controller (`start`).
 *
 * Homey-free: a device is anything with a `Charger`, a name and `status` / `manual` events.
 */
import type { BalancerEvent } from '../balancer/types';
import type { Charger, ChargerStatus } from '../charger';
import type { ChargingMode } from '../limits';
import type { ModeChangedBy, ModeHolder, ModeStore } from './modes';

/** A person changed the limit or paused/resumed a charger through Homey (a capability or a device flow card), or
 *  Homey asked for a target power, which the device turned into a current (`target`; null: the target ended). */
export type ManualChange =
  | { kind: 'current'; currentA: number }
  | { kind: 'pause' }
  | { kind: 'resume' }
  | { kind: 'target'; currentA: number | null };

/** How the balancer treats a charger's target power. */
export interface TargetState {
  /** The balancer runs the charger now (balancing on, the charger takes part): it writes the target's current. */
  balanced: boolean;
  /** It holds the charger below the target's current now (a cut, a pause, or a raise still on its way). */
  heldBelowTarget: boolean;
}

/** What the balancer told a charger (the controller's `applied` event). */
export interface ToldToCharger {
  limitA: number | null;
  paused: boolean | null;
}

/** What a charger device offers the app. It emits `status` (ChargerStatus) after each poll and `manual` (ManualChange);
 *  it may hear what the balancer told its charger and decided about it (for its flow cards). */
export interface ChargerDeviceLike {
  getCharger(): Charger;
  getName(): string;
  balancerApplied?(told: ToldToCharger): void;
  balancerEvent?(event: BalancerEvent): void;
  /** Where the device keeps its charging mode (lib/app/modes.ts); absent or null (a socket): always the default mode. */
  modeHolder?(): ModeHolder | null;
  on(event: 'status', listener: (status: ChargerStatus) => void): unknown;
  on(event: 'manual', listener: (change: ManualChange) => void): unknown;
  removeListener(event: 'status', listener: (status: ChargerStatus) => void): unknown;
  removeListener(event: 'manual', listener: (change: ManualChange) => void): unknown;
}

/** What a charger device calls (through `homey.app.chargers`). */
export interface ChargerRegistration {
  /** The device is ready (onInit), or hands a new Charger: its charger takes part in balancing. */
  join(device: ChargerDeviceLike): void;
  /** The device instance goes away (onUninit: Homey stops the app): the app stops listening to it. Its charger keeps
   *  its saved state (a manual maximum, a pause) for the next start, or for the instance that joins next. */
  leave(device: ChargerDeviceLike): void;
  /** The user deleted the device (onDeleted): its charger leaves balancing for good, saved state included. */
  remove(device: ChargerDeviceLike): void;
  /** The user renamed the device. */
  renamed(device: ChargerDeviceLike): void;
  /** How the balancer treats the device's target power; null when the device's charger does not take part (yet). */
  targetState(device: ChargerDeviceLike): TargetState | null;
  /** Set the charging mode of the device's charger; false when its charger does not take part (yet): the device keeps it. */
  setMode(device: ChargerDeviceLike, mode: ChargingMode, by: ModeChangedBy): Promise<boolean>;
}

/** The part of the controller the registry drives. */
export interface ChargerSink {
  addCharger(charger: Charger, name: string): void;
  /** `forget`: the device was deleted, its saved state goes too. */
  removeCharger(id: string, opts?: { forget?: boolean }): void;
  renameCharger(id: string, name: string): void;
  reportStatus(id: string, status: ChargerStatus): void;
  manualCurrentChange(id: string, currentA: number): void;
  manualPauseChange(id: string, paused: boolean): void;
  targetCurrentChange?(id: string, currentA: number | null): void;
  targetState?(id: string): TargetState;
}

/** A charger as the settings page and the flow cards list it. */
export interface RegisteredCharger {
  id: string;
  name: string;
  brand: Charger['brand'];
  hardwareMaxA: number;
}

interface Attached {
  device: ChargerDeviceLike;
  charger: Charger;
  detach: () => void;
}

export interface ChargerRegistryOptions {
  log: (line: string) => void;
  /** Called for each charger that starts taking part (the app creates its Insights log). */
  onAttached?: (chargerId: string, name: string) => void;
  /** The app's charging modes: a device's holder attaches with its charger (lib/app/modes.ts). */
  modes?: ModeStore;
  /** A device was deleted: its charger's settings go too (the app drops them). */
  onRemoved?: (chargerId: string) => void;
}

/** The registration as the app exposes it on `homey.app.chargers`; null when there is none (a driver without the app). */
export function chargerRegistrationOf(app: unknown): ChargerRegistration | null {
  const chargers = (app as { chargers?: Partial<ChargerRegistration> } | null | undefined)?.chargers;
  return chargers && typeof chargers.join === 'function' ? (chargers as ChargerRegistration) : null;
}

export class ChargerRegistry implements ChargerRegistration {
  private sink: ChargerSink | null = null;
  private closed = false;
  /** Joined before the app was ready, in order. */
  private readonly waiting: ChargerDeviceLike[] = [];
  /** By charger id. */
  private readonly attached = new Map<string, Attached>();

  constructor(private readonly opts: ChargerRegistryOptions) {}

  /** The app is ready: attach every device that joined meanwhile; later ones attach at once. */
  start(sink: ChargerSink): void {
    if (this.closed || this.sink) return;
    this.sink = sink;
    for (const device of this.waiting.splice(0)) this.attach(device);
  }

  /** The app stops: stop listening to every device; later calls do nothing. */
  close(): void {
    this.closed = true;
    this.waiting.length = 0;
    for (const a of this.attached.values()) a.detach();
    this.attached.clear();
  }

  join(device: ChargerDeviceLike): void {
    if (this.closed) return;
    if (!this.sink) {
      if (!this.waiting.includes(device)) this.waiting.push(device);
      return;
    }
    this.attach(device);
  }

  leave(device: ChargerDeviceLike): void {
    this.forget(device);
  }

  remove(device: ChargerDeviceLike): void {
    const a = this.forget(device);
    if (!a || !this.sink) return;
    this.sink.removeCharger(a.charger.id, { forget: true });
    this.opts.modes?.forget(a.charger.id);
    this.opts.onRemoved?.(a.charger.id);
    this.opts.log(`charger ${device.getName()} removed from balancing`);
  }

  renamed(device: ChargerDeviceLike): void {
    const a = this.find(device);
    if (a) this.sink?.renameCharger(a.charger.id, device.getName());
  }

  targetState(device: ChargerDeviceLike): TargetState | null {
    const a = this.find(device);
    return a && this.sink?.targetState ? this.sink.targetState(a.charger.id) : null;
  }

  async setMode(device: ChargerDeviceLike, mode: ChargingMode, by: ModeChangedBy): Promise<boolean> {
    const a = this.find(device);
    if (!a || !this.opts.modes) return false;
    await this.opts.modes.setMode(a.charger.id, mode, by);
    return true;
  }

  /** The chargers taking part, in the order they joined. */
  list(): RegisteredCharger[] {
    return [...this.attached.values()].map(({ device, charger }) => ({
      id: charger.id,
      name: device.getName(),
      brand: charger.brand,
      hardwareMaxA: charger.maxCurrentA,
    }));
  }

  has(chargerId: string): boolean {
    return this.attached.has(chargerId);
  }

  /** The charger can switch between 1 and 3 phases (a go-e V3/V4 with psm). */
  canSwitchPhases(chargerId: string): boolean {
    return this.attached.get(chargerId)?.charger.canSwitchPhases === true;
  }

  /** The phase count the charger is forced to (go-e psm 1 or 2); null: automatic, unknown, or not taking part. */
  forcedPhases(chargerId: string): 1 | 3 | null {
    return this.attached.get(chargerId)?.charger.forcedPhases ?? null;
  }

  /** The controller's `applied`: the charger's device hears what its charger was told. */
  applied(chargerId: string, told: ToldToCharger): void {
    this.attached.get(chargerId)?.device.balancerApplied?.({ limitA: told.limitA, paused: told.paused });
  }

  /** The controller's `event`: the device of the charger it is about hears it. */
  event(event: BalancerEvent): void {
    if (event.chargerId) this.attached.get(event.chargerId)?.device.balancerEvent?.(event);
  }

  private find(device: ChargerDeviceLike): Attached | undefined {
    return [...this.attached.values()].find((a) => a.device === device);
  }

  /** Stop listening to the device; returns what was attached. */
  private forget(device: ChargerDeviceLike): Attached | undefined {
    const i = this.waiting.indexOf(device);
    if (i >= 0) this.waiting.splice(i, 1);
    const a = this.find(device);
    if (!a) return undefined;
    a.detach();
    this.attached.delete(a.charger.id);
    const holder = device.modeHolder?.();
    if (holder) this.opts.modes?.detach(a.charger.id, holder);
    return a;
  }

  private attach(device: ChargerDeviceLike): void {
    const sink = this.sink as ChargerSink;
    const charger = device.getCharger();
    const mine = this.find(device);
    if (mine?.charger === charger) return; // joined again with the same charger: nothing changed
    this.forget(device); // a new Charger from the same device (repair), or another id
    if (mine && mine.charger.id !== charger.id) sink.removeCharger(mine.charger.id);
    this.attached.get(charger.id)?.detach(); // a new instance of the same device (Homey restarted it)
    const onStatus = (status: ChargerStatus): void => sink.reportStatus(charger.id, status);
    const onManual = (change: ManualChange): void => {
      if (change.kind === 'current') sink.manualCurrentChange(charger.id, change.currentA);
      else if (change.kind === 'target') sink.targetCurrentChange?.(charger.id, change.currentA);
      else sink.manualPauseChange(charger.id, change.kind === 'pause');
    };
    device.on('status', onStatus);
    device.on('manual', onManual);
    const detach = (): void => {
      device.removeListener('status', onStatus);
      device.removeListener('manual', onManual);
    };
    this.attached.set(charger.id, { device, charger, detach });
    const holder = device.modeHolder?.();
    if (holder) this.opts.modes?.attach(charger.id, holder);
    sink.addCharger(charger, device.getName());
    this.opts.onAttached?.(charger.id, device.getName());
    if (!mine) this.opts.log(`charger ${device.getName()} takes part in balancing`);
  }
}

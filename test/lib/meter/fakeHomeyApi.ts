/**
 * A fake of the homey-api client (`HomeyAPI.createAppAPI({ homey })`) for tests: just the parts
 * `lib/meter/homeyDevice.ts` uses, with the behaviour that matters for a meter source.
 *
 * Usage (also from app/driver tests):
 *   const api = new FakeHomeyApi(clock);
 *   const p1 = api.addMeter('homewizard', { id: 'p1', currentsA: [5, 2, -3] });
 *   const src = new HomeyDeviceSource({ api, deviceId: 'p1', clock });
 *   await src.start();
 *   p1.setPhaseCurrents([8, 2, -3]);       // pushes only the capabilities whose value changed
 *   await clock.advance(200);             // coalescing window → one sample
 *   p1.perPhaseFrozen = true;             // the owning app stops updating per-phase values; total power goes on
 *   api.removeDevice('p1');               // device 'delete' + manager 'device.delete'
 *
 * Modelled like Homey: capability listeners get `(value, { lastChanged })` only when a value
 * changes (`setCapabilityValue(id, v, { pushSame: true })` models an app that re-sends the same
 * value with a new timestamp); `lastChanged` and `capabilitiesObj[id].lastUpdated` are Homey's wall time
 * (`clock.nowMs()`, so `ManualClock.jump` steps them like an NTP fix); `lastUpdated` is an ISO string as over REST;
 * `getDevice` of an unknown id rejects with `{ statusCode: 404, message: 'Not Found' }`.
 *
 * Meter families (`MeterFamily`), with the capability ids those apps really use:
 *   homewizard     HomeWizard P1 (com.homewizard): measure_current/power/voltage.l1..l3, signed whole amps
 *   tibber         Tibber Pulse (com.tibber): measure_current.L1..L3 only, unsigned
 *   energyDongle   Homey Energy Dongle: measure_current/power/voltage.phase1..3
 *   easee          Easee Equalizer (no.easee): measure_current.L1..L3 + measure_voltage.L1..L3, unsigned
 *   powerOnly      a meter with per-phase power only, `.p1` style ids (measure_power.p1..p3), no voltage
 *   powerVoltage   per-phase power + voltage, no current (measure_power.phase1.., measure_voltage.phase1..)
 * plus `charger` (total measure_current only) and `lamp`, which are no meters.
 */
import type { Clock } from '../../../lib/clock';
import type { Triple } from '../../../lib/balancer/types';
import type { HomeyApiDevice, HomeyApiLike, HomeyCapabilityEventInfo, HomeyCapabilityState } from '../../../lib/meter/homeyDevice';

export type MeterFamily = 'homewizard' | 'tibber' | 'energyDongle' | 'easee' | 'powerOnly' | 'powerVoltage' | 'charger' | 'lamp';

interface FamilySpec {
  driverId: string;
  cumulative: boolean;
  /** Per-phase id suffix and which quantities the app exposes per phase. */
  suffix: (n: number) => string;
  current: 'signed-int' | 'unsigned' | null;
  power: boolean;
  voltage: boolean;
  extra: string[];
}

export const METER_FAMILIES: Record<MeterFamily, FamilySpec> = {
  homewizard: { driverId: 'homey:app:com.homewizard:energy', cumulative: true, suffix: (n) => `l${n}`, current: 'signed-int', power: true, voltage: true, extra: ['measure_power', 'meter_power.consumed', 'meter_power.returned'] },
  tibber: { driverId: 'homey:app:com.tibber:pulse', cumulative: true, suffix: (n) => `L${n}`, current: 'unsigned', power: false, voltage: false, extra: ['measure_power', 'meter_power.imported'] },
  energyDongle: { driverId: 'homey:virtualdriverenergydongle:driver', cumulative: true, suffix: (n) => `phase${n}`, current: 'unsigned', power: true, voltage: true, extra: ['measure_power', 'meter_power.imported'] },
  easee: { driverId: 'homey:app:no.easee:equalizer', cumulative: true, suffix: (n) => `L${n}`, current: 'unsigned', power: false, voltage: true, extra: ['measure_power'] },
  powerOnly: { driverId: 'homey:app:com.example.meter:meter', cumulative: false, suffix: (n) => `p${n}`, current: null, power: true, voltage: false, extra: ['measure_power'] },
  powerVoltage: { driverId: 'homey:app:com.example.inverter:meter', cumulative: false, suffix: (n) => `phase${n}`, current: null, power: true, voltage: true, extra: ['measure_power'] },
  charger: { driverId: 'homey:app:com.go-e:charger', cumulative: false, suffix: () => '', current: null, power: false, voltage: false, extra: ['measure_current', 'measure_power'] },
  lamp: { driverId: 'homey:app:com.example:lamp', cumulative: false, suffix: () => '', current: null, power: false, voltage: false, extra: ['onoff', 'dim'] },
};

type Listener = (value: unknown, info?: HomeyCapabilityEventInfo) => void;

/** The per-phase capability ids of a family (empty for non-meters). */
export function familyCapabilities(family: MeterFamily, phases = 3): string[] {
  const f = METER_FAMILIES[family];
  const ids: string[] = [...f.extra];
  for (let n = 1; n <= (f.current || f.power || f.voltage ? phases : 0); n++) {
    if (f.current) ids.push(`measure_current.${f.suffix(n)}`);
    if (f.power) ids.push(`measure_power.${f.suffix(n)}`);
    if (f.voltage) ids.push(`measure_voltage.${f.suffix(n)}`);
  }
  return ids;
}

export class FakeDevice implements HomeyApiDevice {
  readonly capabilitiesObj: Record<string, HomeyCapabilityState> = {};
  readonly energy: { cumulative: boolean };
  readonly driverId: string;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly deleteListeners = new Set<() => void>();
  /** While true, `setPhaseCurrents` updates only the total `measure_power` (an app whose per-phase values froze). */
  perPhaseFrozen = false;

  constructor(
    private readonly clock: Clock,
    readonly id: string,
    readonly name: string,
    readonly family: MeterFamily,
    readonly capabilities: string[],
    readonly phases: number,
    readonly voltageV: number,
  ) {
    this.driverId = METER_FAMILIES[family].driverId;
    this.energy = { cumulative: METER_FAMILIES[family].cumulative };
    for (const c of capabilities) this.capabilitiesObj[c] = { value: null, lastUpdated: null };
  }

  makeCapabilityInstance(capabilityId: string, listener: Listener): { destroy(): void } {
    if (!this.capabilities.includes(capabilityId)) throw new Error(`Invalid Capability: ${capabilityId}`);
    const set = this.listeners.get(capabilityId) ?? new Set<Listener>();
    set.add(listener);
    this.listeners.set(capabilityId, set);
    return { destroy: () => set.delete(listener) };
  }

  on(event: 'delete', fn: () => void): this {
    if (event === 'delete') this.deleteListeners.add(fn);
    return this;
  }

  off(event: 'delete', fn: () => void): this {
    if (event === 'delete') this.deleteListeners.delete(fn);
    return this;
  }

  /** Live listeners (capability instances + delete listeners), for leak checks. */
  listenerCount(): number {
    let n = this.deleteListeners.size;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }

  /**
   * Set a value as the owning app would. Listeners hear it only when the value changed, unless
   * `pushSame` (an app re-sending the same value with a new timestamp). Returns whether it was pushed.
   */
  setCapabilityValue(id: string, value: number | null, opts: { pushSame?: boolean; atMs?: number } = {}): boolean {
    const state = this.capabilitiesObj[id];
    if (!state) throw new Error(`Invalid Capability: ${id}`);
    if (state.value === value && !opts.pushSame) return false;
    const at = new Date(opts.atMs ?? this.clock.nowMs());
    state.value = value;
    state.lastUpdated = at.toISOString();
    for (const l of [...(this.listeners.get(id) ?? [])]) l(value, { lastChanged: at });
    return true;
  }

  /**
   * Set the house currents the way this family's app would publish them: signed whole amps
   * (HomeWizard), unsigned amps (Tibber, Dongle, Easee), power = I·U (signed), voltage constant.
   */
  setPhaseCurrents(currentsA: Triple<number | null>, opts: { pushSame?: boolean; atMs?: number } = {}): void {
    const f = METER_FAMILIES[this.family];
    let total = 0;
    currentsA.forEach((a, i) => {
      const n = i + 1;
      if (n > this.phases) return;
      const powerW = a === null ? null : Math.round(a * this.voltageV);
      total += powerW ?? 0;
      if (this.perPhaseFrozen) return;
      if (f.voltage) this.setCapabilityValue(`measure_voltage.${f.suffix(n)}`, a === null ? null : this.voltageV, opts);
      if (f.power) this.setCapabilityValue(`measure_power.${f.suffix(n)}`, powerW, opts);
      if (f.current) {
        const v = a === null ? null : f.current === 'signed-int' ? Math.trunc(a) : Math.round(Math.abs(a) * 100) / 100;
        this.setCapabilityValue(`measure_current.${f.suffix(n)}`, v, opts);
      }
    });
    if (this.capabilities.includes('measure_power')) this.setCapabilityValue('measure_power', total, opts);
  }

  /** homey-api emits 'delete' on the device and then destroys its capability instances. */
  emitDelete(): void {
    for (const fn of [...this.deleteListeners]) fn();
    this.listeners.clear();
  }
}

export class FakeHomeyApi implements HomeyApiLike {
  private readonly all = new Map<string, FakeDevice>();
  private readonly managerDeleteListeners = new Set<(d: { id: string }) => void>();
  /** Set to make every devices call reject (e.g. Homey API not ready yet). */
  failWith: Error | null = null;
  connected = false;

  constructor(private readonly clock: Clock) {}

  readonly devices = {
    getDevices: async (): Promise<Record<string, HomeyApiDevice>> => {
      if (this.failWith) throw this.failWith;
      return Object.fromEntries([...this.all].map(([id, d]) => [id, d]));
    },
    getDevice: async ({ id }: { id: string; $cache?: boolean }): Promise<HomeyApiDevice> => {
      if (this.failWith) throw this.failWith;
      const d = this.all.get(id);
      if (!d) throw Object.assign(new Error('Not Found'), { statusCode: 404 });
      return d;
    },
    connect: async (): Promise<void> => {
      this.connected = true;
    },
    on: (event: 'device.delete', fn: (d: { id: string }) => void): unknown => {
      if (event === 'device.delete') this.managerDeleteListeners.add(fn);
      return this.devices;
    },
    off: (event: 'device.delete', fn: (d: { id: string }) => void): unknown => {
      if (event === 'device.delete') this.managerDeleteListeners.delete(fn);
      return this.devices;
    },
  };

  /** Add a device of a family; `currentsA` sets initial values (stamped with the clock time or `atMs`). */
  /** `totalPower: false` leaves out the total `measure_power` (a meter with per-phase values only). */
  addMeter(
    family: MeterFamily,
    opts: { id?: string; name?: string; phases?: number; voltageV?: number; currentsA?: Triple<number | null>; atMs?: number; totalPower?: boolean } = {},
  ): FakeDevice {
    const id = opts.id ?? `${family}-${this.all.size + 1}`;
    const phases = opts.phases ?? 3;
    const caps = familyCapabilities(family, phases).filter((c) => opts.totalPower !== false || c !== 'measure_power');
    const device = new FakeDevice(this.clock, id, opts.name ?? `${family} meter`, family, caps, phases, opts.voltageV ?? 230);
    this.all.set(id, device);
    if (opts.currentsA) device.setPhaseCurrents(opts.currentsA, { atMs: opts.atMs });
    return device;
  }

  /** The fake behind an id (throws when there is none). */
  getFake(id: string): FakeDevice {
    const d = this.all.get(id);
    if (!d) throw new Error(`no fake device ${id}`);
    return d;
  }

  /** Delete a device the way Homey announces it: the device's own 'delete' event and the manager's 'device.delete'. */
  removeDevice(id: string, opts: { managerEventOnly?: boolean } = {}): void {
    const d = this.all.get(id);
    if (!d) return;
    this.all.delete(id);
    if (!opts.managerEventOnly) d.emitDelete();
    for (const fn of [...this.managerDeleteListeners]) fn({ id });
  }

  /** Manager-level listeners still registered (leak check). */
  managerListenerCount(): number {
    return this.managerDeleteListeners.size;
  }
}

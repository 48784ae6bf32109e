/**
 * A house meter that is another Homey device (HomeWizard P1, Tibber Pulse, Homey Energy Dongle,
 * Easee Equalizer, …), read through the Homey Web API (`homey-api`). The app passes
 * `await HomeyAPI.createAppAPI({ homey })`; this module only needs the small `HomeyApiLike` part of
 * it, so tests use a fake (test/lib/meter/fakeHomeyApi.ts).
 *
 * Per-phase capability ids differ per app and are case-sensitive: `measure_current.l1` (HomeWizard),
 * `.L1` (Tibber, Easee), `.phase1` (Energy Dongle, Zaptec, Fronius), `.p1`. The same suffixes are
 * looked up for `measure_power.*` and `measure_voltage.*`. Without per-phase current, the current is
 * derived from per-phase power (I = P/U, signed by P; nominal 230 V when there is no voltage).
 *
 * Power (for the capacity guard): each sample carries the meter's total `measure_power` (W, the whole connection;
 * import positive, negative while exporting on meters that sign it), the per-phase `measure_voltage.*`, and the
 * month's peak the meter keeps itself where its app shows one (HomeWizard: `measure_power.montly_power_peak`, sic).
 * Mind the id families: only the bare `measure_power` is the total; `measure_power.l1` is a phase, and
 * `measure_power.average_power_15m_w` or `.montly_power_peak` are no present power at all. A change of the peak alone
 * is no new reading.
 *
 * Freshness, on receipt (monotonic clock) and by content; the `lastUpdated` / `lastChanged` stamps
 * Homey hands over are wall-clock times and are never compared (after an NTP step back every new
 * event would look older than the last, and old values newer):
 * - a sample is emitted, coalesced over `coalesceMs`, whenever a subscribed capability of the meter
 *   (also total `measure_power`, which changes to the watt) gets a value different from the one it had.
 *   An event repeating a value is no news. A silent meter emits nothing and the balancer's `staleAfterS`
 *   acts. Nothing is emitted at start: the values Homey holds then may be minutes or days old, and their
 *   stamps cannot tell (they are wall time); the first change proves the meter alive.
 * - a phase is alive while any of its own values (current, power, voltage of that phase) changes. One
 *   whose own values have not changed for `staleAfterMs` (default 15 s, pass the balancer's
 *   `staleAfterS`), or not since start, while the meter's other values did change, is emitted as null
 *   (missing) — unless the meter's total power vouches for it (below).
 *
 * A genuinely constant phase: Homey pushes a capability only when its value changes, and a phase can
 * really stay the same for hours — one carrying nothing reads 0 W, and a meter with whole-amp currents
 * only (Tibber on a Dutch DSMR meter) shows "2 A" for as long as the load stays between 2 and 3 A.
 * Calling such a phase stale would hold the car at 6 A and then pause it all night, so an unchanged
 * phase is kept while the meter's own total `measure_power` (which changes to the watt) still adds up
 * with the per-phase values (`totalPowerExplains`: signed sum to 50 W + 3 % where every phase has a
 * power; with whole-amp currents only, the total may not exceed what the phases can carry at 253 V
 * with 1 A each to spare). Per-phase values frozen while the house load moves stop adding up and are
 * left out once the mismatch has lasted `MISMATCH_SETTLE_MS` (events of one telegram may arrive in two
 * coalescing windows). Limits, by choice: a frozen phase is caught only when the total moves by more
 * than that tolerance, so a load that moves between frozen phases with the same total is not seen
 * (unlikely to last); a meter without total power has no such witness, and its unchanged phases are
 * left out after `staleAfterMs`, on the safe side.
 *
 * Start: the Homey Web API may not be there yet just after boot (creating it times out, or devices answer "not
 * ready"). Such a passing failure is tried again after a back-off that doubles from `retryMinMs` (1 s) to
 * `retryMaxMs` (60 s), with `status().error` saying why and when; what the user must fix (the device is gone, or is
 * no meter) stays an error without retries. stop() cancels a pending retry.
 */
import type { Clock, TimerHandle } from '../clock';
import type { Triple } from '../balancer/types';
import { describeError } from '../errors';
import { PHASES, type PhaseIndex } from '../phase';
import { BaseMeterSource, DEFAULT_STALE_AFTER_MS, formatWait, type MeterExtras, NOMINAL_VOLTAGE_V, phaseCurrentA, PhaseMerger, type PhaseParts, totalPowerExplains } from './source';
import { backoffMs } from '../backoff';

/** `capabilitiesObj[id]` as homey-api gives it. `lastUpdated` is an ISO string (REST) or a Date (after events). */
export interface HomeyCapabilityState {
  value: unknown;
  lastUpdated?: string | Date | number | null;
}

/** What a capability listener receives as second argument (homey-api `DeviceCapability`). */
export interface HomeyCapabilityEventInfo {
  lastChanged?: Date | null;
}

/** The part of a homey-api `Device` this module uses. */
export interface HomeyApiDevice {
  id: string;
  name: string;
  driverId?: string;
  capabilities: string[];
  capabilitiesObj?: Record<string, HomeyCapabilityState | undefined> | null;
  energy?: { cumulative?: boolean } | null;
  makeCapabilityInstance(capabilityId: string, listener: (value: unknown, info?: HomeyCapabilityEventInfo) => void): { destroy(): void };
  on?(event: 'delete', fn: () => void): unknown;
  off?(event: 'delete', fn: () => void): unknown;
}

/** The part of the homey-api client this module uses (`HomeyAPI.createAppAPI(...)` fits it). */
export interface HomeyApiLike {
  devices: {
    getDevices(opts?: Record<string, unknown>): Promise<Record<string, HomeyApiDevice>>;
    getDevice(opts: { id: string; $cache?: boolean }): Promise<HomeyApiDevice>;
    /** Subscribes to device create/update/delete events (homey-api `Manager#connect`). */
    connect?(): Promise<void>;
    on?(event: 'device.delete', fn: (d: { id: string }) => void): unknown;
    off?(event: 'device.delete', fn: (d: { id: string }) => void): unknown;
  };
}

export interface PhaseCapabilityIds {
  currentId: string | null;
  powerId: string | null;
  voltageId: string | null;
}

export interface ResolvedMeterCapabilities {
  phases: Triple<PhaseCapabilityIds>;
  /** Total `measure_power`, subscribed as a sign of life and handed on as the house's power. */
  totalPowerId: string | null;
  /** The month's peak the meter keeps itself (`measure_power.montly_power_peak`, sic, or `…monthly_power_peak`). */
  peakPowerId: string | null;
  /** 'current' when any phase has a current capability, else 'power'; null = not a per-phase meter. */
  basis: 'current' | 'power' | null;
  phaseCount: number;
}

/** Phase suffixes in order of preference; matching is exact (case-sensitive) first, then case-insensitive. */
const SUFFIXES = (n: number): string[] => [`l${n}`, `L${n}`, `phase${n}`, `p${n}`];

function findPhaseCap(caps: readonly string[], base: string, n: number): string | null {
  for (const s of SUFFIXES(n)) if (caps.includes(`${base}.${s}`)) return `${base}.${s}`;
  const re = new RegExp(`^${base}\\.(?:l|phase|p|phase_)${n}$`, 'i');
  return caps.find((c) => re.test(c)) ?? null;
}

/** The month's peak as meter apps name it: HomeWizard's own spelling first. */
const PEAK_POWER_IDS = ['measure_power.montly_power_peak', 'measure_power.monthly_power_peak'];

/** Detect the per-phase capability ids of a device, whatever app made it. */
export function resolveMeterCapabilities(capabilities: readonly string[]): ResolvedMeterCapabilities {
  const phases = PHASES.map((p) => ({
    currentId: findPhaseCap(capabilities, 'measure_current', p + 1),
    powerId: findPhaseCap(capabilities, 'measure_power', p + 1),
    voltageId: findPhaseCap(capabilities, 'measure_voltage', p + 1),
  })) as Triple<PhaseCapabilityIds>;
  const usable = phases.filter((ph) => ph.currentId || ph.powerId);
  return {
    phases,
    totalPowerId: capabilities.includes('measure_power') ? 'measure_power' : null,
    peakPowerId: PEAK_POWER_IDS.find((id) => capabilities.includes(id)) ?? null,
    basis: phases.some((ph) => ph.currentId) ? 'current' : usable.length ? 'power' : null,
    phaseCount: usable.length,
  };
}

/** `lastUpdated` in any shape homey-api uses → ms, or null (wall time: shown to the user, never used to judge freshness). */
export function homeyTimeMs(v: unknown): number | null {
  if (v instanceof Date) return Number.isFinite(v.getTime()) ? v.getTime() : null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : null;
  }
  return null;
}

const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function capValue(device: HomeyApiDevice, id: string | null): number | null {
  return id ? numOrNull(device.capabilitiesObj?.[id]?.value) : null;
}

export interface MeterDeviceCandidate {
  id: string;
  name: string;
  driverId: string | null;
  /** True for whole-home meters (`energy.cumulative`), listed first. */
  cumulative: boolean;
  capabilities: ResolvedMeterCapabilities;
  /** Signed currents from the device's last values (A). */
  lastCurrentsA: Triple<number | null>;
  /** Newest `lastUpdated` of its per-phase capabilities (Homey's wall time: for display, never for freshness). */
  lastUpdatedMs: number | null;
}

/** Describe one device as a meter candidate, or null when it reports nothing per phase. */
export function describeMeterDevice(device: HomeyApiDevice, nominalV = NOMINAL_VOLTAGE_V): MeterDeviceCandidate | null {
  const caps = resolveMeterCapabilities(device.capabilities ?? []);
  if (!caps.basis) return null;
  let lastUpdatedMs: number | null = null;
  for (const ph of caps.phases) {
    for (const id of [ph.currentId, ph.powerId, ph.voltageId]) {
      const t = id ? homeyTimeMs(device.capabilitiesObj?.[id]?.lastUpdated) : null;
      if (t !== null && (lastUpdatedMs === null || t > lastUpdatedMs)) lastUpdatedMs = t;
    }
  }
  return {
    id: device.id,
    name: device.name,
    driverId: device.driverId ?? null,
    cumulative: device.energy?.cumulative === true,
    capabilities: caps,
    lastCurrentsA: caps.phases.map((ph) =>
      phaseCurrentA(capValue(device, ph.currentId), capValue(device, ph.powerId), capValue(device, ph.voltageId), nominalV),
    ) as Triple<number | null>,
    lastUpdatedMs,
  };
}

/** Every device that can serve as the house meter: whole-home meters first, then by name. */
export async function listMeterDevices(api: HomeyApiLike, nominalV = NOMINAL_VOLTAGE_V): Promise<MeterDeviceCandidate[]> {
  const all = await api.devices.getDevices();
  return Object.values(all)
    .map((d) => describeMeterDevice(d, nominalV))
    .filter((c): c is MeterDeviceCandidate => c !== null)
    .sort((a, b) => Number(b.cumulative) - Number(a.cumulative) || a.name.localeCompare(b.name));
}

export interface HomeyDeviceSourceOptions {
  /** The Homey Web API, or how to get it: asked on each attempt to start (creating it may fail, then works later). */
  api: HomeyApiLike | (() => Promise<HomeyApiLike>);
  deviceId: string;
  clock: Clock;
  /** Capability events arriving within this window become one sample (default 200 ms). */
  coalesceMs?: number;
  /**
   * A phase whose own values have not changed for this long while the meter's others did is left out,
   * unless the total power vouches for it (default 15 s; pass the balancer's `staleAfterS` × 1000).
   */
  staleAfterMs?: number;
  nominalVoltageV?: number;
  /** First wait before trying to start again after a passing failure; default 1000 ms. */
  retryMinMs?: number;
  /** Longest wait between attempts to start; default 60000 ms. */
  retryMaxMs?: number;
}

/** How long the total power must disagree with unchanged phases before they are left out (ms). */
export const MISMATCH_SETTLE_MS = 2000;

const isNotFound = (err: unknown): boolean => {
  const e = err as { statusCode?: number; status?: number; message?: string };
  return e?.statusCode === 404 || e?.status === 404 || /not.?found/i.test(String(e?.message ?? ''));
};

export class HomeyDeviceSource extends BaseMeterSource {
  readonly kind = 'homey-device' as const;
  readonly deviceId: string;
  private readonly getApi: () => Promise<HomeyApiLike>;
  /** The Web API of the last attempt to start (what unsubscribe detaches from). */
  private api: HomeyApiLike | null = null;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  /** Between start() and stop() (also while waiting to try again); `running` = subscribed to the device. */
  private wanted = false;
  /** Counts start() and stop(): an attempt from before the last of them leaves everything alone. */
  private generation = 0;
  private retryTimer: TimerHandle | undefined;
  /** Failed attempts since start() or the last success: the back-off exponent. */
  private failures = 0;
  private readonly coalesceMs: number;
  private readonly nominalV: number;
  private merger: PhaseMerger;
  private device: HomeyApiDevice | null = null;
  private caps: ResolvedMeterCapabilities | null = null;
  private readonly raw = new Map<string, number | null>();
  private instances: { destroy(): void }[] = [];
  private flushTimer: TimerHandle | undefined;
  private readonly staleAfterMs: number;
  /** Since when (monotonic) the total power has disagreed with the per-phase values; null = it agrees. */
  private mismatchSinceMonoMs: number | null = null;

  constructor(opts: HomeyDeviceSourceOptions) {
    super(opts.clock);
    const api = opts.api;
    this.getApi = typeof api === 'function' ? api : () => Promise.resolve(api);
    this.retryMinMs = opts.retryMinMs ?? 1000;
    this.retryMaxMs = opts.retryMaxMs ?? 60_000;
    this.deviceId = opts.deviceId;
    this.coalesceMs = opts.coalesceMs ?? 200;
    this.nominalV = opts.nominalVoltageV ?? NOMINAL_VOLTAGE_V;
    this.staleAfterMs = opts.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
    this.merger = new PhaseMerger(this.staleAfterMs);
  }

  /** The name of the meter device once started (for messages). */
  get deviceName(): string | null {
    return this.device?.name ?? null;
  }

  get capabilities(): ResolvedMeterCapabilities | null {
    return this.caps;
  }

  /**
   * Never throws; resolves after the first attempt. A missing device or a device without per-phase values sets
   * status().error; a Web API that fails or is not ready yet sets it too, and is tried again (see the header).
   */
  async start(): Promise<void> {
    if (this.wanted) return;
    this.wanted = true;
    this.failures = 0;
    await this.attempt(++this.generation);
  }

  async stop(): Promise<void> {
    this.wanted = false;
    this.generation++;
    this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.running = false;
    this.unsubscribe();
  }

  /** One try to reach the device and subscribe; `generation` is the start() it belongs to. */
  private async attempt(generation: number): Promise<void> {
    this.retryTimer = undefined;
    const current = (): boolean => this.wanted && generation === this.generation;
    let api: HomeyApiLike;
    let device: HomeyApiDevice;
    try {
      api = await this.getApi();
    } catch (err) {
      if (current()) this.retry(generation, err);
      return;
    }
    if (!current()) return;
    this.api = api;
    try {
      device = await api.devices.getDevice({ id: this.deviceId, $cache: false });
    } catch (err) {
      if (!current()) return;
      if (!isNotFound(err)) return this.retry(generation, err);
      this.wanted = false;
      this.setError(`The meter device (id ${this.deviceId}) no longer exists in Homey; choose another meter in the app settings`);
      return;
    }
    if (!current()) return;
    const caps = resolveMeterCapabilities(device.capabilities ?? []);
    if (!caps.basis) {
      this.wanted = false;
      this.setError(`"${device.name}" reports no per-phase current or power; choose a meter such as a P1 dongle`);
      return;
    }
    this.failures = 0;
    await this.subscribe(api, device, caps);
  }

  /** A passing failure: say so in one line and try again after the back-off. */
  private retry(generation: number, err: unknown): void {
    const waitMs = backoffMs(this.failures, this.retryMinMs, this.retryMaxMs);
    this.failures++;
    this.setError(`Cannot read the meter device (id ${this.deviceId}): ${describeError(err)}; retrying in ${formatWait(waitMs)}`);
    this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = this.clock.setTimeout(() => void this.attempt(generation), waitMs);
  }

  private async subscribe(api: HomeyApiLike, device: HomeyApiDevice, caps: ResolvedMeterCapabilities): Promise<void> {
    this.running = true;
    this.device = device;
    this.caps = caps;
    this.merger = new PhaseMerger(this.staleAfterMs);
    this.mismatchSinceMonoMs = null;
    this.setError(null);

    // The values Homey has now are held, but not news: their age is unknown (see the header).
    const ids = this.subscribedIds();
    for (const id of ids) this.record(id, numOrNull(device.capabilitiesObj?.[id]?.value), false);
    for (const id of ids) {
      this.instances.push(
        device.makeCapabilityInstance(id, (value) => {
          if (!this.running) return;
          if (this.record(id, numOrNull(value), true)) this.scheduleFlush();
        }),
      );
    }
    device.on?.('delete', this.onDeleted);
    api.devices.on?.('device.delete', this.onManagerDelete);
    try {
      await api.devices.connect?.();
    } catch {
      // Without the manager subscription the device's own 'delete' event still tells us.
    }
  }

  private subscribedIds(): string[] {
    if (!this.caps) return [];
    const ids = this.caps.phases.flatMap((ph) => [ph.currentId, ph.powerId, ph.voltageId]);
    if (this.caps.totalPowerId) ids.push(this.caps.totalPowerId);
    if (this.caps.peakPowerId) ids.push(this.caps.peakPowerId);
    return ids.filter((id): id is string => id !== null);
  }

  /**
   * Take a value of capability `id` received now; `live`: from an event (not the start-up values).
   * Returns whether it changed the meter's content.
   */
  private record(id: string, value: number | null, live: boolean): boolean {
    const changed = live && this.raw.has(id) && this.raw.get(id) !== value;
    this.raw.set(id, value);
    if (id === this.caps?.peakPowerId) return false; // shown, never a reading of its own
    const phase = this.caps?.phases.findIndex((ph) => ph.currentId === id || ph.powerId === id || ph.voltageId === id) ?? -1;
    if (phase < 0) {
      if (changed) this.merger.touch();
      return changed;
    }
    const parts = this.phaseParts()[phase];
    this.merger.set(phase as PhaseIndex, phaseCurrentA(parts.currentA, parts.powerW, parts.voltageV, this.nominalV), changed, this.clock.monoMs());
    return changed;
  }

  private phaseParts(): PhaseParts[] {
    const get = (cap: string | null): number | null => (cap ? this.raw.get(cap) ?? null : null);
    return (this.caps?.phases ?? []).map((ph) => ({ currentA: get(ph.currentId), powerW: get(ph.powerId), voltageV: get(ph.voltageId) }));
  }

  /** Whether the total power vouches for phases whose own values did not change (see the header). */
  private totalVouches(monoMs: number): boolean {
    const totalW = this.caps?.totalPowerId ? this.raw.get(this.caps.totalPowerId) ?? null : null;
    if (totalW === null) return false;
    if (totalPowerExplains(totalW, this.phaseParts())) {
      this.mismatchSinceMonoMs = null;
      return true;
    }
    this.mismatchSinceMonoMs ??= monoMs;
    return monoMs - this.mismatchSinceMonoMs < MISMATCH_SETTLE_MS;
  }

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = this.clock.setTimeout(() => {
      this.flushTimer = undefined;
      this.flush();
    }, this.coalesceMs);
  }

  private flush(): void {
    if (!this.running) return;
    const mono = this.clock.monoMs();
    const vouched = this.totalVouches(mono);
    const currentsA = this.merger.take(mono, vouched);
    if (currentsA) this.emit(currentsA, { ...this.extras(), ageMs: this.merger.agesMs(mono, vouched) });
  }

  /** The total power, the phase voltages and the meter's peak as Homey holds them now. */
  private extras(): MeterExtras {
    const get = (cap: string | null | undefined): number | null => (cap ? this.raw.get(cap) ?? null : null);
    return {
      powerW: get(this.caps?.totalPowerId),
      voltagesV: this.phaseParts().map((p) => p.voltageV) as Triple<number | null>,
      meterPeakW: get(this.caps?.peakPowerId),
    };
  }

  private readonly onDeleted = (): void => {
    if (!this.running) return;
    const name = this.device?.name ?? this.deviceId;
    this.running = false;
    this.wanted = false;
    this.unsubscribe();
    this.setError(`The meter device "${name}" was deleted from Homey; choose another meter in the app settings`);
  };

  private readonly onManagerDelete = (d: { id: string }): void => {
    if (d?.id === this.deviceId) this.onDeleted();
  };

  private unsubscribe(): void {
    this.clock.clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const inst of this.instances) {
      try {
        inst.destroy();
      } catch {
        // already destroyed (homey-api destroys instances itself when the device is deleted)
      }
    }
    this.instances = [];
    this.device?.off?.('delete', this.onDeleted);
    this.api?.devices.off?.('device.delete', this.onManagerDelete);
    this.raw.clear();
  }
}

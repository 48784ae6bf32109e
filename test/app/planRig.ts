/**
 * The rig of the charging-plan tests through the Homey stand-in: the real app in Stockholm time and a real go-e device
 * against the emulator, a house on a 25 A fuse, and a night of hourly prices whose cheapest hours are 02:00 and 03:00.
 * Time moves in steps of at most a minute: the app's clock and the emulator's, then a poll, a meter reading (house +
 * car) and the app's tick, as on a Homey.
 */
import PhaseGuardApp from '../../app';
import GoeDevice from '../../drivers/goe/device';
import GoeDriver from '../../drivers/goe/driver';
import type { PlanView } from '../../lib/app/plan';
import { ManualClock } from '../../lib/clock';
import { SETTINGS_KEY } from '../../lib/settings';
import { GoeEmulator } from '../../tools/emulators/goe/emulator';
import { BALANCER_SETTINGS } from '../appHarness';
import { addDevice, createHomey, startApp, startDriver, teardown, type StandinHomey } from '../homey-standin';

export const TIME_ZONE = 'Europe/Stockholm';
/** Wednesday 14 January 2026, 20:00 in Stockholm (UTC+1). */
export const T0_MS = Date.UTC(2026, 0, 14, 19, 0);
const HOUR_MS = 3600_000;

/** Local hour (20 … 7) → price per kWh: cheapest at 02:00 and 03:00, then 04:00 and 01:00. */
export const NIGHT_PRICES: Record<number, number> = {
  20: 0.41, 21: 0.38, 22: 0.31, 23: 0.27, 0: 0.22, 1: 0.12, 2: 0.04, 3: 0.05, 4: 0.09, 5: 0.19, 6: 0.33, 7: 0.45,
};

/** The night's prices as a price app hands them out: [{ startsAt, price }] with the local offset. */
export function nightPricesJson(): string {
  const hours = [20, 21, 22, 23, 0, 1, 2, 3, 4, 5, 6, 7];
  return JSON.stringify(hours.map((h, i) => {
    const startMs = T0_MS + i * HOUR_MS;
    const iso = new Date(startMs + HOUR_MS).toISOString().replace('.000Z', '+01:00');
    return { startsAt: iso, price: NIGHT_PRICES[h] };
  }));
}

/** Local "HH:mm" of a wall time in Stockholm (winter: UTC+1). */
export function localClock(ms: number): string {
  return new Date(ms + HOUR_MS).toISOString().slice(11, 16);
}

export class PlanRig {
  homey!: StandinHomey;
  app!: PhaseGuardApp;
  device!: GoeDevice;
  readonly clock: ManualClock;
  readonly emu: GoeEmulator;
  private readonly emuClock = new ManualClock();
  private readonly originalClock = PhaseGuardApp.clockFactory;

  constructor() {
    this.clock = new ManualClock(T0_MS);
    this.emu = new GoeEmulator({ clock: this.emuClock, startDelayMs: 0 });
  }

  /** A rig started and walked to 20:05 in 5 s steps: the evening the plan tests begin at. */
  static async evening(): Promise<PlanRig> {
    const rig = new PlanRig();
    await rig.start();
    await rig.walkTo('20:05', 5_000);
    return rig;
  }

  /** `beforeApp` may prepare the Homey before the app starts. Emulator with a three-phase car that takes up to 16 A and wants 40 kWh; the app and the device started. */
  async start(beforeApp?: (homey: StandinHomey) => void): Promise<void> {
    await this.emu.start();
    this.emu.plugIn({ maxCurrentA: 16, phases: 3, needWh: 40_000 });
    PhaseGuardApp.clockFactory = () => this.clock;
    GoeDevice.clientOptions = { minGapMs: 0 };
    await this.boot(null, beforeApp);
  }

  /** Start the app on a fresh Homey (a restart: with the settings, the saved state and the device store of before). */
  async boot(saved: { settings: Record<string, unknown>; store: Record<string, unknown> } | null, beforeApp?: (homey: StandinHomey) => void): Promise<void> {
    this.homey = createHomey({ timezone: TIME_ZONE, now: () => this.clock.nowMs() });
    if (saved) for (const [k, v] of Object.entries(saved.settings)) this.homey.settings.set(k, v);
    else this.homey.settings.set(SETTINGS_KEY, BALANCER_SETTINGS);
    beforeApp?.(this.homey);
    this.app = await startApp(PhaseGuardApp, this.homey);
    const driver = await startDriver(GoeDriver, GoeDevice, { homey: this.homey, id: 'goe' });
    this.device = await addDevice<GoeDevice>(driver, {
      name: 'Garage', data: { id: this.emu.serial }, store: saved?.store ?? { serial: this.emu.serial }, settings: { host: this.emu.url, api: 'v2' },
    });
    await this.device.poll();
  }

  /** Stop the app as Homey does and start it again with what it saved. */
  async restart(): Promise<void> {
    const store = { serial: this.emu.serial, chargingMode: this.device.getStoreValue('chargingMode') };
    await teardown(this.homey);
    const settings: Record<string, unknown> = {};
    for (const key of this.homey.settings.getKeys()) settings[key] = this.homey.settings.get(key);
    await this.boot({ settings, store });
  }

  async stop(): Promise<void> {
    PhaseGuardApp.clockFactory = this.originalClock;
    await teardown(this.homey);
    await this.emu.stop();
  }

  /** One step of `ms` (≤ 60 s): both clocks, a poll, the meter (house + car), the app's tick. */
  async step(ms = 60_000, houseA: [number, number, number] = [3, 3, 3]): Promise<void> {
    await this.clock.advance(ms);
    await this.emuClock.advance(ms);
    const snap = await this.device.poll();
    const car = snap?.status.phases.map((p) => p.currentA ?? 0) ?? [0, 0, 0];
    await this.homey.flow.runAction('balancer_report_phase_currents', { l1: houseA[0] + car[0], l2: houseA[1] + car[1], l3: houseA[2] + car[2] });
    await this.app.tick();
  }

  /** Step until the wall clock reads `untilMs` (Stockholm "HH:mm" on the night of T0 or a wall time). */
  async walkTo(until: string | number, stepMs = 60_000): Promise<void> {
    const untilMs = typeof until === 'number' ? until : this.at(until);
    while (this.clock.nowMs() < untilMs) await this.step(Math.min(stepMs, untilMs - this.clock.nowMs()));
  }

  /** The wall time of a local "HH:mm" in the night that starts at T0 (20:00 … 19:59 the next day). */
  at(hhmm: string): number {
    const [h, m] = hhmm.split(':').map(Number);
    const offsetH = (h - 20 + 24) % 24;
    return T0_MS + offsetH * HOUR_MS + m * 60_000;
  }

  chargerId(): string {
    return this.device.getCharger().id;
  }

  view(): PlanView {
    return this.app.webApi.getPlanView();
  }

  mine(): PlanView['chargers'][number] {
    const c = this.view().chargers.find((x) => x.id === this.chargerId());
    if (!c) throw new Error('the charger is not in the plan view');
    return c;
  }

  async setPrices(text: string = nightPricesJson()): Promise<unknown> {
    return this.homey.flow.runAction('plan_set_prices', { prices: text });
  }

  async planEnergy(energy: number, deadline: string): Promise<void> {
    await this.homey.flow.runAction('goe_plan_set_energy', { device: this.device, energy, deadline });
    await this.homey.flow.runAction('goe_plan_start', { device: this.device });
  }

  chargesNow(): Promise<unknown> {
    return this.homey.flow.runCondition('goe_plan_charges_now', { device: this.device });
  }
}

/**
 * The app on the Homey stand-in, as the app-level tests set it up: the app's ManualClock, a go-e emulator (or the
 * Charge Amps cloud emulator) over loopback, the app started with the shared balancer settings, the driver and one
 * paired device, and one simulated second (the car follows, the device polls, the meter reports house + car through
 * "Report phase currents", the app ticks). Each test file keeps its own assertions and numbers.
 */
import PhaseGuardApp from '../app';
import ChargeAmpsDevice from '../drivers/chargeamps/device';
import ChargeAmpsDriver from '../drivers/chargeamps/driver';
import { ChargerDevice } from '../drivers/chargerDevice';
import GoeDevice from '../drivers/goe/device';
import GoeDriver from '../drivers/goe/driver';
import { sharedClients } from '../lib/chargeamps/client';
import { ManualClock, SystemClock } from '../lib/clock';
import { nodeFetchTransport } from '../lib/http';
import { defaultAppSettings, SETTINGS_KEY, type AppSettings } from '../lib/settings';
import { AURA_ID, ChargeAmpsEmulator, EMULATOR_API_KEY, EMULATOR_EMAIL, EMULATOR_PASSWORD } from '../tools/emulators/chargeamps/emulator';
import { GoeEmulator, type GoeCar, type GoeProfile } from '../tools/emulators/goe/emulator';
import { pairAuraConnector } from './drivers/chargeamps/pairing';
import { addDevice, createHomey, startApp, startDriver, teardown, type CreateHomeyOptions, type StandinHomey } from './homey-standin';

export type Triple = [number, number, number];

/** The settings the app tests balance with: a 25 A fuse, 1 A margin, restores after 5 s in steps of 4 A. */
export const BALANCER_SETTINGS: AppSettings = { ...defaultAppSettings(), fuseA: 25, marginA: 1, restoreHoldS: 5, restoreStepA: 4 };
/** Sunday 1 June 2025, 12:00 UTC: where the app tests' clocks start unless they need a time of day. */
export const NOON_MS = Date.UTC(2025, 5, 1, 12);
/** The Charge Amps emulator's account, as the pair views and a phone app log in with it. */
export const CHARGEAMPS_CREDENTIALS = { email: EMULATOR_EMAIL, password: EMULATOR_PASSWORD, apiKey: EMULATOR_API_KEY };

const originalClockFactory = PhaseGuardApp.clockFactory;
const originalDeviceNow = ChargerDevice.now;

/** A ManualClock at `startMs` that the app (and, with `devices`, ChargerDevice.now) reads from now on. */
export function useAppClock(startMs = NOON_MS, devices = false): ManualClock {
  const clock = new ManualClock(startMs);
  PhaseGuardApp.clockFactory = () => clock;
  if (devices) ChargerDevice.now = () => clock.nowMs();
  return clock;
}

/** A stand-in Homey whose app settings are BALANCER_SETTINGS with `overrides`. */
export function balancerHomey(overrides: Partial<AppSettings> = {}, options?: CreateHomeyOptions): StandinHomey {
  const homey = createHomey(options);
  homey.settings.set(SETTINGS_KEY, { ...BALANCER_SETTINGS, ...overrides });
  return homey;
}

/** A go-e emulator on loopback (its own ManualClock, no start delay) with a car plugged in; go-e devices poll without a gap. */
export async function startGoeEmulator(car: Partial<GoeCar> = { maxCurrentA: 16, phases: 3 }, profile?: GoeProfile): Promise<GoeEmulator> {
  GoeDevice.clientOptions = { minGapMs: 0 };
  const emu = new GoeEmulator({ clock: new ManualClock(), startDelayMs: 0, ...(profile ? { profile } : {}) });
  await emu.start();
  emu.plugIn(car);
  return emu;
}

export interface GoeApp { app: PhaseGuardApp; driver: GoeDriver; device: GoeDevice }

/** The app on `homey`, the go-e driver and a go-e 'Garage' paired to `emu` (API v2 unless told), polled once. */
export async function startAppWithGoe(homey: StandinHomey, emu: GoeEmulator, api: 'v1' | 'v2' = 'v2'): Promise<GoeApp> {
  const app = await startApp(PhaseGuardApp, homey);
  const driver = await startDriver(GoeDriver, GoeDevice, { homey, id: 'goe' });
  const device = await addDevice<GoeDevice>(driver, {
    name: 'Garage', data: { id: emu.serial }, store: { serial: emu.serial }, settings: { host: emu.url, api },
  });
  await device.poll();
  return { app, driver, device };
}

/** Both clocks one second on (the car follows), the go-e polled: the car's current on each phase. */
export async function goeCarSecond(rig: { clock: ManualClock; emu: GoeEmulator; device: GoeDevice }): Promise<Triple> {
  await rig.clock.advance(1000);
  await (rig.emu.clock as ManualClock).advance(1000);
  const snap = await rig.device.poll();
  const car = snap?.status.phases.map((p) => p.currentA ?? 0) ?? [0, 0, 0];
  return [car[0], car[1], car[2]];
}

/** "Report phase currents" with the house's currents plus the car's. */
export function reportHousePlusCar(homey: StandinHomey, houseA: Triple, car: readonly number[]): Promise<unknown> {
  return homey.flow.runAction('balancer_report_phase_currents', { l1: houseA[0] + car[0], l2: houseA[1] + car[1], l3: houseA[2] + car[2] });
}

export interface GoeRig { clock: ManualClock; emu: GoeEmulator; device: GoeDevice; homey: StandinHomey; app: PhaseGuardApp }

/** One second: the car follows, the go-e polls, the meter reports house + car (unless `report` is false), the app ticks. */
export async function goeSecond(rig: GoeRig, houseA: Triple, report = true): Promise<void> {
  const car = await goeCarSecond(rig);
  if (report) await reportHousePlusCar(rig.homey, houseA, car);
  await rig.app.tick();
}

export interface AuraApp { emu: ChargeAmpsEmulator; base: string; app: PhaseGuardApp; driver: ChargeAmpsDriver; device: ChargeAmpsDevice }

/** The Charge Amps cloud emulator with a car on Aura connector 1, the app on `homey` and that connector paired. */
export async function startAppWithAura(homey: StandinHomey): Promise<AuraApp> {
  const emu = new ChargeAmpsEmulator();
  const base = await emu.start();
  emu.plugIn(AURA_ID, 1, { phases: 3, maxCurrentA: 16 });
  const app = await startApp(PhaseGuardApp, homey);
  const driver = await startDriver(ChargeAmpsDriver, ChargeAmpsDevice, { homey, id: 'chargeamps' });
  const device = await pairAuraConnector(driver, base);
  return { emu, base, app, driver, device };
}

export interface AuraRig { clock: ManualClock; base: string; device: ChargeAmpsDevice; homey: StandinHomey; app: PhaseGuardApp }

/** One second: the device polls (a fresh reading: the shared client keeps a status for 5 s), the meter reports, the app ticks. */
export async function auraSecond(rig: AuraRig, houseA: Triple): Promise<void> {
  await rig.clock.advance(1000);
  const client = sharedClients.acquire({ baseUrl: rig.base, credentials: CHARGEAMPS_CREDENTIALS, clock: new SystemClock(), transport: nodeFetchTransport });
  client.forgetCached();
  sharedClients.release(client);
  await rig.device.poll();
  await reportHousePlusCar(rig.homey, houseA, rig.device.getLastStatus()?.phases.map((p) => p.currentA ?? 0) ?? [0, 0, 0]);
  await rig.app.tick();
}

/** After a test: the app's and the devices' clocks and the go-e client options as they were, the Homey torn down, the emulators stopped. */
export async function endAppTest(homey: StandinHomey, ...emulators: { stop(): Promise<unknown> }[]): Promise<void> {
  PhaseGuardApp.clockFactory = originalClockFactory;
  ChargerDevice.now = originalDeviceNow;
  GoeDevice.clientOptions = {};
  await teardown(homey);
  for (const emu of emulators) await emu.stop();
}

/**
 * Pair the Charge Amps emulator's Aura connector 1 through the driver's real pair views (API key, login, list),
 * as a user does. `entry` may change the list entry before it is added (a device paired by an older version).
 */
import ChargeAmpsDevice from '../../../drivers/chargeamps/device';
import ChargeAmpsDriver from '../../../drivers/chargeamps/driver';
import { AURA_ID, ChargeAmpsEmulator, EMULATOR_API_KEY, EMULATOR_EMAIL, EMULATOR_PASSWORD, type EmulatorOptions } from '../../../tools/emulators/chargeamps/emulator';
import { createHomey, startDriver, startPairSession, teardown, type StandinHomey } from '../../homey-standin';

/** A Charge Amps emulator on loopback (`prepare` runs before it starts) and the driver on a fresh stand-in Homey. */
export async function startChargeAmpsDriver(
  options: EmulatorOptions = {},
  prepare: (emu: ChargeAmpsEmulator) => void = () => undefined,
): Promise<{ homey: StandinHomey; driver: ChargeAmpsDriver; emu: ChargeAmpsEmulator; base: string }> {
  const emu = new ChargeAmpsEmulator(options);
  prepare(emu);
  const base = await emu.start();
  const homey = createHomey();
  const driver = await startDriver(ChargeAmpsDriver, ChargeAmpsDevice, { homey, id: 'chargeamps' });
  return { homey, driver, emu, base };
}

/** The stand-in's devices and timers, then the emulator. */
export async function stopChargeAmpsDriver(homey: StandinHomey | undefined, emu: ChargeAmpsEmulator | undefined): Promise<void> {
  if (homey) await teardown(homey);
  await emu?.stop();
}

type ListEntry = { data: { id: string }; capabilities: string[] };

export async function pairAuraConnector(driver: object, baseUrl: string, entry: (e: ListEntry) => ListEntry = (e) => e): Promise<ChargeAmpsDevice> {
  const session = startPairSession(driver);
  await session.call('api_key', { apiKey: EMULATOR_API_KEY, baseUrl });
  await session.call('login', { username: EMULATOR_EMAIL, password: EMULATOR_PASSWORD });
  const listed = (await session.call('list_devices')).find((e: ListEntry) => e.data.id === `${AURA_ID}:1`);
  const device = await session.addDevice<ChargeAmpsDevice>(entry(listed));
  await session.close();
  return device;
}

/** Pair every connector of the emulator's account through the pair views, each read once. */
export async function pairAllConnectors(driver: object, baseUrl: string): Promise<ChargeAmpsDevice[]> {
  const session = startPairSession(driver);
  await session.call('api_key', { apiKey: EMULATOR_API_KEY, baseUrl });
  if ((await session.call('login', { username: EMULATOR_EMAIL, password: EMULATOR_PASSWORD })) !== true) throw new Error('the emulator refused its own login');
  const devices: ChargeAmpsDevice[] = [];
  for (const entry of await session.call('list_devices')) devices.push(await session.addDevice<ChargeAmpsDevice>(entry));
  await session.close();
  for (const d of devices) await d.poll();
  return devices;
}

/**
 * Pair the Charge Amps emulator's Aura connector 1 through the driver's real pair views (API key, login, list),
 * as a user does. `entry` may change the list entry before it is added (a device paired by an older version).
 */
import ChargeAmpsDevice from '../../../drivers/chargeamps/device';
import { AURA_ID, EMULATOR_API_KEY, EMULATOR_EMAIL, EMULATOR_PASSWORD } from '../../../tools/emulators/chargeamps/emulator';
import { startPairSession } from '../../homey-standin';

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

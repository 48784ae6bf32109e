import assert from 'assert';
import { ChargeAmpsEmulator, EMULATOR_EMAIL, HALO_ID } from '../../../tools/emulators/chargeamps/emulator';
import type ChargeAmpsDriver from '../../../drivers/chargeamps/driver';
import type ChargeAmpsDevice from '../../../drivers/chargeamps/device';
import { pairAllConnectors, startChargeAmpsDriver, stopChargeAmpsDriver } from './pairing';
import { startRepairSession, type StandinHomey } from '../../homey-standin';

const NEIGHBOUR = { email: 'neighbour@example.com', password: 'neighbour-pass-1' };

describe('drivers/chargeamps repair', () => {
  let homey: StandinHomey;
  let driver: ChargeAmpsDriver;
  let emu: ChargeAmpsEmulator;
  let base: string;

  beforeEach(async () => {
    // a second account, which owns another charge point
    ({ homey, driver, emu, base } = await startChargeAmpsDriver({}, (e) => e.setPassword(NEIGHBOUR.email, NEIGHBOUR.password)));
  });
  afterEach(() => stopChargeAmpsDriver(homey, emu));

  const pairAll = (): Promise<ChargeAmpsDevice[]> => pairAllConnectors(driver, base);

  it('refuses a login whose account does not own the charge point, and moves no connector to it', async () => {
    const devices = await pairAll();
    assert.ok(devices.length > 1 && devices.every((d) => d.getAvailable()));
    const halo = devices.find((d) => d.getStoreValue('chargePointId') === HALO_ID)!;
    const repair = startRepairSession(driver, halo);
    await repair.call('api_key', { apiKey: '' });
    await assert.rejects(repair.call('login', { username: NEIGHBOUR.email, password: NEIGHBOUR.password }), (err: Error) => {
      assert.match(err.message, new RegExp(`does not own charge point ${HALO_ID}\\. Log in with the account this device was added with`));
      assert.ok(!err.message.includes('\n') && !err.message.includes(NEIGHBOUR.password));
      return true;
    });
    assert.ok(!repair.navigation.includes('done'));
    for (const d of devices) await d.poll();
    assert.deepStrictEqual(
      devices.map((d) => [d.getStoreValue('email'), d.getAvailable()]),
      devices.map(() => [EMULATOR_EMAIL, true]),
    );
  });

  it('a new password for the same account, its e-mail typed in other case, reaches every connector of it', async () => {
    const devices = await pairAll();
    const halo = devices.find((d) => d.getStoreValue('chargePointId') === HALO_ID)!;
    emu.setPassword(EMULATOR_EMAIL, 'changed-pass-2');
    const repair = startRepairSession(driver, halo);
    await repair.call('api_key', { apiKey: '' });
    await repair.call('login', { username: ` ${EMULATOR_EMAIL.toUpperCase()} `, password: 'changed-pass-2' });
    assert.ok(repair.navigation.includes('done'));
    assert.deepStrictEqual(
      devices.map((d) => d.getStoreValue('password')),
      devices.map(() => 'changed-pass-2'),
    );
  });
});

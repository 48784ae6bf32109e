import assert from 'assert';
import { AURA_ID, ChargeAmpsEmulator, EMULATOR_API_KEY, EMULATOR_EMAIL, EMULATOR_PASSWORD, HALO_ID } from '../../../tools/emulators/chargeamps/emulator';
import type { ChargePointSpec } from '../../../tools/emulators/chargeamps/emulatorModel';
import { startChargeAmpsDriver, stopChargeAmpsDriver } from './pairing';
import { startPairSession, type StandinHomey } from '../../homey-standin';

const HALO: ChargePointSpec = { id: HALO_ID, name: 'HALO_090652M', model: 'HALO', protocol: 'ocpp', readOnly: true };
const AURA: ChargePointSpec = { id: AURA_ID, name: 'AURA_037142M', model: 'AURA', protocol: 'capi' };

describe('drivers/chargeamps pairing: charge points read-only for the account (ownerReadOnly)', () => {
  let homey: StandinHomey | undefined;
  let emu: ChargeAmpsEmulator | undefined;
  afterEach(async () => {
    await stopChargeAmpsDriver(homey, emu);
    homey = emu = undefined;
  });

  /** The list view after logging in to an emulator with these charge points (rejects as the view would). */
  async function listFor(chargePoints: ChargePointSpec[]): Promise<{ name: string }[]> {
    const started = await startChargeAmpsDriver({ chargePoints });
    ({ homey, emu } = started);
    const { driver, base } = started;
    const session = startPairSession(driver);
    await session.call('api_key', { apiKey: EMULATOR_API_KEY, baseUrl: base });
    await session.call('login', { username: EMULATOR_EMAIL, password: EMULATOR_PASSWORD });
    try {
      return await session.call('list_devices');
    } finally {
      await session.close();
    }
  }

  it('lists only the connectors the app can control', async () => {
    const list = await listFor([HALO, AURA]);
    assert.deepStrictEqual(list.map((e) => e.name), ['AURA_037142M Type 2 (1)', 'AURA_037142M Type 2 (2)']);
  });

  it('when every charge point is read-only, says so by name in one line, with what to do', async () => {
    await assert.rejects(listFor([HALO]), (err: Error) => {
      assert.match(err.message, /^This account may only view HALO_090652M: Charge Amps marks them read-only for it \(an organisation setting\)/);
      assert.match(err.message, /Log in with an account that may control them/);
      assert.ok(!err.message.includes('\n') && !err.message.includes(EMULATOR_PASSWORD));
      return true;
    });
  });
});

import assert from 'assert';
import { ChargeAmpsClient } from '../../../lib/chargeamps/client';
import { SystemClock } from '../../../lib/clock';
import { nodeFetchTransport } from '../../../lib/http';
import { AURA_ID, ChargeAmpsEmulator, EMULATOR_API_KEY, EMULATOR_EMAIL, EMULATOR_PASSWORD } from '../../../tools/emulators/chargeamps/emulator';
import ChargeAmpsDriver from '../../../drivers/chargeamps/driver';
import ChargeAmpsDevice from '../../../drivers/chargeamps/device';
import { pairAuraConnector } from './pairing';
import { createHomey, restartDevice, startDriver, teardown, type StandinHomey } from '../../homey-standin';

describe('drivers/chargeamps resume mode', () => {
  let homey: StandinHomey;
  let emu: ChargeAmpsEmulator;

  afterEach(async () => {
    await teardown(homey);
    await emu.stop();
  });

  it('a connector in Schedule paused before an app restart resumes to Schedule (kept in the device store)', async () => {
    emu = new ChargeAmpsEmulator();
    const baseUrl = await emu.start();
    homey = createHomey();
    const driver = await startDriver(ChargeAmpsDriver, ChargeAmpsDevice, { homey, id: 'chargeamps' });
    const owner = new ChargeAmpsClient({ baseUrl, credentials: { email: EMULATOR_EMAIL, password: EMULATOR_PASSWORD, apiKey: EMULATOR_API_KEY }, clock: new SystemClock(), transport: nodeFetchTransport });
    await owner.updateConnectorSettings(AURA_ID, 1, { mode: 'Schedule' }); // set in the Charge Amps app
    let device = await pairAuraConnector(driver, baseUrl);
    await device.poll();
    await device.getCharger().pause();
    assert.strictEqual(emu.snapshot(AURA_ID, 1).mode, 'Off');
    device = await restartDevice(device);
    await device.poll();
    await device.getCharger().resume();
    assert.strictEqual(emu.snapshot(AURA_ID, 1).mode, 'Schedule');
    assert.strictEqual(device.getStoreValue('modeBeforePause'), null, 'cleared once resumed');
  });
});

import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { sharedClients } from '../../../lib/chargeamps/client';
import { SystemClock } from '../../../lib/clock';
import { nodeFetchTransport } from '../../../lib/http';
import { AURA_ID, ChargeAmpsEmulator, EMULATOR_API_KEY, EMULATOR_EMAIL, EMULATOR_PASSWORD, HALO_ID } from '../../../tools/emulators/chargeamps/emulator';
import ChargeAmpsDriver from '../../../drivers/chargeamps/driver';
import ChargeAmpsDevice from '../../../drivers/chargeamps/device';
import { TARGET_POWER_CAPABILITIES } from '../../../drivers/chargerDevice';
import { pairAllConnectors, pairAuraConnector, startChargeAmpsDriver, stopChargeAmpsDriver } from './pairing';
import { standin, startPairSession, startRepairSession, teardown, userSaveSettings, type StandinHomey } from '../../homey-standin';

describe('drivers/chargeamps', () => {
  let homey: StandinHomey;
  let driver: ChargeAmpsDriver;
  let emu: ChargeAmpsEmulator;
  let base: string;

  beforeEach(async () => {
    ({ homey, driver, emu, base } = await startChargeAmpsDriver());
  });
  afterEach(() => stopChargeAmpsDriver(homey, emu));

  const pairAll = (): Promise<ChargeAmpsDevice[]> => pairAllConnectors(driver, base);
  /** The account's shared client drops its short status cache (the devices run on the real clock). */
  const forgetCached = (): void => {
    const client = sharedClients.acquire({ baseUrl: base, credentials: { email: EMULATOR_EMAIL, password: EMULATOR_PASSWORD, apiKey: EMULATOR_API_KEY }, clock: new SystemClock(), transport: nodeFetchTransport });
    client.forgetCached();
    sharedClients.release(client);
  };
  const byId = (devices: ChargeAmpsDevice[], cp: string, n: number) => devices.find((d) => d.getData().id === `${cp}:${n}`) as ChargeAmpsDevice;

  describe('pairing', () => {
    it('lists one device per connector with its class and capabilities; one login for all of them', async () => {
      const session = startPairSession(driver);
      await session.call('api_key', { apiKey: EMULATOR_API_KEY, baseUrl: base });
      await session.call('login', { username: EMULATOR_EMAIL, password: EMULATOR_PASSWORD });
      const list = await session.call('list_devices');
      assert.deepStrictEqual(
        list.map((e: { name: string; class: string }) => [e.name, e.class]),
        [
          ['HALO_090652M Type 2', 'evcharger'],
          ['HALO_090652M Schuko', 'socket'],
          ['AURA_037142M Type 2 (1)', 'evcharger'],
          ['AURA_037142M Type 2 (2)', 'evcharger'],
        ],
      );
      const [haloType2, schuko, aura] = list;
      assert.ok(!haloType2.capabilities.includes('chargeamps_cable_lock'), 'the Halo cable is fixed');
      assert.ok(aura.capabilities.includes('chargeamps_cable_lock'));
      assert.ok(schuko.capabilities.includes('onoff') && !schuko.capabilities.includes('evcharger_charging'));
      assert.deepStrictEqual(Object.keys(haloType2.settings).sort(), ['account', 'connector']);
      assert.ok(!JSON.stringify(haloType2.settings).includes(EMULATOR_PASSWORD), 'password must not be in settings');
      assert.strictEqual(haloType2.store.password, EMULATOR_PASSWORD);
      const devices: ChargeAmpsDevice[] = [];
      for (const entry of list) devices.push(await session.addDevice<ChargeAmpsDevice>(entry));
      await session.close();
      for (const d of devices) await d.poll();
      assert.strictEqual(byId(devices, HALO_ID, 2).getClass(), 'socket');
      assert.deepStrictEqual(byId(devices, HALO_ID, 2).getEnergy(), {});
      assert.deepStrictEqual(byId(devices, HALO_ID, 1).getEnergy(), { evCharger: true, meterPowerImportedCapability: 'meter_power' });
      assert.ok(devices.every((d) => d.getAvailable()));
      assert.strictEqual(emu.counters.logins, 1, 'pairing and four devices share one session');
      const again = startPairSession(driver);
      await again.call('api_key', { apiKey: EMULATOR_API_KEY, baseUrl: base });
      assert.strictEqual(await again.call('login', { username: EMULATOR_EMAIL, password: EMULATOR_PASSWORD }), true);
      assert.deepStrictEqual(await again.call('list_devices'), [], 'connectors already added are not listed again');
      await again.close();
      assert.strictEqual(emu.counters.logins, 1, 'a second pairing with the same credentials reuses the session');
    });

    it('refuses a missing API key, a malformed address and wrong credentials with a clear message', async () => {
      const session = startPairSession(driver);
      await assert.rejects(session.call('api_key', { apiKey: '  ' }), /Enter the API key/);
      await assert.rejects(session.call('api_key', { apiKey: EMULATOR_API_KEY, baseUrl: 'ftp://x' }), /must start with http/);
      await assert.rejects(session.call('login', { username: EMULATOR_EMAIL, password: EMULATOR_PASSWORD }), /Enter the API key/);
      await session.call('api_key', { apiKey: EMULATOR_API_KEY, baseUrl: base });
      await assert.rejects(session.call('login', { username: 'not-an-email', password: 'x' }), /e-mail address and password/);
      await assert.rejects(session.call('list_devices'), /Log in to your Charge Amps account first/);
      const wrong = 'Wrong-Password-42';
      await assert.rejects(session.call('login', { username: EMULATOR_EMAIL, password: wrong }), (err: Error) => {
        assert.match(err.message, /^Could not log in to Charge Amps: authentication failed/);
        assert.ok(!err.message.includes(wrong));
        return true;
      });
      await session.call('api_key', { apiKey: 'not-the-right-key', baseUrl: base });
      await assert.rejects(session.call('login', { username: EMULATOR_EMAIL, password: EMULATOR_PASSWORD }), /authentication failed/);
      await session.close();
      assert.strictEqual(emu.counters.logins, 0);
      assert.strictEqual(sharedClients.size, 0, 'a failed pairing keeps no session');
      assert.ok(!homey.logText().includes(wrong) && !homey.logText().includes(EMULATOR_API_KEY));
    });
  });

  it('the api_key view is one page in two folders (Homey reads pair and repair views from their own folder)', () => {
    const view = (kind: string): string => fs.readFileSync(path.join(__dirname, '..', '..', '..', 'drivers', 'chargeamps', kind, 'api_key.html'), 'utf8');
    assert.strictEqual(view('repair'), view('pair'), 'edit both copies alike: the page tells pair from repair by its URL');
  });

  describe('device', () => {
    it('a Schuko device that came without its class (older pairing) becomes a socket on init', async () => {
      const session = startPairSession(driver);
      await session.call('api_key', { apiKey: EMULATOR_API_KEY, baseUrl: base });
      await session.call('login', { username: EMULATOR_EMAIL, password: EMULATOR_PASSWORD });
      const entry = (await session.call('list_devices')).find((e: { data: { id: string } }) => e.data.id === `${HALO_ID}:2`);
      const d = await session.addDevice<ChargeAmpsDevice>({ ...entry, class: undefined, energy: undefined });
      await session.close();
      assert.deepStrictEqual([d.getClass(), d.getEnergy()], ['socket', {}]);
    });


    it('polling maps status, measurements and energy onto capabilities', async () => {
      emu.addHistory(AURA_ID, 1, 20, Date.now() - 86_400_000, Date.now() - 80_000_000);
      emu.plugIn(AURA_ID, 1, { phases: 3, maxCurrentA: 16 });
      const devices = await pairAll();
      const d = byId(devices, AURA_ID, 1);
      assert.strictEqual(d.getCapabilityValue('evcharger_charging_state'), 'plugged_in_charging');
      assert.strictEqual(d.getCapabilityValue('evcharger_charging'), true);
      assert.strictEqual(d.getCapabilityValue('measure_power'), 3 * 16 * 230);
      assert.deepStrictEqual([1, 2, 3].map((n) => d.getCapabilityValue(`measure_current.l${n}`)), [16, 16, 16]);
      assert.strictEqual(d.getCapabilityValue('measure_voltage.l2'), 230);
      assert.strictEqual(d.getCapabilityValue('charger_phases'), 3);
      assert.strictEqual(d.getCapabilityValue('charger_current_limit'), 32);
      assert.ok(d.getCapabilityValue('meter_power') >= 20);
      assert.strictEqual(d.getCapabilityValue('chargeamps_connector_status'), 'Charging');
      assert.strictEqual(d.getCapabilityValue('chargeamps_online'), true);
      assert.strictEqual(d.getCapabilityValue('chargeamps_dimmer'), 'Low');
      assert.strictEqual(d.getCapabilityValue('chargeamps_cable_lock'), false);
      const idle = byId(devices, AURA_ID, 2);
      assert.strictEqual(idle.getCapabilityValue('evcharger_charging_state'), 'plugged_out');
      const status = d.getCharger();
      assert.deepStrictEqual([status.id, status.brand, status.latencyClass], [`${AURA_ID}:1`, 'chargeamps', 'cloud']);
    });

    it('flow actions and capability changes reach the charger', async () => {
      const devices = await pairAll();
      const aura = byId(devices, AURA_ID, 2);
      await homey.flow.runAction('chargeamps_set_current_limit', { device: aura, current: 10 });
      assert.strictEqual(emu.snapshot(AURA_ID, 2).maxCurrent, 10);
      await aura.triggerCapabilityListener('charger_current_limit', 12);
      assert.strictEqual(emu.snapshot(AURA_ID, 2).maxCurrent, 12);
      await homey.flow.runAction('chargeamps_set_cable_lock', { device: aura, locked: 'lock' });
      assert.strictEqual(emu.snapshot(AURA_ID, 2).cableLock, true);
      await aura.poll();
      assert.strictEqual(await homey.flow.runCondition('chargeamps_cable_locked', { device: aura }), true);
      await homey.flow.runAction('chargeamps_set_dimmer', { device: aura, dimmer: 'High' });
      assert.strictEqual(emu.snapshot(AURA_ID, 2).dimmer, 'High');
      await homey.flow.runAction('chargeamps_pause', { device: aura });
      assert.strictEqual(emu.snapshot(AURA_ID, 2).mode, 'Off');
      await homey.flow.runAction('chargeamps_resume', { device: aura });
      assert.deepStrictEqual([emu.snapshot(AURA_ID, 2).mode, emu.snapshot(AURA_ID, 2).maxCurrent, emu.snapshot(AURA_ID, 2).cableLock], ['On', 12, true]);
      await assert.rejects(homey.flow.runAction('chargeamps_set_current_limit', { device: aura, current: 4 }), /expected 0 or 6 to 32 A/);
      const schuko = byId(devices, HALO_ID, 2);
      await schuko.triggerCapabilityListener('onoff', false);
      assert.strictEqual(emu.snapshot(HALO_ID, 2).mode, 'Off');
      const manual: unknown[] = [];
      aura.on('manual', (c) => manual.push(c));
      await aura.triggerCapabilityListener('evcharger_charging', false);
      assert.deepStrictEqual(manual, [{ kind: 'pause' }]);
      assert.strictEqual(emu.counters.logins, 1);
    });

    it('target power: the "Set the target power" card sets a Type 2 connector\'s current (no app here: the device writes it); not on the Schuko socket', async () => {
      emu.plugIn(AURA_ID, 1, { phases: 3, maxCurrentA: 32 });
      const devices = await pairAll();
      const aura = byId(devices, AURA_ID, 1);
      assert.strictEqual(aura.getCapabilityValue('target_power_mode'), 'device');
      await homey.flow.runCapabilityAction('target_power_set', { device: aura, target_power: 6900 });
      assert.strictEqual(emu.snapshot(AURA_ID, 1).maxCurrent, 10, '6900 W / 230 V / 3 phases');
      assert.strictEqual(aura.getCapabilityValue('target_power_mode'), 'homey');
      await homey.flow.runCapabilityAction('target_power_set', { device: aura, target_power: 0 });
      assert.strictEqual(emu.snapshot(AURA_ID, 1).mode, 'Off', '0 W stops charging');
      const schuko = byId(devices, HALO_ID, 2);
      assert.ok(!schuko.hasCapability('target_power') && !schuko.hasCapability('target_power_mode'));
      await assert.rejects(homey.flow.runCapabilityAction('target_power_set', { device: schuko, target_power: 1000 }), /is no action card/);
    });

    it('a Type 2 connector paired before target power existed gets its capabilities on init', async () => {
      const d = await pairAuraConnector(driver, base, (e) => ({ ...e, capabilities: e.capabilities.filter((c) => !TARGET_POWER_CAPABILITIES.includes(c)) }));
      for (const id of TARGET_POWER_CAPABILITIES) assert.ok(d.hasCapability(id), id);
      assert.strictEqual(d.getCapabilityValue('target_power_mode'), 'device');
    });

    it('a failed poll makes the device unavailable and the next good one recovers it', async () => {
      const [d] = await pairAll();
      emu.failNext('garbage');
      await d.poll();
      assert.strictEqual(d.getAvailable(), false);
      assert.match(standin(d).unavailableMessage ?? '', /^Charge Amps: .*expected JSON/);
      await homey.fireTimers('timeout');
      await d.poll();
      assert.strictEqual(d.getAvailable(), true);
    });

    it('overload answers only warn and keep the last values', async () => {
      emu.plugIn(HALO_ID, 1);
      const devices = await pairAll();
      const d = byId(devices, HALO_ID, 1);
      forgetCached(); // the shared status is cached for a few seconds
      emu.failNext('429');
      await d.poll();
      assert.strictEqual(d.getAvailable(), true);
      assert.match(standin(d).warning ?? '', /slow down/);
      assert.strictEqual(d.getCapabilityValue('evcharger_charging_state'), 'plugged_in_charging');
    });

    it('reports a charge point going offline and back, with triggers', async () => {
      const devices = await pairAll();
      const d = byId(devices, AURA_ID, 1);
      emu.setOnline(AURA_ID, false);
      forgetCached();
      await d.poll();
      assert.strictEqual(d.getCapabilityValue('chargeamps_online'), false);
      assert.strictEqual(d.getAvailable(), true);
      assert.match(standin(d).warning ?? '', /offline/);
      assert.strictEqual(await homey.flow.runCondition('chargeamps_is_online', { device: d }), false);
      assert.strictEqual(homey.flow.triggersOf('chargeamps_went_offline').length, 1);
      emu.setOnline(AURA_ID, true);
      emu.plugIn(AURA_ID, 1);
      forgetCached();
      await d.poll();
      assert.strictEqual(homey.flow.triggersOf('chargeamps_came_online').length, 1);
      assert.strictEqual(standin(d).warning, null);
      const changes = homey.flow.triggersOf('chargeamps_status_changed').filter((t) => (t.device as unknown) === d);
      assert.deepStrictEqual(changes.map((t) => t.tokens), [{ status: 'Offline', state: 'unknown' }, { status: 'Charging', state: 'charging' }]);
    });

    it('a password changed elsewhere: unavailable, then repair fixes every connector of the account', async () => {
      const devices = await pairAll();
      emu.setPassword(EMULATOR_EMAIL, 'New-Password-2026');
      emu.revokeTokens(EMULATOR_EMAIL, true);
      for (const d of devices) await d.poll();
      assert.ok(devices.every((d) => !d.getAvailable()));
      assert.match(standin(devices[0]).unavailableMessage ?? '', /authentication failed/);
      const failedBefore = emu.counters.failedLogins;
      for (const d of devices) await d.poll();
      assert.strictEqual(emu.counters.failedLogins, failedBefore, 'a refused login is not repeated every poll');
      const repair = startRepairSession(driver, devices[0]);
      await repair.call('api_key', { apiKey: '' });
      await assert.rejects(repair.call('login', { username: EMULATOR_EMAIL, password: 'still-wrong-1' }), /authentication failed/);
      await repair.call('login', { username: EMULATOR_EMAIL, password: 'New-Password-2026' });
      assert.ok(repair.navigation.includes('done'));
      for (const d of devices) await d.poll();
      assert.ok(devices.every((d) => d.getAvailable()));
      assert.ok(devices.every((d) => d.getStoreValue('password') === 'New-Password-2026'));
      assert.ok(!homey.logText().includes('New-Password-2026'));
    });

    it('a repair of an account\'s only connector keeps the charger the app drives, working with the new password', async () => {
      const device = await pairAuraConnector(driver, base);
      const charger = device.getCharger();
      emu.setPassword(EMULATOR_EMAIL, 'New-Password-2026');
      emu.revokeTokens(EMULATOR_EMAIL, true);
      await device.poll();
      assert.strictEqual(device.getAvailable(), false);
      const repair = startRepairSession(driver, device);
      await repair.call('api_key', { apiKey: '' });
      await repair.call('login', { username: EMULATOR_EMAIL, password: 'New-Password-2026' });
      assert.strictEqual(device.getAvailable(), true);
      assert.strictEqual(device.getCharger(), charger, 'the same charger (and session) carries on');
      await charger.setCurrentLimit(10);
      assert.strictEqual(emu.snapshot(AURA_ID, 1).maxCurrent, 10);
      assert.strictEqual(sharedClients.size, 1);
    });

    it('keeps one poll timer per device across a new poll interval; deleting devices ends the shared session', async () => {
      const devices = await pairAll();
      await assert.rejects(userSaveSettings(devices[0], { poll_interval_s: 5 }), /at least 15/);
      await userSaveSettings(devices[0], { poll_interval_s: 60 });
      assert.strictEqual(homey.activeTimerCount('timeout'), devices.length);
      assert.strictEqual(sharedClients.size, 1);
      await teardown(homey);
      assert.strictEqual(sharedClients.size, 0);
    });
  });
});

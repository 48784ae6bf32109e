/**
 * The device flow cards about the current limit, through the Homey stand-in against the emulators (no app here:
 * what the balancer tells a device is handed in as lib/app/chargerRegistry.ts does; the whole chain with the real
 * controller is in test/app.deviceCards.test.ts):
 * - `<brand>_current_limit_changed` (limit, by: user / charger / balancer), once per change, never per poll;
 * - `<brand>_balancer_limited` (limit, 0 when paused; reason) from the balancer's cuts and pauses;
 * - the settable current: `charger_current_limit` is setable (other apps set it through Homey's Web API, which runs
 *   the capability listener), a flow action sets it, and the limit the charger reports is written back to it.
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { ChargeAmpsConnectorCharger } from '../../lib/chargeamps/charger';
import { ChargeAmpsClient, sharedClients } from '../../lib/chargeamps/client';
import { ManualClock, SystemClock } from '../../lib/clock';
import { nodeFetchTransport } from '../../lib/http';
import { AURA_ID, ChargeAmpsEmulator, EMULATOR_API_KEY, EMULATOR_EMAIL, EMULATOR_PASSWORD } from '../../tools/emulators/chargeamps/emulator';
import { GoeEmulator } from '../../tools/emulators/goe/emulator';
import ChargeAmpsDevice from '../../drivers/chargeamps/device';
import ChargeAmpsDriver from '../../drivers/chargeamps/driver';
import { ChargerDevice } from '../../drivers/chargerDevice';
import GoeDevice from '../../drivers/goe/device';
import GoeDriver from '../../drivers/goe/driver';
import { pairAuraConnector } from './chargeamps/pairing';
import { addDevice, createHomey, startDriver, teardown, type StandinHomey } from '../homey-standin';

const root = path.join(__dirname, '..', '..');
const json = (file: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(root, file), 'utf8'));
const credentials = { email: EMULATOR_EMAIL, password: EMULATOR_PASSWORD, apiKey: EMULATOR_API_KEY };

describe('device flow cards: the current limit', () => {
  let homey: StandinHomey;
  const originalNow = ChargerDevice.now;

  beforeEach(() => {
    homey = createHomey();
  });
  afterEach(async () => {
    ChargerDevice.now = originalNow;
    await teardown(homey);
  });

  /** The tokens of a device trigger, for one device. */
  const fired = (id: string, device: object): unknown[] => homey.flow.triggersOf(id).filter((t) => (t.device as unknown) === device).map((t) => t.tokens);

  it('charger_current_limit is setable by other apps and each driver has a flow action for it', () => {
    const capability = json('.homeycompose/capabilities/charger_current_limit.json');
    assert.strictEqual(capability.setable, true);
    assert.strictEqual(capability.getable, true);
    for (const brand of ['goe', 'chargeamps']) {
      const flow = json(`drivers/${brand}/driver.flow.compose.json`) as Record<string, { id: string }[]>;
      assert.ok(flow.actions.some((c) => c.id === `${brand}_set_current_limit`));
      const triggers = flow.triggers.map((c) => c.id);
      assert.ok(triggers.includes(`${brand}_current_limit_changed`) && triggers.includes(`${brand}_balancer_limited`));
      assert.ok((json(`drivers/${brand}/driver.compose.json`).capabilities as string[]).includes('charger_current_limit'));
    }
  });

  describe('go-e', () => {
    let emu: GoeEmulator;
    let driver: GoeDriver;

    before(() => {
      GoeDevice.clientOptions = { minGapMs: 0 };
    });
    after(() => {
      GoeDevice.clientOptions = {};
    });
    beforeEach(async () => {
      driver = await startDriver(GoeDriver, GoeDevice, { homey, id: 'goe' });
    });
    afterEach(async () => {
      await teardown(homey);
      await emu.stop();
    });

    async function paired(profile: 'v2-055' | 'v1-042'): Promise<GoeDevice> {
      emu = new GoeEmulator({ clock: new ManualClock(), startDelayMs: 0, profile });
      await emu.start();
      const device = await addDevice<GoeDevice>(driver, {
        name: 'Garage', data: { id: emu.serial }, store: { serial: emu.serial }, settings: { host: emu.url, api: 'auto' },
      });
      await device.poll();
      return device;
    }

    it('by user (flow action, another app setting the capability), by charger (the go-e app); read back; once per change', async () => {
      const device = await paired('v2-055');
      assert.strictEqual(device.getCapabilityValue('charger_current_limit'), 16);
      await homey.flow.runAction('goe_set_current_limit', { device, current: 10 });
      await device.triggerCapabilityListener('charger_current_limit', 12); // what another app does through the Web API
      await homey.flow.runAction('goe_set_current_limit', { device, current: 12 }); // no change
      for (let i = 0; i < 3; i++) await device.poll();
      assert.strictEqual(emu.ampPersisted, 12);
      const answer = await fetch(`${emu.url}/api/set?amp=8`); // the go-e app changes it
      assert.strictEqual(answer.status, 200);
      for (let i = 0; i < 3; i++) await device.poll();
      assert.strictEqual(device.getCapabilityValue('charger_current_limit'), 8, 'the reported limit is read back');
      assert.deepStrictEqual(fired('goe_current_limit_changed', device), [
        { limit: 10, by: 'user' },
        { limit: 12, by: 'user' },
        { limit: 8, by: 'charger' },
      ]);
      await assert.rejects(homey.flow.runAction('goe_set_current_limit', { device, current: 40 }));
      assert.strictEqual(fired('goe_current_limit_changed', device).length, 3, 'a refused command changes nothing');
    });

    it('a reboot that drops the limit set by the app (API v1 amx) is the charger\'s change', async () => {
      const device = await paired('v1-042');
      await device.triggerCapabilityListener('charger_current_limit', 10);
      assert.strictEqual(emu.ampVolatile, 10);
      await device.poll();
      emu.reboot();
      await device.poll();
      await device.poll();
      assert.strictEqual(device.getCapabilityValue('charger_current_limit'), 16);
      assert.deepStrictEqual(fired('goe_current_limit_changed', device), [{ limit: 10, by: 'user' }, { limit: 16, by: 'charger' }]);
    });

    it('what the balancer told it (the registry hands it on): by balancer; its cuts and pauses: balancer_limited', async () => {
      const device = await paired('v2-055');
      const inFlight = device.poll(); // a reading that started before the write cannot show it
      await device.getCharger().setCurrentLimit(10); // as the actuator writes
      device.balancerApplied({ limitA: 10, paused: null });
      await inFlight;
      await device.poll();
      await device.poll();
      device.balancerApplied({ limitA: 10, paused: true }); // a pause leaves the limit
      device.balancerEvent({ type: 'reduced', timeMs: 0, chargerId: emu.serial, fromA: 16, toA: 10, phase: 'L2', reason: 'L2 at 24.6 A of 25 A' });
      device.balancerEvent({ type: 'restored', timeMs: 0, chargerId: emu.serial, fromA: 10, toA: 14, reason: 'room on every phase' });
      device.balancerEvent({ type: 'paused', timeMs: 0, chargerId: emu.serial, fromA: 10, toA: 0, phase: 'L2', reason: 'less than 6 A left on L2' });
      await homey.flow.runAction('goe_pause', { device }); // only when someone awaits the triggers
      assert.deepStrictEqual(fired('goe_current_limit_changed', device), [{ limit: 10, by: 'balancer' }]);
      assert.deepStrictEqual(fired('goe_balancer_limited', device), [
        { limit: 10, reason: 'L2 at 24.6 A of 25 A' },
        { limit: 0, reason: 'less than 6 A left on L2' },
      ]);
    });
  });

  describe('Charge Amps', () => {
    let emu: ChargeAmpsEmulator;
    let base: string;
    let driver: ChargeAmpsDriver;

    beforeEach(async () => {
      emu = new ChargeAmpsEmulator();
      base = await emu.start();
      driver = await startDriver(ChargeAmpsDriver, ChargeAmpsDevice, { homey, id: 'chargeamps' });
    });
    afterEach(async () => {
      await teardown(homey);
      await emu.stop();
    });

    async function aura(): Promise<ChargeAmpsDevice> {
      const device = await pairAuraConnector(driver, base);
      await device.poll();
      return device;
    }
    /** A fresh reading (the account's shared client keeps a charge point's status for a few seconds). */
    async function poll(device: ChargeAmpsDevice): Promise<void> {
      const client = sharedClients.acquire({ baseUrl: base, credentials, clock: new SystemClock(), transport: nodeFetchTransport });
      client.forgetCached();
      sharedClients.release(client);
      await device.poll();
    }

    it('by user, by charger (the Charge Amps app, another session), by balancer; read back; once per change', async () => {
      const device = await aura();
      assert.strictEqual(device.getCapabilityValue('charger_current_limit'), 32);
      await homey.flow.runAction('chargeamps_set_current_limit', { device, current: 10 });
      await device.triggerCapabilityListener('charger_current_limit', 12);
      for (let i = 0; i < 3; i++) await poll(device);
      const phoneApp = new ChargeAmpsClient({ baseUrl: base, credentials, clock: new SystemClock(), transport: nodeFetchTransport });
      await new ChargeAmpsConnectorCharger({ client: phoneApp, chargePointId: AURA_ID, connectorId: 1 }).setCurrentLimit(8);
      for (let i = 0; i < 3; i++) await poll(device);
      assert.strictEqual(device.getCapabilityValue('charger_current_limit'), 8, 'the reported limit is read back');
      await device.getCharger().setCurrentLimit(6);
      device.balancerApplied({ limitA: 6, paused: null });
      for (let i = 0; i < 3; i++) await poll(device);
      device.balancerEvent({ type: 'reduced', timeMs: 0, chargerId: `${AURA_ID}:1`, fromA: 8, toA: 6, phase: 'L1', reason: 'L1 at 24.9 A of 25 A' });
      await homey.flow.runAction('chargeamps_resume', { device });
      assert.deepStrictEqual(fired('chargeamps_current_limit_changed', device), [
        { limit: 10, by: 'user' },
        { limit: 12, by: 'user' },
        { limit: 8, by: 'charger' },
        { limit: 6, by: 'balancer' },
      ]);
      assert.deepStrictEqual(fired('chargeamps_balancer_limited', device), [{ limit: 6, reason: 'L1 at 24.9 A of 25 A' }]);
    });

    it('the cloud may still show the old limit after a command: that is no change by the charger', async () => {
      let nowMs = Date.UTC(2025, 5, 1, 12);
      ChargerDevice.now = () => nowMs;
      const device = await aura();
      await homey.flow.runAction('chargeamps_set_current_limit', { device, current: 10 });
      // the cloud answers with the connector's old settings for a while (the phone app set them back meanwhile)
      const phoneApp = new ChargeAmpsClient({ baseUrl: base, credentials, clock: new SystemClock(), transport: nodeFetchTransport });
      await new ChargeAmpsConnectorCharger({ client: phoneApp, chargePointId: AURA_ID, connectorId: 1 }).setCurrentLimit(32);
      nowMs += 30_000;
      await poll(device);
      assert.deepStrictEqual(fired('chargeamps_current_limit_changed', device), [{ limit: 10, by: 'user' }]);
      nowMs += 60_000;
      await poll(device);
      await poll(device);
      assert.deepStrictEqual(fired('chargeamps_current_limit_changed', device), [{ limit: 10, by: 'user' }, { limit: 32, by: 'charger' }]);
    });
  });
});

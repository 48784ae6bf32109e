import assert from 'assert';
import fs from 'fs';
import path from 'path';
import Homey from 'homey';
import {
  createHomey, deleteDevice, renameDevice, restartDevice, standin, startApp, teardown, userSaveSettings,
} from './homey-standin';
import { useStandinApp } from './homey-standin/standinApp';

// More of the stand-in's own tests: test/homey-standin/managers.test.ts (settings, flow, insights, timers, i18n, logs,
// api) and test/homey-standin/discoveryPairing.test.ts (discovery, pairing).
describe('homey stand-in', () => {
  const setup = useStandinApp();

  describe('module shape', () => {
    it('works as default import and via require', () => {
      const req = require('homey');
      assert.strictEqual(req.Device, Homey.Device);
      assert.strictEqual(req.default.App, Homey.App);
      assert.strictEqual(typeof Homey.SimpleClass, 'function');
    });
  });

  describe('device capabilities', () => {
    it('starts devices with the manifest capabilities, class and setting defaults, onInit before onAdded', async () => {
      const { device } = await setup();
      assert.deepStrictEqual(device.events, ['init', 'added']);
      assert.ok(device.hasCapability('evcharger_charging_state'));
      assert.strictEqual(device.getClass(), 'evcharger');
      assert.deepStrictEqual(device.getSettings(), { address: '192.168.1.2', interval: 10 });
      assert.strictEqual(device.getCapabilityValue('measure_power'), null);
    });

    it('rejects unknown capabilities and capabilities the device lacks', async () => {
      const { device } = await setup();
      await assert.rejects(device.addCapability('measure_flux'), /Invalid Capability: measure_flux/);
      await assert.rejects(device.setCapabilityValue('measure_flux', 1), /Invalid Capability/);
      await assert.rejects(device.setCapabilityValue('measure_temperature', 20), /does not have it/);
      assert.throws(() => device.getCapabilityValue('measure_temperature'), /does not have it/);
      await device.addCapability('measure_power.phase1');
      await device.setCapabilityValue('measure_power.phase1', 1200);
      assert.strictEqual(device.getCapabilityValue('measure_power.phase1'), 1200);
    });

    it('type-checks values: numbers, booleans, enum values from the definition, null allowed', async () => {
      const { device } = await setup();
      await assert.rejects(device.setCapabilityValue('measure_power', '1200'), /expected a finite number/);
      await assert.rejects(device.setCapabilityValue('measure_power', Number.NaN), /finite number/);
      await assert.rejects(device.setCapabilityValue('onoff', 1), /expected a boolean/);
      await assert.rejects(device.setCapabilityValue('evcharger_charging_state', 'charging'), /one of .*plugged_in_charging/);
      await device.setCapabilityValue('evcharger_charging_state', 'plugged_in_charging');
      await device.setCapabilityValue('measure_power', null);
      assert.strictEqual(device.getCapabilityValue('evcharger_charging_state'), 'plugged_in_charging');
      assert.strictEqual(device.getCapabilityValue('measure_power'), null);
      // custom capability from .homeycompose/capabilities
      await device.setCapabilityValue('charger_phases', 3);
      await assert.rejects(device.setCapabilityValue('charger_phases', true), /charger_phases/);
    });

    it('runs capability listeners for user changes, stores the value only when the listener succeeds', async () => {
      const { device } = await setup();
      await device.triggerCapabilityListener('onoff', true);
      assert.strictEqual(device.getCapabilityValue('onoff'), true);
      await device.setSettings({ address: 'broken' });
      await assert.rejects(device.triggerCapabilityListener('onoff', false), /Charger unreachable/);
      assert.strictEqual(device.getCapabilityValue('onoff'), true);
      await assert.rejects(device.triggerCapabilityListener('charger_phases', 1), /not setable/);
      await assert.rejects(device.triggerCapabilityListener('target_temperature', 20), /Missing Capability Listener/);
    });

    it('groups multiple-capability listeners', async () => {
      const { device } = await setup();
      const calls: unknown[] = [];
      device.registerMultipleCapabilityListener(['onoff', 'target_temperature'], async (values) => {
        calls.push(values);
      });
      await standin(device).triggerCapabilityListeners({ onoff: false, target_temperature: 21 });
      assert.deepStrictEqual(calls, [{ onoff: false, target_temperature: 21 }]);
    });
  });

  describe('device settings, store, availability', () => {
    it('keeps old settings when onSettings rejects, passes changed keys when it accepts', async () => {
      const { device } = await setup();
      await assert.rejects(userSaveSettings(device, { interval: 2 }), /at least 5 s/);
      assert.strictEqual(device.getSetting('interval'), 10);
      await userSaveSettings(device, { interval: 30, address: '192.168.1.2' });
      assert.strictEqual(device.getSetting('interval'), 30);
      assert.ok(device.events.includes('settings:interval'));
      await assert.rejects(userSaveSettings(device, { nope: 1 }), /not declared/);
      await assert.rejects(userSaveSettings(device, { interval: '30' }), /"interval": expected a number/);
      await assert.rejects(userSaveSettings(device, { interval: 500 }), /at most 300/);
    });

    it('stores JSON values and records availability and warnings', async () => {
      const { device } = await setup();
      await device.setStoreValue('token', { a: 1 });
      const got = device.getStoreValue('token');
      got.a = 2;
      assert.deepStrictEqual(device.getStoreValue('token'), { a: 1 });
      await device.unsetStoreValue('token');
      assert.strictEqual(device.getStoreValue('token'), null);
      await device.setUnavailable('Charger offline');
      assert.strictEqual(device.getAvailable(), false);
      assert.strictEqual(standin(device).unavailableMessage, 'Charger offline');
      await device.setAvailable();
      assert.strictEqual(standin(device).unavailableMessage, null);
      await assert.rejects(device.setUnavailable(new Error('x') as any), /must be a string/);
      await device.setWarning('Meter stale');
      assert.strictEqual(standin(device).warning, 'Meter stale');
    });

    it('deletes: onDeleted then onUninit, later writes reject; rename calls onRenamed', async () => {
      const { driver, device } = await setup();
      await renameDevice(device, 'Carport');
      assert.strictEqual(device.getName(), 'Carport');
      await deleteDevice(device);
      assert.deepStrictEqual(device.events.slice(-2), ['deleted', 'uninit']);
      assert.deepStrictEqual(driver.getDevices(), []);
      assert.throws(() => driver.getDevice({ id: 'g1' }), /Could not get device/);
      await assert.rejects(device.setCapabilityValue('onoff', true), /deleted/);
    });
  });

  it('restarts a device with its persisted state: onUninit, new instance, onInit only', async () => {
    const { driver, device } = await setup();
    await device.setStoreValue('token', 'abc');
    await device.setCapabilityValue('measure_power', 1500);
    const fresh = await restartDevice(device);
    assert.notStrictEqual(fresh, device);
    assert.deepStrictEqual(device.events, ['init', 'added', 'uninit']);
    assert.deepStrictEqual(fresh.events, ['init']);
    assert.strictEqual(fresh.getStoreValue('token'), 'abc');
    assert.strictEqual(fresh.getCapabilityValue('measure_power'), 1500);
    assert.strictEqual(driver.getDevice({ id: 'g1' }) as unknown, fresh);
    await assert.rejects(device.setCapabilityValue('measure_power', 1), /destroyed/);
  });

  describe('the real app folder', () => {
    it('parses every declared flow card and driver capability and starts app.ts', async () => {
      const real = createHomey();
      try {
        const cards = real.appManifest.flowCards();
        for (const { id, ...def } of cards.values()) {
          if (def.type === 'trigger') {
            const card = def.args.some((a) => a.type === 'device') ? real.flow.getDeviceTriggerCard(id) : real.flow.getTriggerCard(id);
            assert.strictEqual(card.id, id);
          } else if (def.type === 'condition') real.flow.getConditionCard(id);
          else real.flow.getActionCard(id);
        }
        for (const id of fs.readdirSync(path.join(real.dir, 'drivers'))) {
          const caps = (real.appManifest.driver(id)?.capabilities as string[] | undefined) ?? [];
          for (const cap of caps) assert.ok(real.appManifest.capability(cap), `driver ${id}: unknown capability ${cap}`);
        }
        const AppClass = require('../app');
        await startApp(AppClass, real);
        assert.ok(real.logs.length > 0, 'the app logs its start');
      } finally {
        await teardown(real);
      }
    });
  });
});

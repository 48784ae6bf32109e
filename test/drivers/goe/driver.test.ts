import assert from 'assert';
import GoeDevice from '../../../drivers/goe/device';
import { standin, startPairSession, startRepairSession, userSaveSettings } from '../../homey-standin';
import { goeDriverRig } from './rig';

describe('drivers/goe', () => {
  const rig = goeDriverRig();
  const { emulator, paired, advance } = rig;

  describe('pairing', () => {
    it('lists discovered chargers (both mDNS services, no duplicates, not the ones already added) and adds one', async () => {
      const emu = await emulator();
      const [host, port] = emu.url.replace('http://', '').split(':');
      // announced on the network: the same charger under both services, and devices that are no go-e
      rig.homey.discovery.announceMdns({
        service: '_http._tcp', name: `go-echarger_${emu.serial}`, address: host, port: Number(port),
        txt: { manufacturer: 'go-e', serial: emu.serial, protocol: '2', friendly_name: 'Carport' },
      });
      rig.homey.discovery.announceMdns({ service: '_go-e_go-eCharger._tcp', name: `go-echarger_${emu.serial}`, address: host, port: Number(port) });
      rig.homey.discovery.announceMdns({ service: '_http._tcp', name: 'printer', address: '192.168.1.9', txt: { manufacturer: 'ACME', serial: 'p1' } });
      rig.homey.discovery.announceMdns({ service: '_hwenergy._tcp', name: 'p1meter-aabbcc', address: '192.168.1.20', txt: { product_type: 'HWE-P1', serial: '3c39e7aabbcc' } });
      const session = startPairSession(rig.driver);
      const list = await session.call('list_devices');
      assert.deepStrictEqual(list.map((d: { name: string }) => d.name), ['Carport']);
      const device = await session.addDevice<GoeDevice>(list[0]);
      assert.strictEqual(device.getSetting('api'), 'v2');
      await device.poll();
      assert.strictEqual(device.getAvailable(), true);
      assert.strictEqual(device.getCapabilityValue('goe_firmware'), emu.spec.fwv);
      assert.deepStrictEqual(await startPairSession(rig.driver).call('list_devices'), []);
    });

    it('with no charger announced on the network the list is empty', async () => {
      assert.deepStrictEqual(await startPairSession(rig.driver).call('list_devices'), []);
    });

    it('manual host: probes the charger, shows clear errors, refuses a charger already added', async () => {
      const emu = await emulator({ profile: 'v1-042' });
      const session = startPairSession(rig.driver);
      const entry = await session.call('probe_host', { host: emu.url, api: 'auto' });
      assert.deepStrictEqual(entry.data, { id: emu.serial });
      assert.deepStrictEqual(entry.settings, { host: emu.url, api: 'auto' });
      await session.addDevice(entry);
      await assert.rejects(session.call('probe_host', { host: emu.url }), /already added/);
      await assert.rejects(session.call('probe_host', { host: '  ' }), /^Error: host: is empty/);
      const port = emu.url.split(':').pop();
      await emu.stop();
      await assert.rejects(session.call('probe_host', { host: `127.0.0.1:${port}` }), /Could not connect to the charger: .*cannot connect \(ECONNREFUSED\)/);
    });

    it('cloud: serial + token, stored in the device store, never in an error', async () => {
      const token = 'pairing-secret-token-1';
      const emu = await emulator({ cloudToken: token });
      const session = startPairSession(rig.driver);
      const wrong = await session.call('probe_cloud', { serial: emu.serial, token: 'wrong-token-abcdef', baseUrl: emu.url }).catch((e: Error) => e);
      assert.match(String(wrong), /token was rejected/);
      assert.ok(!String(wrong).includes('wrong-token-abcdef'));
      const entry = await session.call('probe_cloud', { serial: emu.serial, token, baseUrl: emu.url });
      assert.strictEqual(entry.settings.api, 'cloud');
      assert.strictEqual(entry.store.token, token);
      const device = await session.addDevice<GoeDevice>(entry);
      await device.poll();
      assert.strictEqual(device.getCharger().latencyClass, 'cloud');
      assert.strictEqual(device.getAvailable(), true);
      assert.ok(!rig.homey.logText().includes(token));
    });
  });

  describe('device', () => {
    it('polling maps the charger onto capabilities and fires car connected / charging finished / disconnected', async () => {
      const emu = await emulator({ profile: 'v2-055' });
      const device = await paired(emu);
      const statuses: unknown[] = [];
      device.on('status', (s) => statuses.push(s));
      assert.strictEqual(device.getCapabilityValue('evcharger_charging_state'), 'plugged_out');
      emu.plugIn({ maxCurrentA: 16, phases: 3, needWh: 5000 });
      await device.poll();
      assert.strictEqual(rig.homey.flow.triggersOf('goe_car_connected').length, 1);
      await advance(emu, 60_000);
      await device.poll();
      const state = device.getState();
      assert.strictEqual(state.evcharger_charging_state, 'plugged_in_charging');
      assert.strictEqual(state['measure_current.l1'], 16);
      assert.strictEqual(state['measure_voltage.l2'], 230);
      assert.strictEqual(state['measure_power.l3'], 3680);
      assert.strictEqual(state.measure_power, 11040);
      assert.strictEqual(state.charger_phases, 3);
      assert.strictEqual(state.goe_car_state, 'charging');
      assert.strictEqual(state.goe_pwm_signal, 16);
      assert.strictEqual(state.goe_cable_coding, 32);
      assert.strictEqual(state.goe_supply_phases, 3);
      assert.strictEqual(state.alarm_generic, false);
      assert.ok(Math.abs((state['meter_power.session'] as number) - 11.04 / 60) < 0.001); // kWh after one minute
      await advance(emu, 3_600_000);
      await device.poll();
      assert.strictEqual(device.getCapabilityValue('evcharger_charging_state'), 'plugged_in');
      assert.deepStrictEqual(rig.homey.flow.triggersOf('goe_charging_finished').map((t) => t.tokens), [{ session_energy: 5 }]);
      emu.unplug();
      await device.poll();
      assert.deepStrictEqual(rig.homey.flow.triggersOf('goe_car_disconnected').map((t) => t.tokens), [{ session_energy: 5 }]);
      assert.strictEqual(statuses.length, 4);
      assert.strictEqual(device.getCharger().id, emu.serial);
    });

    it('reports a charger error as alarm, text and trigger', async () => {
      const emu = await emulator({ profile: 'v2-060' });
      const device = await paired(emu);
      emu.setError(13);
      await device.poll();
      assert.strictEqual(device.getCapabilityValue('alarm_generic'), true);
      assert.match(device.getCapabilityValue('charger_error'), /Lock stuck locked \(13\)/);
      assert.strictEqual(rig.homey.flow.triggersOf('goe_error')[0].tokens.error, device.getCapabilityValue('charger_error'));
    });

    it('flow actions and conditions reach the charger; bad arguments fail with a readable message', async () => {
      const emu = await emulator({ profile: 'v2-055', amaA: 16 });
      const device = await paired(emu);
      const manual: unknown[] = [];
      device.on('manual', (m) => manual.push(m));
      await rig.homey.flow.runAction('goe_set_current_limit', { device, current: 10 });
      assert.strictEqual(emu.ampPersisted, 10);
      assert.strictEqual(device.getCapabilityValue('charger_current_limit'), 10);
      await assert.rejects(rig.homey.flow.runAction('goe_set_current_limit', { device, current: 20 }), /current: 20 A is above 16 A allowed by the charger maximum/);
      await rig.homey.flow.runAction('goe_pause', { device });
      assert.strictEqual(emu.frc, 1);
      await rig.homey.flow.runAction('goe_resume', { device });
      assert.strictEqual(emu.frc, 0);
      await rig.homey.flow.runAction('goe_set_phase_mode', { device, mode: '1' });
      assert.strictEqual(emu.psm, 1);
      await rig.homey.flow.runAction('goe_set_session_energy_limit', { device, energy: 7.5 });
      assert.strictEqual(emu.dwoWh, 7500);
      await rig.homey.flow.runAction('goe_push_pv_data', { device, grid: -800, pv: 2500, battery: 0 });
      assert.strictEqual(emu.v2Status().pgrid, -800);
      assert.deepStrictEqual(manual, [{ kind: 'current', currentA: 10 }, { kind: 'pause' }, { kind: 'resume' }]);
      assert.strictEqual(await rig.homey.flow.runCondition('goe_car_connected', { device }), false);
      emu.plugIn();
      await device.poll();
      assert.strictEqual(await rig.homey.flow.runCondition('goe_car_connected', { device }), true);
      assert.strictEqual(await rig.homey.flow.runCondition('goe_charging_allowed', { device }), true);
    });

    it('capability listeners: current limit, charging toggle, session energy limit (v1 charger)', async () => {
      const emu = await emulator({ profile: 'v1-042' });
      const device = await paired(emu);
      await device.triggerCapabilityListener('charger_current_limit', 12);
      assert.strictEqual(emu.ampVolatile, 12);
      await device.triggerCapabilityListener('evcharger_charging', false);
      assert.strictEqual(emu.alwSetting, 0);
      await device.triggerCapabilityListener('goe_allow_charging', true);
      assert.strictEqual(emu.alwSetting, 1);
      await device.triggerCapabilityListener('goe_session_energy_limit', 10);
      assert.strictEqual(emu.dwoWh, 10_000);
      assert.strictEqual(emu.stp, 2);
      await assert.rejects(device.triggerCapabilityListener('charger_current_limit', 4), /outside 6–32 A/);
    });

    it('goes unavailable with a readable message when the charger fails, and recovers', async () => {
      const emu = await emulator({ profile: 'v2-055' });
      const device = await paired(emu);
      emu.faults.http500 = true;
      await device.poll();
      assert.strictEqual(device.getAvailable(), false);
      assert.match(standin(device).unavailableMessage ?? '', /^The go-e charger does not answer: .*HTTP 500 "couldn't take api lock/);
      emu.faults.http500 = false;
      emu.faults.garbage = true;
      await device.poll();
      assert.match(standin(device).unavailableMessage ?? '', /does not answer like a go-e charger|expected JSON/);
      emu.faults.garbage = false;
      await device.poll();
      assert.strictEqual(device.getAvailable(), true);
    });

    it('validates settings with clear messages and uses new ones at once', async () => {
      const emu = await emulator({ profile: 'v2-055' });
      const device = await paired(emu);
      await assert.rejects(userSaveSettings(device, { host: '' }), (err: Error) => /^Host: is empty/.test(err.message) && !/host:/i.test(err.message.slice(5)));
      await assert.rejects(userSaveSettings(device, { poll_active_s: 60, poll_idle_s: 30 }), /Polling:/);
      await assert.rejects(userSaveSettings(device, { api: 'cloud' }), /no API token is stored/);
      await userSaveSettings(device, { force_16a: true });
      assert.strictEqual(device.getCharger().maxCurrentA, 16);
      await assert.rejects(device.triggerCapabilityListener('charger_current_limit', 20), /installation maximum of 16 A/);
      const charger = device.getCharger();
      const other = await emulator({ profile: 'v1-020', serial: emu.serial });
      await userSaveSettings(device, { host: other.url });
      assert.strictEqual(device.getCharger(), charger, 'the app keeps one Charger object per device');
      assert.strictEqual((await charger.getStatus()).firmware, other.spec.fwv);
      await device.poll();
      assert.strictEqual(device.getCapabilityValue('goe_firmware'), other.spec.fwv);
    });

    it('repair changes the host, or switches to the cloud; refuses a different charger', async () => {
      const emu = await emulator({ profile: 'v2-055' });
      const device = await paired(emu);
      const moved = await emulator({ profile: 'v2-055', serial: emu.serial, cloudToken: 'repair-token-123' });
      const session = startRepairSession(rig.driver, device);
      assert.deepStrictEqual(await session.call('current'), { host: emu.url, api: 'auto', serial: emu.serial });
      const stranger = await emulator({ serial: '999999' });
      await assert.rejects(session.call('repair', { host: stranger.url }), /different charger \(serial 999999\)/);
      await session.call('repair', { token: 'repair-token-123', baseUrl: moved.url });
      assert.strictEqual(device.getSetting('api'), 'cloud');
      assert.strictEqual(device.getStoreValue('token'), 'repair-token-123');
      assert.strictEqual(device.getCharger().latencyClass, 'cloud');
      const local = await emulator({ profile: 'v1-042', serial: emu.serial });
      await session.call('repair', { host: local.url, api: 'v1' });
      assert.strictEqual(device.getSetting('host'), local.url);
      assert.ok(!device.getStoreValue('token'));
      assert.strictEqual(device.getCharger().latencyClass, 'local');
      await device.poll();
      assert.strictEqual(device.getCapabilityValue('goe_firmware'), local.spec.fwv);
    });
  });
});

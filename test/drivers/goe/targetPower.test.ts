/**
 * The go-e device's target power without the app (nobody balances the charger, so the device writes the target's
 * current itself), the capabilities as homey-lib defines them, and devices paired before target power existed.
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { BELOW_TARGET_CAPABILITY, TARGET_POWER_CAPABILITIES } from '../../../drivers/chargerDevice';
import { standin } from '../../homey-standin';
import { goeDriverRig } from './rig';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const readJson = (file: string): Record<string, any> => JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8'));

describe('drivers/goe: target power', () => {
  const rig = goeDriverRig();
  const manifest = readJson('drivers/goe/driver.compose.json') as { capabilities: string[]; capabilitiesOptions: Record<string, any> };

  it('declares homey-lib\'s target_power and target_power_mode, with the compatibility they need', () => {
    for (const id of TARGET_POWER_CAPABILITIES) assert.ok(manifest.capabilities.includes(id), id);
    const lib = readJson('node_modules/homey-lib/assets/capability/capabilities/target_power.json');
    const app = readJson('.homeycompose/app.json');
    assert.strictEqual(app.compatibility, `>=${lib.minCompatibility}`);
    assert.deepStrictEqual(manifest.capabilitiesOptions.target_power, { min: 0, max: 22080, step: 230, excludeMin: 0, excludeMax: 1380 });
    assert.ok(manifest.capabilitiesOptions[BELOW_TARGET_CAPABILITY].title.en);
  });

  it('a Flow sets the target: the device writes its current; below the minimum it pauses, above it resumes', async () => {
    const emu = await rig.emulator();
    emu.plugIn({ maxCurrentA: 32, phases: 3 });
    await rig.advance(emu, 1000);
    const device = await rig.paired(emu);
    await rig.advance(emu, 1000);
    await device.poll();
    assert.strictEqual(device.getCapabilityValue('target_power_mode'), 'device');
    const setTarget = (w: number): Promise<unknown> => rig.homey.flow.runCapabilityAction('target_power_set', { device, target_power: w });

    await setTarget(6900);
    assert.strictEqual(emu.offeredA, 10, '6900 W / 230 V / 3 phases');
    assert.strictEqual(device.getCapabilityValue('target_power_mode'), 'homey');
    assert.deepStrictEqual(rig.homey.flow.triggersOf('goe_current_limit_changed').map((t) => t.tokens), [{ limit: 10, by: 'user' }]);
    assert.strictEqual(device.getCapabilityValue(BELOW_TARGET_CAPABILITY), false, 'no balancer: nothing holds it');

    await rig.advance(emu, 1000);
    await device.poll();
    await standin(device).triggerCapabilityListeners({ target_power: 3000 }); // another app: 4.3 A on three phases
    assert.strictEqual(emu.allowed, false, 'paused for the target');
    await standin(device).triggerCapabilityListeners({ target_power: 8280 });
    assert.strictEqual(emu.allowed, true, 'resumed: the target paused it');
    assert.strictEqual(emu.offeredA, 12);

    await rig.homey.flow.runCapabilityAction('target_power_mode_set', { device, target_power_mode: 'device' });
    assert.strictEqual(device.getCapabilityValue('target_power_mode'), 'device');
    await device.triggerCapabilityListener('evcharger_charging', false);
    assert.strictEqual(emu.allowed, false, 'mode Automatic: the charging switch as before');
  });

  it('a command the target sends after a reading fails: logged, and the device stays available (the reading was good)', async () => {
    const emu = await rig.emulator();
    const device = await rig.paired(emu); // no car yet: its phases are not known
    await standin(device).triggerCapabilityListeners({ target_power: 3000 }); // 6 A, as a one-phase car may take it
    assert.strictEqual(emu.offeredA, 6);
    device.getCharger().pause = async () => {
      throw new Error('HTTP 500');
    };
    emu.plugIn({ maxCurrentA: 32, phases: 3 });
    await rig.advance(emu, 1000);
    await device.poll(); // a three-phase car: 4.3 A, so the target pauses it, and that write fails
    assert.strictEqual(device.getAvailable(), true);
    assert.match(rig.homey.logText(), /target power:.*HTTP 500/);
  });

  it('the card\'s argument is checked like Homey\'s Flow editor does', async () => {
    const emu = await rig.emulator();
    const device = await rig.paired(emu);
    await assert.rejects(rig.homey.flow.runCapabilityAction('target_power_set', { device, target_power: 30000 }), /<= 25000/);
    await assert.rejects(rig.homey.flow.runCapabilityAction('no_such_card', { device }), /is no action card/);
  });

  it('a device paired before target power existed gets the capabilities on init, in mode Automatic', async () => {
    const emu = await rig.emulator();
    const device = await rig.paired(emu, { capabilities: manifest.capabilities.filter((c) => !TARGET_POWER_CAPABILITIES.includes(c)) });
    for (const id of TARGET_POWER_CAPABILITIES) assert.ok(device.hasCapability(id), id);
    assert.strictEqual(device.getCapabilityValue('target_power_mode'), 'device');
    await device.triggerCapabilityListener('evcharger_charging', false);
    assert.strictEqual(emu.allowed, false);
  });
});

/**
 * The go-e device and issue 16: the charger's own reason as a translated capability, the setting that lets a
 * resume authorise a session waiting for RFID (default off), and what a resume says where it may not.
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { GOE_REASON_IDS } from '../../../lib/goe/reason';
import { userSaveSettings } from '../../homey-standin';
import { goeDriverRig } from './rig';

const ROOT = path.join(__dirname, '../../..');

describe('drivers/goe: authorisation and the charger\'s own reason', () => {
  const rig = goeDriverRig();
  const { emulator, paired, advance } = rig;

  it('the capability translates every reason id of lib/goe/reason.ts, in en, nl, sv, de, no and da', () => {
    const cap = JSON.parse(fs.readFileSync(path.join(ROOT, '.homeycompose/capabilities/goe_reason.json'), 'utf8')) as {
      values: { id: string; title: Record<string, string> }[];
    };
    assert.deepStrictEqual(cap.values.map((v) => v.id), [...GOE_REASON_IDS]);
    for (const v of cap.values) assert.deepStrictEqual(Object.keys(v.title).sort(), ['da', 'de', 'en', 'nl', 'no', 'sv'], v.id);
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'drivers/goe/driver.compose.json'), 'utf8')) as { capabilities: string[] };
    assert.ok(manifest.capabilities.includes('goe_reason'));
  });

  it('a session waiting for RFID: the device shows why; a resume says what to do; with the setting on it authorises and charges', async () => {
    const emu = await emulator({ profile: 'v2-060', acs: 1 });
    const device = await paired(emu);
    assert.strictEqual(device.getSetting('authorise_sessions'), false, 'off by default');
    emu.plugIn({ needWh: 50_000 });
    await device.poll();
    assert.strictEqual(device.getCapabilityValue('goe_reason'), 'waiting_for_authorisation');
    await assert.rejects(
      device.triggerCapabilityListener('evcharger_charging', true),
      { message: 'the charger waits for authorisation (RFID/app): enable "Authorise sessions waiting for RFID" in the device settings, or hold a card to it' },
    );
    await assert.rejects(rig.homey.flow.runAction('goe_resume', { device }), /waits for authorisation/);
    assert.strictEqual(emu.trx, null, 'never authorised without the setting');
    await userSaveSettings(device, { authorise_sessions: true });
    await device.triggerCapabilityListener('evcharger_charging', true);
    assert.strictEqual(emu.trx, 0);
    await advance(emu, 1000);
    await device.poll();
    assert.strictEqual(device.getCapabilityValue('evcharger_charging_state'), 'plugged_in_charging');
    assert.strictEqual(device.getCapabilityValue('goe_reason'), 'allowed');
  });

  it('Eco and next-trip modes: a resume writes frc=0 and the device shows that the charger\'s own logic holds it off', async () => {
    const emu = await emulator({ profile: 'v2-055', lmo: 4 });
    const device = await paired(emu);
    emu.plugIn({ needWh: 50_000 });
    await rig.homey.flow.runAction('goe_pause', { device });
    await device.poll();
    assert.strictEqual(device.getCapabilityValue('goe_reason'), 'forced_off');
    await rig.homey.flow.runAction('goe_resume', { device });
    assert.strictEqual(emu.frc, 0);
    await device.poll();
    assert.strictEqual(device.getCapabilityValue('goe_reason'), 'eco_waiting_for_price');
    assert.strictEqual(device.getCapabilityValue('evcharger_charging_state'), 'plugged_in_paused');
    emu.lmo = 5;
    await device.poll();
    assert.strictEqual(device.getCapabilityValue('goe_reason'), 'next_trip_waiting');
    emu.nextTripWindow = true;
    await advance(emu, 1000);
    await device.poll();
    assert.strictEqual(device.getCapabilityValue('goe_reason'), 'allowed_next_trip');
    assert.strictEqual(device.getCapabilityValue('evcharger_charging_state'), 'plugged_in_charging');
  });

  it('a session forced on in the go-e app stays forced on after the app\'s pause, also when the settings changed in between', async () => {
    const emu = await emulator({ profile: 'v2-060', lmo: 4 });
    const device = await paired(emu);
    emu.plugIn({ needWh: 50_000 });
    emu.frc = 2;
    await device.poll();
    assert.strictEqual(device.getCapabilityValue('goe_reason'), 'allowed_forced_on');
    await rig.homey.flow.runAction('goe_pause', { device });
    await userSaveSettings(device, { authorise_sessions: true }); // a new connection for the same charger
    await rig.homey.flow.runAction('goe_resume', { device });
    assert.strictEqual(emu.frc, 2);
  });

  it('a device paired before the reason existed gets the capability; a v1 charger has no reason', async () => {
    const emu = await emulator({ profile: 'v1-042' });
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'drivers/goe/driver.compose.json'), 'utf8')) as { capabilities: string[] };
    const device = await paired(emu, { capabilities: manifest.capabilities.filter((c) => c !== 'goe_reason') });
    assert.ok(device.hasCapability('goe_reason'));
    assert.strictEqual(device.getCapabilityValue('goe_reason'), null);
  });
});

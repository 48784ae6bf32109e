/**
 * Why a charger in its charging mode is (not) charging, through the Homey stand-in with the real app and a go-e
 * emulator: the device capability `charging_mode_status` (added to a device paired before it existed, translated in
 * the user's language from the app's id and numbers) and the live view's `modeStatus` (GET /live and the realtime
 * event) for Fast, Solar only (waiting for surplus, then charging from it), Off and Planned.
 */
import assert from 'assert';
import PhaseGuardApp from '../../app';
import { CHARGING_MODE_CAPABILITY, CHARGING_MODE_STATUS_CAPABILITY } from '../../drivers/chargingMode';
import GoeDevice from '../../drivers/goe/device';
import { ManualClock } from '../../lib/clock';
import type { LiveView } from '../../lib/webapi';
import { GoeEmulator } from '../../tools/emulators/goe/emulator';
import { balancerHomey, endAppTest, goeSecond, startAppWithGoe, startGoeEmulator, useAppClock, type Triple } from '../appHarness';
import type { StandinHomey } from '../homey-standin';

describe('charging mode status: the device capability and the live view (go-e through the stand-in)', () => {
  let homey: StandinHomey;
  let clock: ManualClock;
  let emu: GoeEmulator;
  let app: PhaseGuardApp;
  let device: GoeDevice;

  async function seconds(n: number, houseA: Triple = [3, 3, 3]): Promise<void> {
    for (let s = 0; s < n; s++) await goeSecond({ clock, emu, device, homey, app }, houseA);
  }
  const shown = (): unknown => device.getCapabilityValue(CHARGING_MODE_STATUS_CAPABILITY);
  const live = (): LiveView['chargers'][number] => app.webApi.getLiveView().chargers[0];
  const lastPushed = (): LiveView['chargers'][number] => {
    const pushes = homey.api.realtimeEvents.filter((e) => e.event === 'live');
    return (pushes[pushes.length - 1].data as LiveView).chargers[0];
  };

  beforeEach(async () => {
    clock = useAppClock();
    emu = await startGoeEmulator();
    homey = balancerHomey();
    // the driver's capabilities (as a device paired before the status existed has them): no charging_mode_status
    ({ app, device } = await startAppWithGoe(homey, emu));
    await seconds(10);
  });

  afterEach(() => endAppTest(homey, emu));

  it('Fast: the capability was added on init and says so; the live view carries the id', () => {
    assert.strictEqual(device.hasCapability(CHARGING_MODE_STATUS_CAPABILITY), true);
    assert.strictEqual(shown(), 'Fast: as much as the fuse allows');
    assert.deepStrictEqual(live().modeStatus, { id: 'fast', values: {} });
  });

  it('Solar only: waiting with the surplus and what a start needs, then charging from the surplus; in Dutch with a decimal comma', async () => {
    await device.triggerCapabilityListener(CHARGING_MODE_CAPABILITY, 'solar');
    await seconds(4);
    assert.strictEqual(emu.allowed, false);
    // 6 A on three phases at 230 V: 4.1 kW; the house imports 3 A a phase, so no surplus
    assert.strictEqual(shown(), 'Solar only: waiting, 0 kW surplus of the 4.1 kW a start needs');
    assert.deepStrictEqual(live().modeStatus, { id: 'solar_waiting', values: { surplus: 0, needed: 4.1 } });
    assert.deepStrictEqual(lastPushed().modeStatus, live().modeStatus, 'the realtime push carries it too');
    homey.setLanguage('nl');
    await seconds(2);
    assert.strictEqual(shown(), 'Alleen zon: wacht, 0 kW overschot van de 4,1 kW die een start nodig heeft');
    homey.setLanguage('en');
    await seconds(420, [-12, -12, -12]); // about 8.3 kW export
    assert.strictEqual(emu.allowed, true);
    const status = live().modeStatus!;
    assert.strictEqual(status.id, 'solar_charging');
    assert.strictEqual(status.values.current, emu.offeredA, 'the current it offers');
    assert.strictEqual(shown(), `Solar only: charging at ${emu.offeredA} A from ${String(status.values.surplus)} kW surplus`);
    assert.ok((status.values.surplus as number) > 7 && (status.values.surplus as number) < 9, `${status.values.surplus}`);
  });

  it('Off and Planned: the mode\'s own words, at once when the mode changes', async () => {
    await homey.flow.runAction('goe_set_charging_mode', { device, mode: 'off' });
    assert.strictEqual(shown(), 'Off: paused until the mode changes');
    await homey.flow.runAction('goe_set_charging_mode', { device, mode: 'planned' });
    assert.strictEqual(shown(), 'Plan: no target set (use the plan\'s flow cards)');
    homey.setLanguage('de');
    await seconds(2);
    assert.strictEqual(shown(), 'Plan: kein Ziel festgelegt (nutze die Flow-Karten des Plans)');
  });
});

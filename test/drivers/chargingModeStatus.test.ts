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
import GoeDriver from '../../drivers/goe/driver';
import { ManualClock } from '../../lib/clock';
import { defaultAppSettings, SETTINGS_KEY } from '../../lib/settings';
import type { LiveView } from '../../lib/webapi';
import { GoeEmulator } from '../../tools/emulators/goe/emulator';
import { addDevice, createHomey, startApp, startDriver, teardown, type StandinHomey } from '../homey-standin';

type Triple = [number, number, number];
const SETTINGS = { ...defaultAppSettings(), fuseA: 25, marginA: 1, restoreHoldS: 5, restoreStepA: 4 };

describe('charging mode status: the device capability and the live view (go-e through the stand-in)', () => {
  let homey: StandinHomey;
  let clock: ManualClock;
  let emu: GoeEmulator;
  let app: PhaseGuardApp;
  let device: GoeDevice;
  const originalClock = PhaseGuardApp.clockFactory;

  async function seconds(n: number, houseA: Triple = [3, 3, 3]): Promise<void> {
    for (let s = 0; s < n; s++) {
      await clock.advance(1000);
      await (emu.clock as ManualClock).advance(1000);
      const snap = await device.poll();
      const car = snap?.status.phases.map((p) => p.currentA ?? 0) ?? [0, 0, 0];
      await homey.flow.runAction('balancer_report_phase_currents', { l1: houseA[0] + car[0], l2: houseA[1] + car[1], l3: houseA[2] + car[2] });
      await app.tick();
    }
  }
  const shown = (): unknown => device.getCapabilityValue(CHARGING_MODE_STATUS_CAPABILITY);
  const live = (): LiveView['chargers'][number] => app.webApi.getLiveView().chargers[0];
  const lastPushed = (): LiveView['chargers'][number] => {
    const pushes = homey.api.realtimeEvents.filter((e) => e.event === 'live');
    return (pushes[pushes.length - 1].data as LiveView).chargers[0];
  };

  beforeEach(async () => {
    clock = new ManualClock(Date.UTC(2025, 5, 1, 12));
    PhaseGuardApp.clockFactory = () => clock;
    GoeDevice.clientOptions = { minGapMs: 0 };
    emu = new GoeEmulator({ clock: new ManualClock(), startDelayMs: 0 });
    await emu.start();
    emu.plugIn({ maxCurrentA: 16, phases: 3 });
    homey = createHomey();
    homey.settings.set(SETTINGS_KEY, SETTINGS);
    app = await startApp(PhaseGuardApp, homey);
    const driver = await startDriver(GoeDriver, GoeDevice, { homey, id: 'goe' });
    // the driver's capabilities (as a device paired before the status existed has them): no charging_mode_status
    device = await addDevice<GoeDevice>(driver, { name: 'Garage', data: { id: emu.serial }, store: { serial: emu.serial }, settings: { host: emu.url, api: 'v2' } });
    await device.poll();
    await seconds(10);
  });

  afterEach(async () => {
    PhaseGuardApp.clockFactory = originalClock;
    GoeDevice.clientOptions = {};
    await teardown(homey);
    await emu.stop();
  });

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

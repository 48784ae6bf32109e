/**
 * The app through the Homey stand-in: a real go-e device (against the emulator) balanced by the real
 * controller, fed through the "report phase currents" flow card.
 */
import assert from 'assert';
import PhaseGuardApp from '../app';
import GoeDevice from '../drivers/goe/device';
import { ManualClock } from '../lib/clock';
import { GoeEmulator } from '../tools/emulators/goe/emulator';
import { SETTINGS_KEY } from '../lib/settings';
import { balancerHomey, endAppTest, goeSecond, startAppWithGoe, startGoeEmulator, useAppClock } from './appHarness';
import { createHomey, teardown, type StandinHomey } from './homey-standin';
import { FakeHomeyApi } from './lib/meter/fakeHomeyApi';

describe('app (controller, flow cards, Insights, settings)', () => {
  let homey: StandinHomey;
  let clock: ManualClock;
  let emu: GoeEmulator;
  let app: PhaseGuardApp;
  let device: GoeDevice;
  const originalApi = PhaseGuardApp.homeyApiFactory;

  async function boot(h: StandinHomey): Promise<void> {
    ({ app, device } = await startAppWithGoe(h, emu));
  }

  /** One second: the car follows, the device polls, the meter reports house + car, the app ticks. */
  const second = (houseA: [number, number, number], report = true): Promise<void> => goeSecond({ clock, emu, device, homey, app }, houseA, report);

  beforeEach(async () => {
    clock = useAppClock();
    emu = await startGoeEmulator();
    homey = balancerHomey();
    await boot(homey);
  });

  afterEach(async () => {
    PhaseGuardApp.homeyApiFactory = originalApi;
    await endAppTest(homey, emu);
  });

  it('attaches the charger, starts it safely at 6 A and restores it towards 16 A with room', async () => {
    await app.tick();
    await (emu.clock as ManualClock).advance(1000);
    assert.strictEqual(emu.offeredA, 6, 'safe start before any meter data');
    for (let s = 0; s < 30; s++) await second([3, 3, 3]);
    assert.strictEqual(emu.offeredA, 16);
    const live = app.webApi.getLiveView();
    assert.strictEqual(live.chargers[0].name, 'Garage');
    assert.strictEqual(live.meter.stale, false);
  });

  it('cuts the charger on an overload and fires the trigger with charger, from, to, phase and reason', async () => {
    for (let s = 0; s < 30; s++) await second([3, 3, 3]);
    await second([3, 14, 3]);
    const fired = homey.flow.triggersOf('balancer_current_reduced');
    assert.strictEqual(fired.length, 1);
    const tokens = fired[0].tokens as Record<string, unknown>;
    assert.strictEqual(tokens.charger, 'Garage');
    assert.strictEqual(tokens.from, 16);
    assert.strictEqual(tokens.to, 25 - 1 - 14);
    assert.strictEqual(tokens.phase, 'L2');
    assert.match(String(tokens.reason), /L2/);
    await (emu.clock as ManualClock).advance(1000);
    assert.strictEqual(emu.offeredA, 10);
    const live = app.webApi.getLiveView();
    assert.strictEqual(live.events[0].type, 'reduced');
    assert.ok(homey.api.realtimeEvents.some((e: { event: string }) => e.event === 'live'));
  });

  it('says the reason in the Homey\'s language: flow token and live view in Dutch, the log in English', async () => {
    homey.setLanguage('nl');
    for (let s = 0; s < 30; s++) await second([3, 3, 3]);
    await second([3, 14, 3]);
    const tokens = homey.flow.triggersOf('balancer_current_reduced')[0].tokens as Record<string, unknown>;
    assert.match(String(tokens.reason), /^L2 op [\d,]+ A van de 25 A-zekering \(huis [\d,]+ A\): Garage verlaagd van 16 A naar 10 A$/);
    assert.strictEqual(app.webApi.getLiveView().events[0].reason, tokens.reason);
    assert.match(homey.logText(), /balancer reduced: L2 at [\d.]+ A of 25 A fuse \(house [\d.]+ A\): lowered Garage from 16 A to 10 A/);
  });

  it('drops to 6 A when the meter goes silent, tells the user, and recovers', async () => {
    for (let s = 0; s < 30; s++) await second([3, 3, 3]);
    for (let s = 0; s < 20; s++) await second([3, 3, 3], false);
    await (emu.clock as ManualClock).advance(1000);
    assert.strictEqual(emu.offeredA, 6);
    assert.strictEqual(homey.flow.triggersOf('balancer_meter_stale').length, 1);
    assert.strictEqual(homey.notifications.sent.length, 1);
    assert.strictEqual(app.webApi.getLiveView().meter.stale, true);
    for (let s = 0; s < 30; s++) await second([3, 3, 3]);
    assert.strictEqual(emu.offeredA, 16, 'restored once fresh data is back');
  });

  it('starts safely after a restart and keeps its settings', async () => {
    for (let s = 0; s < 30; s++) await second([3, 3, 3]);
    assert.strictEqual(emu.offeredA, 16);
    const saved = { config: homey.settings.get(SETTINGS_KEY), state: homey.settings.get('controllerState') };
    assert.ok(saved.state, 'controller state persisted');
    await teardown(homey);
    homey = createHomey();
    homey.settings.set(SETTINGS_KEY, saved.config);
    homey.settings.set('controllerState', saved.state);
    await boot(homey);
    await app.tick();
    await (emu.clock as ManualClock).advance(1000);
    assert.strictEqual(emu.offeredA, 6, 'after a restart: 6 A until fresh meter data');
  });

  it('a current set by hand becomes the maximum until unplug', async () => {
    for (let s = 0; s < 60; s++) await second([3, 3, 3]);
    await device.triggerCapabilityListener('charger_current_limit', 9);
    for (let s = 0; s < 60; s++) await second([3, 3, 3]);
    assert.strictEqual(emu.offeredA, 9, 'the balancer does not fight the user');
  });

  it('rejects a report when the meter source is not the flow card, with one clear line', async () => {
    await app.webApi.saveSettings({ ...app.appSettings.get(), meter: { source: 'homewizard', host: '127.0.0.1', deviceId: null } });
    await assert.rejects(homey.flow.runAction('balancer_report_phase_currents', { l1: 1, l2: 1, l3: 1 }), /meter source is "homewizard"/);
  });

  it('validates settings as a whole: nothing is saved when one field is wrong', async () => {
    const before = homey.settings.get(SETTINGS_KEY);
    const result = await app.webApi.saveSettings({ ...app.appSettings.get(), fuseA: -3, marginA: 2 });
    assert.strictEqual(result.ok, false);
    assert.ok(!result.ok && result.errors.fuseA);
    assert.deepStrictEqual(homey.settings.get(SETTINGS_KEY), before);
    assert.deepStrictEqual(await app.webApi.saveSettings({ ...app.appSettings.get(), fuseA: 20 }), { ok: true });
    assert.strictEqual(app.webApi.getLiveView().fuseA, 20);
    await homey.flow.runAction('balancer_set_fuse', { fuse: 16 });
    assert.strictEqual(app.appSettings.get().fuseA, 16);
    await assert.rejects(homey.flow.runAction('balancer_set_margin', { margin: 15 }), /marginA/);
    assert.strictEqual(app.appSettings.get().marginA, 1);
  });

  it('answers the conditions and sets priorities through autocomplete', async () => {
    await app.tick();
    assert.strictEqual(await homey.flow.runCondition('balancer_is_on', {}), true);
    await homey.flow.runAction('balancer_set_enabled', { state: 'off' });
    assert.strictEqual(await homey.flow.runCondition('balancer_is_on', {}), false);
    await homey.flow.runAction('balancer_set_enabled', { state: 'on' });
    const choices = (await homey.flow.autocomplete('balancer_set_priority', 'charger', 'gar')) as { id: string; name: string }[];
    assert.deepStrictEqual(choices.map((c: { name: string }) => c.name), ['Garage']);
    await homey.flow.runAction('balancer_set_priority', { charger: choices[0], priority: 8 });
    assert.strictEqual(app.appSettings.get().chargers[choices[0].id].priority, 8);
    for (let s = 0; s < 30; s++) await second([3, 3, 3]);
    assert.strictEqual(await homey.flow.runCondition('balancer_headroom_above', { phase: 'L1', threshold: 2 }), true);
    assert.strictEqual(await homey.flow.runCondition('balancer_headroom_above', { phase: 'any', threshold: 21 }), false);
    assert.strictEqual(await homey.flow.runCondition('balancer_charger_limited', { charger: choices[0] }), false);
    await second([3, 14, 3]);
    assert.strictEqual(await homey.flow.runCondition('balancer_charger_limited', { charger: choices[0] }), true);
  });

  it('fires "headroom below X" only for flows whose threshold was crossed', async () => {
    const flow5 = homey.flow.addUserFlow('balancer_headroom_below', { phase: 'L1', threshold: 5 });
    const flowAny = homey.flow.addUserFlow('balancer_headroom_below', { phase: 'any', threshold: 1 });
    for (let s = 0; s < 30; s++) await second([3, 3, 3]);
    await second([21, 3, 3]);
    assert.strictEqual(flow5.runs.length, 1);
    assert.strictEqual((flow5.runs[0] as Record<string, unknown>).phase, 'L1');
    assert.strictEqual(flowAny.runs.length, 0);
  });

  it('writes Insights: per-phase current and headroom, allowed current, events', async () => {
    for (let s = 0; s < 30; s++) await second([3, 3, 3]);
    await second([3, 14, 3]);
    const log = async (id: string) => (await homey.insights.getLog(id)) as unknown as { entries: { value: unknown }[] };
    assert.ok((await log('phase_l2_current')).entries.length > 0);
    assert.ok((await log('phase_l1_headroom')).entries.length > 0);
    const allowed = (await homey.insights.getLogs()).find((l: { id: string }) => /^charger_.*_allowed$/.test(l.id)) as unknown as { entries: { value: unknown }[] };
    assert.ok(allowed.entries.some((e) => e.value === 16));
    assert.ok((await log('event_reduced')).entries.some((e) => e.value === true));
  });

  it('lists meter devices of every capability-id family through homey-api', async () => {
    const api = new FakeHomeyApi(clock);
    api.addMeter('homewizard', { id: 'hw', name: 'HomeWizard P1', currentsA: [5, 2, -3] });
    api.addMeter('tibber', { id: 'tb', name: 'Tibber Pulse', currentsA: [4, 4, 4] });
    api.addMeter('energyDongle', { id: 'ed', name: 'Energy Dongle', currentsA: [1, 2, 3] });
    api.addMeter('powerOnly', { id: 'po', name: 'Power meter', currentsA: [2, 2, 2] });
    api.addMeter('lamp', { id: 'lamp', name: 'Lamp' });
    PhaseGuardApp.homeyApiFactory = async () => api;
    const meters = await app.webApi.listMeters();
    const byId = Object.fromEntries(meters.map((m) => [m.id, m]));
    assert.deepStrictEqual(Object.keys(byId).sort(), ['ed', 'hw', 'po', 'tb']);
    assert.deepStrictEqual(byId.hw.phaseCapabilities, ['measure_current.l1', 'measure_current.l2', 'measure_current.l3']);
    assert.deepStrictEqual(byId.tb.phaseCapabilities, ['measure_current.L1', 'measure_current.L2', 'measure_current.L3']);
    assert.deepStrictEqual(byId.ed.phaseCapabilities, ['measure_current.phase1', 'measure_current.phase2', 'measure_current.phase3']);
    assert.strictEqual(byId.po.basis, 'power');
    assert.strictEqual(byId.hw.lastValuesA[2], -3);
  });

  it('balances from a Homey meter device picked on the settings page, and warns when it is deleted', async () => {
    const api = new FakeHomeyApi(clock);
    const p1 = api.addMeter('homewizard', { id: 'hw', name: 'HomeWizard P1', currentsA: [3, 3, 3] });
    PhaseGuardApp.homeyApiFactory = async () => api;
    assert.deepStrictEqual(await app.webApi.saveSettings({ ...app.appSettings.get(), meter: { source: 'homey-device', deviceId: 'hw', host: null } }), { ok: true });
    for (let s = 0; s < 90; s++) {
      await second([0, 0, 0], false);
      const car = device.getSnapshot()?.status.phases.map((p) => p.currentA ?? 0) ?? [0, 0, 0];
      p1.setPhaseCurrents([3 + car[0], 3 + car[1], 3 + car[2] + (s % 2)], { atMs: clock.nowMs() }); // whole amps: vary so Homey pushes
      await clock.advance(300);
    }
    assert.strictEqual(app.webApi.getLiveView().meter.stale, false);
    assert.ok(emu.offeredA > 6, `balanced from the device meter (${emu.offeredA} A)`);
    api.removeDevice('hw');
    await app.tick();
    assert.match(app.webApi.getLiveView().meter.error ?? '', /deleted/);
  });
});

/**
 * Charger devices register with the app (lib/app/chargerRegistry.ts through drivers/chargerDevice.ts): they join
 * in onInit, whether the app has finished starting or not, leave in onUninit, are removed in onDeleted and renamed
 * in onRenamed. Real go-e devices against emulators, the real app and controller, on the Homey stand-in.
 */
import assert from 'assert';
import { EventEmitter } from 'events';
import PhaseGuardApp from '../app';
import GoeDevice from '../drivers/goe/device';
import GoeDriver from '../drivers/goe/driver';
import { ChargerRegistry, chargerRegistrationOf, type ChargerDeviceLike, type ChargerSink } from '../lib/app/chargerRegistry';
import type { Charger, ChargerStatus } from '../lib/charger';
import { ManualClock } from '../lib/clock';
import { GoeEmulator } from '../tools/emulators/goe/emulator';
import type { HomeyApiLike } from '../lib/meter/homeyDevice';
import { defaultAppSettings, SETTINGS_KEY, type AppSettings } from '../lib/settings';
import {
  addDevice, createHomey, deleteDevice, renameDevice, restartDevice, startApp, startDriver, teardown, type StandinHomey,
} from './homey-standin';
import { FakeHomeyApi } from './lib/meter/fakeHomeyApi';

describe('app: charger devices register with the app', () => {
  let homey: StandinHomey;
  let clock: ManualClock;
  let emus: GoeEmulator[];
  const originalClock = PhaseGuardApp.clockFactory;
  const originalApi = PhaseGuardApp.homeyApiFactory;

  const settings = (over: Partial<AppSettings> = {}): AppSettings => ({ ...defaultAppSettings(), fuseA: 25, marginA: 1, restoreHoldS: 5, restoreStepA: 4, ...over });
  const names = (app: PhaseGuardApp): string[] => app.webApi.getLiveView().chargers.map((c) => c.name);
  const taking = (): string[] => homey.logs.filter((l) => /takes part in balancing|removed from balancing/.test(l.line)).map((l) => l.line);
  const writes = (emu: GoeEmulator): number => emu.requests.filter((r) => r.path.endsWith('/set') || r.path.endsWith('/mqtt')).length;

  async function goeDevice(driver: object, emu: GoeEmulator, name: string): Promise<GoeDevice> {
    const device = await addDevice<GoeDevice>(driver, { name, data: { id: emu.serial }, store: { serial: emu.serial }, settings: { host: emu.url, api: 'v2' } });
    await device.poll();
    return device;
  }

  /** One second of charging with room: the cars follow, the devices poll, the flow card reports the house. */
  async function second(app: PhaseGuardApp, devices: GoeDevice[]): Promise<void> {
    await clock.advance(1000);
    for (const emu of emus) await (emu.clock as ManualClock).advance(1000);
    for (const d of devices) await d.poll();
    const cars = devices.map((d) => d.getSnapshot()?.status.phases.map((p) => p.currentA ?? 0) ?? [0, 0, 0]);
    const phase = (i: number): number => 3 + cars.reduce((s, c) => s + c[i], 0);
    await homey.flow.runAction('balancer_report_phase_currents', { l1: phase(0), l2: phase(1), l3: phase(2) });
    await app.tick();
  }

  beforeEach(async () => {
    clock = new ManualClock(Date.UTC(2025, 5, 1, 12));
    PhaseGuardApp.clockFactory = () => clock;
    GoeDevice.clientOptions = { minGapMs: 0 };
    emus = [];
    for (const serial of ['000201', '000202']) {
      const emu = new GoeEmulator({ clock: new ManualClock(), startDelayMs: 0, serial });
      await emu.start();
      emu.plugIn({ maxCurrentA: 16, phases: 3 });
      emus.push(emu);
    }
    homey = createHomey();
  });

  afterEach(async () => {
    PhaseGuardApp.clockFactory = originalClock;
    PhaseGuardApp.homeyApiFactory = originalApi;
    await teardown(homey);
    for (const emu of emus) await emu.stop();
  });

  it('the app started first: a device takes part as soon as its onInit ran, without waiting for a tick', async () => {
    homey.settings.set(SETTINGS_KEY, settings());
    const app = await startApp(PhaseGuardApp, homey);
    const driver = await startDriver(GoeDriver, GoeDevice, { homey, id: 'goe' });
    await goeDevice(driver, emus[0], 'Garage');
    assert.deepStrictEqual(names(app), ['Garage']);
    assert.deepStrictEqual(app.webApi.getSettingsView().chargers, [{ id: '000201', name: 'Garage', brand: 'goe', hardwareMaxA: 32 }]);
    assert.deepStrictEqual(await homey.flow.autocomplete('balancer_set_priority', 'charger', ''), [{ id: '000201', name: 'Garage' }]);
    assert.deepStrictEqual(taking(), ['charger Garage takes part in balancing']);
  });

  it('devices that start while the app is still starting wait, and take part in the order they came once it has', async () => {
    // The app's onInit waits for the Homey Web API (a Homey device is the meter) until the test lets it answer.
    let answer!: (api: HomeyApiLike) => void;
    PhaseGuardApp.homeyApiFactory = () => new Promise((resolve) => (answer = resolve));
    const api = new FakeHomeyApi(clock);
    api.addMeter('homewizard', { id: 'hw', name: 'HomeWizard P1', currentsA: [3, 3, 3] });
    homey.settings.set(SETTINGS_KEY, settings({ meter: { source: 'homey-device', deviceId: 'hw', host: null, serial: null } }));
    const starting = startApp(PhaseGuardApp, homey);
    const driver = await startDriver(GoeDriver, GoeDevice, { homey, id: 'goe' });
    const devices = [await goeDevice(driver, emus[1], 'Carport'), await goeDevice(driver, emus[0], 'Garage')];
    assert.deepStrictEqual(taking(), [], 'not yet: the app has not finished starting');
    assert.deepStrictEqual(emus.map(writes), [0, 0], 'nothing is sent to a charger before the app is ready');
    answer(api);
    const app = await starting;
    assert.deepStrictEqual(taking(), ['charger Carport takes part in balancing', 'charger Garage takes part in balancing']);
    assert.deepStrictEqual(names(app), ['Carport', 'Garage']);
    await app.tick();
    for (const emu of emus) await (emu.clock as ManualClock).advance(1000);
    assert.deepStrictEqual(emus.map((e) => e.offeredA), [6, 6], 'both held at the safe current until fresh meter data');
    for (const d of devices) assert.strictEqual(d.listenerCount('status'), 1);
  });

  it('a rename shows at once; a deleted device leaves balancing at once and is sent nothing more', async () => {
    homey.settings.set(SETTINGS_KEY, settings());
    const app = await startApp(PhaseGuardApp, homey);
    const driver = await startDriver(GoeDriver, GoeDevice, { homey, id: 'goe' });
    const devices = [await goeDevice(driver, emus[0], 'Garage'), await goeDevice(driver, emus[1], 'Carport')];
    await renameDevice(devices[0], 'Garage left');
    assert.deepStrictEqual(names(app), ['Garage left', 'Carport']);
    for (let s = 0; s < 5; s++) await second(app, devices);
    await deleteDevice(devices[1]);
    assert.deepStrictEqual(names(app), ['Garage left']);
    assert.deepStrictEqual(taking().slice(-1), ['charger Carport removed from balancing']);
    const sent = writes(emus[1]);
    for (let s = 0; s < 30; s++) await second(app, devices.slice(0, 1));
    assert.strictEqual(writes(emus[1]), sent);
    assert.ok(emus[0].offeredA > 6, `the one left is balanced (${emus[0].offeredA} A)`);
  });

  it('a deleted device forgets what it remembered: paired again, its old manual maximum is gone (regression)', async () => {
    homey.settings.set(SETTINGS_KEY, settings());
    const app = await startApp(PhaseGuardApp, homey);
    const driver = await startDriver(GoeDriver, GoeDevice, { homey, id: 'goe' });
    const device = await goeDevice(driver, emus[0], 'Garage');
    for (let s = 0; s < 30; s++) await second(app, [device]);
    await device.triggerCapabilityListener('charger_current_limit', 8);
    for (let s = 0; s < 10; s++) await second(app, [device]);
    assert.strictEqual(emus[0].offeredA, 8);
    const chargers = { ...app.appSettings.get().chargers, [emus[0].serial]: { enabled: true, priority: 3, phaseMap: ['L2', null, null] as ['L2', null, null], maxCurrentA: 12 } };
    assert.deepStrictEqual(await app.webApi.saveSettings({ ...app.appSettings.get(), chargers }), { ok: true });
    await deleteDevice(device);
    await new Promise((r) => setImmediate(r));
    assert.ok(!(emus[0].serial in app.appSettings.get().chargers), 'its settings (wiring, maximum, priority) went with it');
    const again = await goeDevice(driver, emus[0], 'Garage again');
    for (let s = 0; s < 60; s++) await second(app, [again]);
    assert.strictEqual(emus[0].offeredA, 16, 'balanced afresh to the car maximum, not held at the deleted device\'s 8 A');
  });

  it('a current set by hand is whole amps: the charger, the capability, the flow token and the maximum agree (regression)', async () => {
    homey.settings.set(SETTINGS_KEY, settings());
    const app = await startApp(PhaseGuardApp, homey);
    const driver = await startDriver(GoeDriver, GoeDevice, { homey, id: 'goe' });
    const device = await goeDevice(driver, emus[0], 'Garage');
    for (let s = 0; s < 30; s++) await second(app, [device]);
    const changed = (): unknown[] => homey.flow.triggersOf('goe_current_limit_changed').map((t) => t.tokens);
    const before = changed().length;
    await device.setCurrentLimit(10.5);
    for (let s = 0; s < 30; s++) await second(app, [device]);
    assert.deepStrictEqual([emus[0].offeredA, device.getCapabilityValue('charger_current_limit')], [10, 10]);
    assert.deepStrictEqual(changed().slice(before), [{ limit: 10, by: 'user' }], 'one change, with the limit the charger has');
    assert.ok(homey.logs.some((l) => /manual change to 10 A is the maximum/.test(l.line)));
  });

  it('a device Homey starts again is driven through the new instance; the old one is no longer listened to', async () => {
    homey.settings.set(SETTINGS_KEY, settings());
    const app = await startApp(PhaseGuardApp, homey);
    const driver = await startDriver(GoeDriver, GoeDevice, { homey, id: 'goe' });
    const old = await goeDevice(driver, emus[0], 'Garage');
    const fresh = await restartDevice(old);
    assert.deepStrictEqual([old.listenerCount('status'), old.listenerCount('manual')], [0, 0]);
    assert.deepStrictEqual([fresh.listenerCount('status'), fresh.listenerCount('manual')], [1, 1]);
    assert.deepStrictEqual(names(app), ['Garage']);
    for (let s = 0; s < 30; s++) await second(app, [fresh]);
    assert.strictEqual(emus[0].offeredA, 16);
  });

  it('leaving when the app stops keeps what the charger must remember: a current set by hand stays its maximum', async () => {
    homey.settings.set(SETTINGS_KEY, settings());
    let app = await startApp(PhaseGuardApp, homey);
    let driver = await startDriver(GoeDriver, GoeDevice, { homey, id: 'goe' });
    let device = await goeDevice(driver, emus[0], 'Garage');
    for (let s = 0; s < 30; s++) await second(app, [device]);
    await device.triggerCapabilityListener('charger_current_limit', 9);
    await second(app, [device]);
    const saved = { config: homey.settings.get(SETTINGS_KEY), state: homey.settings.get('controllerState') };
    await teardown(homey);
    assert.strictEqual(device.listenerCount('status'), 0, 'the app stopped listening');
    assert.deepStrictEqual(homey.settings.get('controllerState'), saved.state, 'stopping changed nothing that was saved');
    homey = createHomey();
    homey.settings.set(SETTINGS_KEY, saved.config);
    homey.settings.set('controllerState', saved.state);
    app = await startApp(PhaseGuardApp, homey);
    driver = await startDriver(GoeDriver, GoeDevice, { homey, id: 'goe' });
    device = await goeDevice(driver, emus[0], 'Garage');
    for (let s = 0; s < 60; s++) await second(app, [device]);
    assert.strictEqual(emus[0].offeredA, 9, 'still the maximum the user set, after the restart');
  });
});

describe('app: the charger registry (lib/app/chargerRegistry.ts)', () => {
  type Call = [string, ...unknown[]];
  let calls: Call[];
  let registry: ChargerRegistry;
  let a: FakeDevice;
  let b: FakeDevice;

  const sink: ChargerSink = {
    addCharger: (c, name) => calls.push(['add', c.id, name]),
    removeCharger: (id) => calls.push(['remove', id]),
    renameCharger: (id, name) => calls.push(['rename', id, name]),
    reportStatus: (id, s) => calls.push(['status', id, s.state]),
    manualCurrentChange: (id, a) => calls.push(['current', id, a]),
    manualPauseChange: (id, paused) => calls.push(['pause', id, paused]),
  };

  const charger = (id: string): Charger => ({ id, brand: 'goe', latencyClass: 'local', minCurrentA: 6, maxCurrentA: 16 }) as Charger;

  class FakeDevice extends EventEmitter implements ChargerDeviceLike {
    constructor(public name: string, public charger: Charger) {
      super();
    }
    getCharger(): Charger {
      return this.charger;
    }
    getName(): string {
      return this.name;
    }
  }
  /** A device that listens to what the balancer tells its charger and decides about it (as ChargerDevice does). */
  class ListeningDevice extends FakeDevice {
    heard: unknown[] = [];
    balancerApplied(told: { limitA: number | null; paused: boolean | null }): void {
      this.heard.push(['applied', told]);
    }
    balancerEvent(event: { type: string; toA?: number }): void {
      this.heard.push(['event', event.type, event.toA]);
    }
  }

  beforeEach(() => {
    calls = [];
    registry = new ChargerRegistry({ log: (line) => calls.push(['log', line]) });
    a = new FakeDevice('A', charger('a'));
    b = new FakeDevice('B', charger('b'));
  });

  it('is found on the app as `chargers`, and not on an app without one', () => {
    assert.strictEqual(chargerRegistrationOf({ chargers: registry }), registry);
    assert.strictEqual(chargerRegistrationOf({}), null);
    assert.strictEqual(chargerRegistrationOf(undefined), null);
  });

  it('queues until started; one that left meanwhile is never attached; joining twice changes nothing', () => {
    registry.join(a);
    registry.join(b);
    registry.join(a);
    registry.remove(b);
    assert.deepStrictEqual(calls, []);
    registry.start(sink);
    registry.join(a);
    assert.deepStrictEqual(calls, [['add', 'a', 'A'], ['log', 'charger A takes part in balancing']]);
    assert.deepStrictEqual(registry.list().map((c) => c.id), ['a']);
  });

  it('forwards status and manual changes while attached, and nothing after leave or close', () => {
    registry.start(sink);
    registry.join(a);
    registry.join(b);
    calls = [];
    a.emit('status', { state: 'charging' } as ChargerStatus);
    a.emit('manual', { kind: 'current', currentA: 9 });
    a.emit('manual', { kind: 'pause' });
    b.emit('manual', { kind: 'resume' });
    registry.leave(a);
    a.emit('status', { state: 'idle' } as ChargerStatus);
    registry.close();
    b.emit('status', { state: 'idle' } as ChargerStatus);
    registry.join(a);
    assert.deepStrictEqual(calls, [['status', 'a', 'charging'], ['current', 'a', 9], ['pause', 'a', true], ['pause', 'b', false]]);
  });

  it('a device that hands a new Charger (after a repair) is driven through it; a new id replaces the old one', () => {
    registry.start(sink);
    registry.join(a);
    calls = [];
    a.charger = charger('a');
    registry.join(a);
    assert.deepStrictEqual(calls, [['add', 'a', 'A']]);
    assert.strictEqual(a.listenerCount('status'), 1);
    calls = [];
    a.charger = charger('a2');
    registry.join(a);
    assert.deepStrictEqual(calls, [['remove', 'a'], ['add', 'a2', 'A']]);
    assert.deepStrictEqual(registry.list().map((c) => c.id), ['a2']);
  });

  it('hands the controller\'s `applied` and `event` to the device of that charger only, while it is attached', () => {
    const c = new ListeningDevice('C', charger('c'));
    registry.applied('c', { limitA: 10, paused: null });
    registry.start(sink);
    registry.join(a);
    registry.join(c);
    registry.applied('c', { limitA: 10, paused: null });
    registry.applied('a', { limitA: 8, paused: null }); // a device without the listeners: nothing happens
    registry.event({ type: 'reduced', timeMs: 0, chargerId: 'c', fromA: 16, toA: 10, reason: 'L2' });
    registry.event({ type: 'reduced', timeMs: 0, chargerId: 'a', fromA: 16, toA: 8, reason: 'L2' });
    registry.event({ type: 'meterStale', timeMs: 0, reason: 'no meter data' });
    registry.applied('x', { limitA: 6, paused: true });
    registry.leave(c);
    registry.applied('c', { limitA: 6, paused: null });
    assert.deepStrictEqual(c.heard, [['applied', { limitA: 10, paused: null }], ['event', 'reduced', 10]]);
  });
});

import assert from 'assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import Homey from 'homey';
import { registerSecret } from '../lib/errors';
import {
  addDevice, createHomey, deleteDevice, renameDevice, restartDevice, standin, startApp, startDriver, startPairSession,
  startRepairSession, teardown, userSaveSettings,
} from './homey-standin';
import type { MdnsAnnouncement, StandinHomey } from './homey-standin';

/** A throw-away app folder with one driver, flow cards and locales. */
function makeAppRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'homey-standin-'));
  const write = (rel: string, data: unknown): void => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), JSON.stringify(data));
  };
  write('.homeycompose/app.json', { id: 'test.standin', permissions: ['homey:manager:api'] });
  write('.homeycompose/capabilities/charger_phases.json', { type: 'number', title: { en: 'Phases' }, setable: false });
  write('.homeycompose/flow/triggers/overload.json', {
    title: { en: 'Overload' },
    args: [{ name: 'phase', type: 'dropdown', values: [{ id: 'L1' }, { id: 'L2' }, { id: 'L3' }] }],
    tokens: [{ name: 'current', type: 'number' }, { name: 'phase', type: 'string' }],
  });
  write('.homeycompose/flow/conditions/is_limited.json', { title: { en: 'Is limited' } });
  write('.homeycompose/discovery/lamp.json', {
    type: 'mdns-sd', 'mdns-sd': { name: 'lamp', protocol: 'tcp' }, id: '{{txt.id}}',
    conditions: [[{ field: 'txt.vendor', match: { type: 'string', value: 'acme' } }], [{ field: 'name', match: { type: 'regex', value: '^acme-' } }]],
  });
  write('.homeycompose/discovery/any_lamp.json', { type: 'mdns-sd', 'mdns-sd': { name: 'lamp', protocol: 'tcp' } });
  write('.homeycompose/flow/actions/set_fuse.json', {
    title: { en: 'Set fuse' },
    args: [{ name: 'fuse', type: 'number', min: 6, max: 80 }, { name: 'meter', type: 'autocomplete', required: false }],
  });
  write('drivers/x/driver.compose.json', {
    name: { en: 'X' },
    class: 'evcharger',
    discovery: 'lamp',
    capabilities: ['onoff', 'measure_power', 'evcharger_charging_state', 'charger_phases', 'target_temperature'],
    settings: [{ type: 'group', label: { en: 'Connection' }, children: [
      { id: 'address', type: 'text', value: '192.168.1.2' },
      { id: 'interval', type: 'number', value: 10, min: 1, max: 300 },
    ] }],
  });
  write('drivers/x/driver.flow.compose.json', {
    triggers: [{ id: 'x_limited', title: { en: 'Limited' }, tokens: [{ name: 'current', type: 'number' }] }],
    actions: [{ id: 'x_set_limit', title: { en: 'Set limit' }, args: [{ name: 'current', type: 'range', min: 6, max: 32 }] }],
  });
  write('drivers/y/driver.compose.json', {
    name: { en: 'Y' },
    class: 'other',
    pair: [{ id: 'key' }, { id: 'list_devices', template: 'list_devices' }],
    repair: [{ id: 'key' }],
  });
  fs.mkdirSync(path.join(root, 'drivers', 'y', 'pair'), { recursive: true });
  fs.writeFileSync(path.join(root, 'drivers', 'y', 'pair', 'key.html'), '<p>key</p>');
  write('locales/en.json', { greeting: 'Hello __name__', nested: { deep: 'Deep __a__ and __a__' }, only_en: 'English' });
  write('locales/nl.json', { greeting: 'Hallo __name__' });
  return root;
}

class XDriver extends Homey.Driver {
  async onInit(): Promise<void> {
    this.homey.flow.getActionCard('x_set_limit').registerRunListener(async (args: { device: XDevice; current: number }) => {
      await args.device.setCapabilityValue('measure_power', args.current * 230);
    });
  }

  async onPair(session: any): Promise<void> {
    session.setHandler('login', async ({ username, password }: { username: string; password: string }) => {
      if (password !== 'right') throw new Error('Wrong password');
      return username === 'me';
    });
    session.setHandler('list_devices', async () => [{ name: 'Garage', data: { id: 'g1' }, store: { token: 't' } }]);
  }

  async onRepair(session: any, device: any): Promise<void> {
    session.setHandler('login', async ({ password }: { password: string }) => {
      await device.setStoreValue('password', password);
      return true;
    });
  }
}

class XDevice extends Homey.Device {
  pollHandle?: NodeJS.Timeout;
  events: string[] = [];
  async onInit(): Promise<void> {
    this.events.push('init');
    this.registerCapabilityListener('onoff', async (value: boolean) => {
      if (this.getSetting('address') === 'broken') throw new Error('Charger unreachable');
      this.events.push(`onoff=${value}`);
    });
    this.pollHandle = this.homey.setInterval(() => undefined, 60_000);
  }
  async onAdded(): Promise<void> {
    this.events.push('added');
  }
  async onSettings({ newSettings, changedKeys }: { newSettings: any; changedKeys: string[] }): Promise<string | void> {
    if (typeof newSettings.interval !== 'number' || newSettings.interval < 5) throw new Error('interval: at least 5 s');
    this.events.push(`settings:${changedKeys.join(',')}`);
  }
  async onDeleted(): Promise<void> {
    this.events.push('deleted');
  }
  async onUninit(): Promise<void> {
    this.events.push('uninit');
  }
}

class TestApp extends Homey.App {
  async onInit(): Promise<void> {
    this.log('started with password=hunter22');
  }
}

describe('homey stand-in', () => {
  let root: string;
  let homey: StandinHomey;

  before(() => {
    root = makeAppRoot();
  });
  after(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });
  beforeEach(() => {
    homey = createHomey({ appRoot: root });
  });
  afterEach(async () => {
    await teardown(homey);
  });

  async function setup(): Promise<{ driver: XDriver; device: XDevice }> {
    const driver = await startDriver(XDriver, XDevice, { homey, id: 'x' });
    const device = await addDevice(driver, { name: 'Garage', data: { id: 'g1' } });
    return { driver, device };
  }

  describe('module shape', () => {
    it('works as default import and via require', () => {
      const req = require('homey');
      assert.strictEqual(req.Device, Homey.Device);
      assert.strictEqual(req.default.App, Homey.App);
      assert.strictEqual(typeof Homey.SimpleClass, 'function');
    });
  });

  describe('settings', () => {
    it('returns null for unset keys and emits set/unset', () => {
      const seen: string[] = [];
      homey.settings.on('set', (k: string) => seen.push(`set:${k}`));
      homey.settings.on('unset', (k: string) => seen.push(`unset:${k}`));
      assert.strictEqual(homey.settings.get('missing'), null);
      homey.settings.set('fuse', 25);
      assert.strictEqual(homey.settings.get('fuse'), 25);
      assert.deepStrictEqual(homey.settings.getKeys(), ['fuse']);
      homey.settings.unset('fuse');
      assert.strictEqual(homey.settings.get('fuse'), null);
      assert.deepStrictEqual(seen, ['set:fuse', 'unset:fuse']);
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

  describe('flow', () => {
    it('rejects undeclared card ids unless strictFlowCards is off', () => {
      assert.throws(() => homey.flow.getActionCard('nope'), /Invalid Flow Card ID: nope/);
      assert.throws(() => homey.flow.getTriggerCard('x_limited'), /device trigger/);
      assert.throws(() => homey.flow.getConditionCard('set_fuse'), /action card/);
      const loose = createHomey({ appRoot: root, strictFlowCards: false });
      assert.ok(loose.flow.getActionCard('nope'));
    });

    it('validates trigger tokens against the card JSON', async () => {
      const card = homey.flow.getTriggerCard('overload');
      await assert.rejects(card.trigger({ current: 26 }), /missing token "phase"/);
      await assert.rejects(card.trigger({ current: 26, phase: 'L1', amps: 3 }), /unknown token "amps"/);
      await assert.rejects(card.trigger({ current: '26', phase: 'L1' }), /token "current" must be a number/);
      await card.trigger({ current: 26, phase: 'L1' }, { phase: 'L1' });
      assert.strictEqual(homey.flow.triggersOf('overload').length, 1);
    });

    it('fires simulated user flows through the run listener filter', async () => {
      const card = homey.flow.getTriggerCard('overload');
      card.registerRunListener(async (args: { phase: string }, state: { phase: string }) => args.phase === state.phase);
      const l1 = homey.flow.addUserFlow('overload', { phase: 'L1' });
      const l2 = homey.flow.addUserFlow('overload', { phase: 'L2' });
      await card.trigger({ current: 26, phase: 'L2' }, { phase: 'L2' });
      assert.deepStrictEqual(l1.runs, []);
      assert.deepStrictEqual(l2.runs, [{ current: 26, phase: 'L2' }]);
      assert.strictEqual(await homey.flow.runTriggerListener('overload', { phase: 'L3' }, { phase: 'L3' }), true);
      assert.throws(() => homey.flow.addUserFlow('overload', { phase: 'L4' }), /one of L1, L2, L3/);
    });

    it('runs actions with checked args, device cards included, and autocompletes', async () => {
      const { device } = await setup();
      await homey.flow.runAction('x_set_limit', { device, current: 10 });
      assert.strictEqual(device.getCapabilityValue('measure_power'), 2300);
      await assert.rejects(homey.flow.runAction('x_set_limit', { device, current: 40 }), /<= 32/);
      await assert.rejects(homey.flow.runAction('x_set_limit', { current: 10 }), /"device" is required/);
      const fuse = homey.flow.getActionCard('set_fuse');
      const seen: number[] = [];
      fuse.registerRunListener(async (args: { fuse: number }) => { seen.push(args.fuse); });
      fuse.registerArgumentAutocompleteListener('meter', async (query: string) => [{ name: `P1 ${query}`, id: 'm1' }]);
      assert.throws(() => fuse.registerArgumentAutocompleteListener('fuse', async () => []), /not autocomplete/);
      await homey.flow.runAction('set_fuse', { fuse: 25 });
      assert.deepStrictEqual(seen, [25]);
      assert.deepStrictEqual(await homey.flow.autocomplete('set_fuse', 'meter', 'kit'), [{ name: 'P1 kit', id: 'm1' }]);
      homey.flow.getConditionCard('is_limited').registerRunListener(async () => 0);
      assert.strictEqual(await homey.flow.runCondition('is_limited'), false);
    });

    it('creates typed global tokens once', async () => {
      const token = await homey.flow.createToken('available_current', { type: 'number', title: 'Available', value: 0 });
      await token.setValue(11);
      await assert.rejects(token.setValue('11'), /invalid value/);
      assert.strictEqual(homey.flow.getToken('available_current').getValue(), 11);
      await assert.rejects(homey.flow.createToken('available_current', { type: 'number', title: 'x' }), /already exists/);
    });

    it('device triggers need a device of their driver and filter user flows per device', async () => {
      const { driver, device } = await setup();
      const other = await addDevice(driver, { name: 'Other', data: { id: 'g2' } });
      const card = homey.flow.getDeviceTriggerCard('x_limited');
      const mine = homey.flow.addUserFlow('x_limited', { device });
      await card.trigger(other, { current: 6 });
      await card.trigger(device, { current: 8 });
      assert.deepStrictEqual(mine.runs, [{ current: 8 }]);
      await assert.rejects(card.trigger({} as any, { current: 6 }), /must be a device/);
    });
  });

  describe('insights, timers, i18n, logs, api', () => {
    it('creates insights logs once and records entries with timestamps', async () => {
      let t = Date.UTC(2026, 0, 1);
      const h = createHomey({ appRoot: root, now: () => t });
      const log = await h.insights.createLog('headroom_l1', { title: { en: 'Headroom L1' }, type: 'number', units: 'A' });
      await assert.rejects(h.insights.createLog('headroom_l1', { title: 'x', type: 'number' }), /already exists/);
      await assert.rejects(h.insights.getLog('nope'), /not found/);
      await log.createEntry(12.5);
      t += 1000;
      await log.createEntry(11);
      await assert.rejects(log.createEntry(Number.NaN), /invalid value/);
      assert.deepStrictEqual((await h.insights.getLog('headroom_l1')).entries.map((e) => [e.value, e.timestamp.getTime()]),
        [[12.5, Date.UTC(2026, 0, 1)], [11, Date.UTC(2026, 0, 1) + 1000]]);
      await h.insights.deleteLog(log);
      assert.deepStrictEqual(await h.insights.getLogs(), []);
    });

    it('tracks timers and clears them on teardown', async () => {
      await setup();
      const fired: string[] = [];
      homey.setTimeout(() => fired.push('late'), 50);
      const soon = new Promise<void>((resolve) => homey.setTimeout(() => { fired.push('soon'); resolve(); }, 1));
      assert.strictEqual(homey.activeTimerCount(), 3); // device poll interval + 2 timeouts
      await soon;
      assert.strictEqual(homey.activeTimerCount(), 2);
      let unloads = 0;
      homey.on('unload', () => unloads++);
      await teardown(homey);
      await teardown(homey);
      assert.strictEqual(unloads, 1);
      assert.strictEqual(homey.activeTimerCount(), 0);
      await new Promise((r) => setTimeout(r, 80));
      assert.deepStrictEqual(fired, ['soon']);
    });

    it('fires tracked timers on demand without waiting for real time', async () => {
      const ticks: string[] = [];
      const iv = homey.setInterval(async () => { ticks.push('poll'); }, 3_600_000);
      let to: NodeJS.Timeout | undefined = undefined;
      homey.setTimeout(() => { ticks.push('first'); homey.clearTimeout(to); }, 3_600_000);
      to = homey.setTimeout(() => ticks.push('cleared before it ran'), 3_600_000);
      assert.strictEqual(await homey.fireTimers('interval'), 1);
      assert.strictEqual(await homey.fireTimers(), 3);
      assert.deepStrictEqual(ticks, ['poll', 'poll', 'first']);
      assert.strictEqual(homey.activeTimerCount(), 1);
      homey.clearInterval(iv);
      assert.strictEqual(homey.activeTimerCount(), 0);
    });

    it('translates with dotted keys, tags, language fallback and missing keys', () => {
      assert.strictEqual(homey.__('greeting', { name: 'Ada' }), 'Hello Ada');
      assert.strictEqual(homey.__('nested.deep', { a: 1 }), 'Deep 1 and 1');
      assert.strictEqual(homey.__('no.such.key'), 'no.such.key');
      const nl = createHomey({ appRoot: root, language: 'nl' });
      assert.strictEqual(nl.__('greeting', { name: 'Ada' }), 'Hallo Ada');
      assert.strictEqual(nl.__('only_en'), 'English');
      assert.strictEqual(nl.__({ en: 'Hi', nl: 'Hoi' }), 'Hoi');
      assert.strictEqual(nl.i18n.getLanguage(), 'nl');
    });

    it('records redacted log lines and keeps the raw ones for secret scans', async () => {
      registerSecret('s3cr3t-key');
      const app = await startApp(TestApp, homey);
      await Promise.reject(new Error('request failed with key s3cr3t-key')).catch(app.error);
      assert.strictEqual(homey.app, app);
      assert.match(homey.logText(), /password=\*\*\*/);
      assert.doesNotMatch(homey.logText(), /hunter22|s3cr3t-key/);
      assert.ok(homey.logs.some((l) => l.raw.includes('s3cr3t-key')));
      assert.deepStrictEqual(homey.logs.map((l) => [l.level, l.source]), [['log', 'App'], ['error', 'App']]);
    });

    it('records realtime events and exposes manifest, platform, drivers', async () => {
      const { driver } = await setup();
      homey.api.realtime('balancer.state', { l1: 10 });
      assert.deepStrictEqual(homey.api.realtimeEvents, [{ event: 'balancer.state', data: { l1: 10 } }]);
      assert.strictEqual(homey.manifest.id, 'test.standin');
      assert.strictEqual(homey.platform, 'local');
      assert.strictEqual(homey.drivers.getDriver('x'), driver);
      assert.throws(() => homey.drivers.getDriver('y'), /Driver not found/);
      assert.match(await homey.api.getLocalUrl(), /test\.standin/);
      await homey.notifications.createNotification({ excerpt: 'Fuse overloaded' });
      await assert.rejects(homey.notifications.createNotification({ excerpt: '' }), /non-empty/);
      assert.deepStrictEqual(homey.notifications.sent, ['Fuse overloaded']);
    });
  });

  describe('discovery', () => {
    const lamp = (over: Partial<MdnsAnnouncement> = {}): MdnsAnnouncement => ({
      service: '_lamp._tcp', name: 'lamp-1', address: '192.168.1.30', port: 80, txt: { ID: 'L1', Vendor: 'acme' }, ...over,
    });

    it('gives the declared strategies, the driver its own, and throws for an undeclared id', async () => {
      const strategy = homey.discovery.getStrategy('lamp');
      assert.strictEqual(strategy.type, 'mdns-sd');
      assert.strictEqual(homey.discovery.getStrategy('lamp'), strategy, 'the same object every time');
      assert.deepStrictEqual(strategy.getDiscoveryResults(), {});
      assert.throws(() => homey.discovery.getStrategy('hwenergy'), /no discovery strategy "hwenergy"/);
      const { driver } = await setup();
      assert.strictEqual(driver.getDiscoveryStrategy(), strategy);
      class Plain extends Homey.Driver {}
      const plain = await startDriver(Plain, XDevice, { homey, id: 'plain' });
      assert.throws(() => plain.getDiscoveryStrategy(), /declares no "discovery"/);
    });

    it('records announcements of its service that pass the conditions, with lowercased TXT keys and the id template', () => {
      const strategy = homey.discovery.getStrategy('lamp');
      const seen: string[] = [];
      strategy.on('result', (r: { id: string }) => seen.push(r.id));
      assert.deepStrictEqual(homey.discovery.announceMdns(lamp()), ['any_lamp', 'lamp']);
      const r = strategy.getDiscoveryResult('L1');
      assert.deepStrictEqual({ ...r.txt }, { id: 'L1', vendor: 'acme' });
      assert.deepStrictEqual([r.address, r.port, r.name, r.host, r.fullname], ['192.168.1.30', 80, 'lamp-1', 'lamp-1.local', 'lamp-1._lamp._tcp.local']);
      assert.ok(r.lastSeen instanceof Date);
      // Without an id template the instance name is the id.
      assert.deepStrictEqual(Object.keys(homey.discovery.getStrategy('any_lamp').getDiscoveryResults()), ['lamp-1']);
      // Second condition list (regex on the name) instead of the vendor.
      homey.discovery.announceMdns(lamp({ name: 'acme-2', txt: { id: 'L2', vendor: 'other' } }));
      // Neither condition list, another service, no id: not recorded here.
      assert.deepStrictEqual(homey.discovery.announceMdns(lamp({ name: 'x-3', txt: { id: 'L3', vendor: 'other' } })), ['any_lamp']);
      assert.deepStrictEqual(homey.discovery.announceMdns(lamp({ service: '_http._tcp', txt: { id: 'L4', vendor: 'acme' } })), []);
      assert.deepStrictEqual(homey.discovery.announceMdns(lamp({ txt: { vendor: 'acme' } })), ['any_lamp']);
      assert.deepStrictEqual(Object.keys(strategy.getDiscoveryResults()), ['L1', 'L2']);
      assert.deepStrictEqual(seen, ['L1', 'L2']);
      assert.throws(() => strategy.getDiscoveryResult('L3'), /no result "L3"/);
    });

    it('updates a result seen again (addressChanged, lastSeenChanged, no new result event) and removes it', () => {
      const strategy = homey.discovery.getStrategy('lamp');
      homey.discovery.announceMdns(lamp());
      const r = strategy.getDiscoveryResult('L1');
      const events: string[] = [];
      strategy.on('result', () => events.push('result'));
      r.on('addressChanged', (x: { address: string }) => events.push(`address ${x.address}`));
      r.on('lastSeenChanged', () => events.push('lastSeen'));
      homey.discovery.announceMdns(lamp());
      homey.discovery.announceMdns(lamp({ address: '192.168.1.31' }));
      assert.deepStrictEqual(events, ['lastSeen', 'address 192.168.1.31', 'lastSeen']);
      assert.strictEqual(strategy.getDiscoveryResult('L1'), r);
      assert.strictEqual(r.address, '192.168.1.31');
      homey.discovery.removeResult('lamp', 'L1');
      assert.deepStrictEqual(strategy.getDiscoveryResults(), {});
      assert.throws(() => homey.discovery.removeResult('lamp', 'L1'), /no result "L1"/);
    });

    it('reads the real app\'s strategies', () => {
      const real = createHomey();
      try {
        assert.deepStrictEqual(Object.keys(real.appManifest.discovery()).sort(), ['goe_http', 'goe_legacy', 'homewizard_energy', 'homewizard_v2']);
        const ids = real.discovery.announceMdns({ service: '_hwenergy._tcp', name: 'p1meter-aabbcc', address: '192.168.1.20', port: 80, txt: { serial: '3c39e7aabbcc', product_type: 'HWE-P1' } });
        assert.deepStrictEqual(ids, ['homewizard_energy']);
        assert.deepStrictEqual(Object.keys(real.discovery.getStrategy('homewizard_energy').getDiscoveryResults()), ['3c39e7aabbcc']);
      } finally {
        real.clearAllTimers();
      }
    });
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

  describe('pairing', () => {
    it('calls pair handlers, lists devices and adds one', async () => {
      const driver = await startDriver(XDriver, XDevice, { homey, id: 'x' });
      const session = startPairSession(driver);
      await assert.rejects(session.call('login', { username: 'me', password: 'wrong' }), /Wrong password/);
      assert.strictEqual(await session.call('login', { username: 'me', password: 'right' }), true);
      const list = await session.call('list_devices');
      const device = await session.addDevice<XDevice>(list[0]);
      assert.strictEqual(device.getStoreValue('token'), 't');
      assert.strictEqual(driver.getDevice({ id: 'g1' }) as unknown, device);
      await assert.rejects(session.addDevice(list[0]), /already exists/);
      await assert.rejects(session.call('nope'), /no handler for "nope"/);
      session.respondTo('ask', (data) => `answer to ${data}`);
      assert.strictEqual(await session.emit('ask', 'q'), 'answer to q');
      assert.deepStrictEqual(session.emitted, [{ event: 'ask', data: 'q' }]);
      let disconnected = false;
      session.setHandler('disconnect', async () => { disconnected = true; });
      await session.close();
      assert.ok(disconnected);
      await assert.rejects(session.call('list_devices'), /after the session was closed/);
    });

    it('refuses a session whose custom view has no file (the repair view here; homey app validate misses those)', async () => {
      const driver = await startDriver(Homey.Driver, Homey.Device, { homey, id: 'y' });
      assert.ok(startPairSession(driver));
      const device = await addDevice(driver, { name: 'Y', data: { id: 'y1' } });
      assert.throws(() => startRepairSession(driver, device), /the repair view drivers\/y\/repair\/key\.html is missing/);
    });

    it('falls back to onPairListDevices and runs repair sessions against the device', async () => {
      class ListDriver extends Homey.Driver {
        async onPairListDevices(): Promise<any[]> {
          return [{ name: 'A', data: { id: 'a' } }];
        }
      }
      const driver = await startDriver(ListDriver, XDevice, { homey, id: 'x' });
      assert.deepStrictEqual(await startPairSession(driver).call('list_devices'), [{ name: 'A', data: { id: 'a' } }]);
      const { driver: xd, device } = await (async () => {
        const h2 = createHomey({ appRoot: root });
        const d = await startDriver(XDriver, XDevice, { homey: h2, id: 'x' });
        const dev = await addDevice(d, { name: 'G', data: { id: 'g' } });
        return { driver: d, device: dev, h2 };
      })();
      const repair = startRepairSession(xd, device);
      assert.strictEqual(await repair.call('login', { password: 'new' }), true);
      assert.strictEqual(device.getStoreValue('password'), 'new');
      await teardown(xd.homey as any);
    });
  });
});

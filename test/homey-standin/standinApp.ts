/**
 * The app the stand-in's own tests run against (test/homey-standin.test.ts and test/homey-standin/*.test.ts): a
 * throw-away app folder with two drivers, flow cards, discovery strategies and locales, the classes of driver x, and
 * the hooks those files share (one app folder per file, a fresh Homey per test, torn down after it).
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import Homey from 'homey';
import { addDevice, createHomey, startDriver, teardown } from './harness';
import type { StandinHomey } from './homey';

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

export class XDriver extends Homey.Driver {
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

export class XDevice extends Homey.Device {
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

/**
 * Registers the shared hooks in the calling describe: `bind` gets the app folder and each test's fresh Homey; the
 * returned setup() starts driver x with the device Garage on that Homey.
 */
export function useStandinApp(
  bind?: (ctx: { root: string; homey: StandinHomey }) => void,
): () => Promise<{ driver: XDriver; device: XDevice }> {
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
    bind?.({ root, homey });
  });
  afterEach(async () => {
    await teardown(homey);
  });

  return async function setup(): Promise<{ driver: XDriver; device: XDevice }> {
    const driver = await startDriver(XDriver, XDevice, { homey, id: 'x' });
    const device = await addDevice(driver, { name: 'Garage', data: { id: 'g1' } });
    return { driver, device };
  };
}

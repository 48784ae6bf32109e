/**
 * lib/app/meterFeed.ts: the app's one meter source in front of the real controller. HomeWizard meters answer in
 * process (the emulator's payload, no network), on a manual clock, so every step is deterministic.
 */
import assert from 'assert';
import { MeterFeed } from '../lib/app/meterFeed';
import type { MeterSample } from '../lib/balancer/types';
import { ManualClock } from '../lib/clock';
import { Controller } from '../lib/controller';
import type { HttpTransport } from '../lib/http';
import { HomeWizardEmulator } from '../tools/emulators/homewizard';
import { AppSettings, defaultAppSettings } from '../lib/settings';

describe('app: the meter feed', () => {
  let clock: ManualClock;
  let controller: Controller;
  let feed: MeterFeed;
  let seen: MeterSample[];
  let lines: string[];
  let meters: Map<string, HomeWizardEmulator>;
  /** Answers held back per host (a slow meter), released by the test. */
  let held: Map<string, () => void>;

  const homewizard = (host: string, over: Partial<AppSettings> = {}): AppSettings => ({
    ...defaultAppSettings(), ...over, meter: { source: 'homewizard', host, deviceId: null, serial: null },
  });

  const transport: HttpTransport = async (req) => {
    const host = new URL(req.url).host;
    const emu = meters.get(host);
    if (!emu) throw new Error(`${host} is unreachable`);
    if (held.has(host)) await new Promise<void>((resolve) => held.set(host, resolve));
    return { status: 200, headers: { 'content-type': 'application/json' }, text: JSON.stringify(emu.data()) };
  };

  beforeEach(() => {
    clock = new ManualClock(Date.UTC(2025, 5, 1, 12));
    meters = new Map([
      ['192.168.1.20', new HomeWizardEmulator({ clock, trace: () => [1, 2, 3] })],
      ['192.168.1.44', new HomeWizardEmulator({ clock, trace: () => [7, 8, 9] })],
    ]);
    held = new Map();
    seen = [];
    lines = [];
    controller = new Controller({ clock, settings: defaultAppSettings() });
    feed = new MeterFeed({
      clock,
      http: transport,
      homeyApi: () => Promise.reject(new Error('no Homey Web API here')),
      sink: {
        onSample: (s) => {
          seen.push(s);
          controller.onSample(s);
        },
        setMeterError: (e) => controller.setMeterError(e),
      },
      log: (line) => lines.push(line),
      error: (line) => lines.push(`error: ${line}`),
    });
  });

  afterEach(() => feed.stop());

  it('takes the first reading of a meter that replaced another, also when the old one stopped at its first', async () => {
    await feed.configure(homewizard('192.168.1.20'));
    await clock.advance(0);
    assert.deepStrictEqual(controller.liveView().measuredA, [1, 2, 3]);
    await feed.configure(homewizard('192.168.1.44'));
    await clock.advance(0);
    assert.deepStrictEqual(seen.map((s) => [s.seq, s.currentsA[2]]), [[1, 3], [2, 9]], 'the new source numbers on');
    assert.deepStrictEqual(controller.liveView().measuredA, [7, 8, 9], 'the balancer took it as new');
    await clock.advance(1000);
    assert.deepStrictEqual(seen.map((s) => s.seq), [1, 2, 3]);
  });

  it('restarts the source only when its settings change (staleAfterS only for a Homey device)', async () => {
    await feed.configure(homewizard('192.168.1.20'));
    await feed.configure(homewizard('192.168.1.20', { fuseA: 35, staleAfterS: 30 }));
    assert.deepStrictEqual(lines, ['meter source: homewizard']);
    await feed.configure({ ...defaultAppSettings(), meter: { source: 'homey-device', deviceId: 'p1', host: null, serial: null } });
    await feed.configure({ ...defaultAppSettings(), staleAfterS: 30, meter: { source: 'homey-device', deviceId: 'p1', host: null, serial: null } });
    assert.deepStrictEqual(lines.slice(1), ['meter source: homey-device', 'meter source: homey-device']);
    assert.strictEqual(controller.liveView().meter.error, 'Cannot read the meter device (id p1): no Homey Web API here; retrying in 1 s');
  });

  it('a stopped source\'s late answer never reaches the balancer', async () => {
    held.set('192.168.1.20', () => undefined);
    await feed.configure(homewizard('192.168.1.20'));
    const switching = feed.configure(homewizard('192.168.1.44'));
    await clock.advance(0);
    assert.strictEqual(seen.length, 0, 'the switch waits for the old poll to end');
    held.get('192.168.1.20')?.();
    await switching;
    await clock.advance(0);
    assert.deepStrictEqual(seen.map((s) => s.currentsA), [[7, 8, 9]]);
  });

  it('the flow card feeds the balancer only while it is the meter source, with one clear line otherwise', async () => {
    await feed.configure(defaultAppSettings());
    feed.report([4, 5, 6]);
    assert.deepStrictEqual(controller.liveView().measuredA, [4, 5, 6]);
    await feed.configure(homewizard('192.168.1.20'));
    assert.throws(() => feed.report([4, 5, 6]), /^.*the meter source is "homewizard"; choose "Flow card" as meter source on the settings page to use this card$/);
  });
});

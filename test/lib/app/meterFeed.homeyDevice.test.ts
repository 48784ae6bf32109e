/**
 * lib/app/meterFeed.ts with the meter source 'homey-device', in front of the real controller, on a ManualClock: when the
 * Homey Web API is not ready at start (just after boot) or its creation timed out, the feed's source tries again with
 * back-off, the Web API is asked for again (the app creates it anew after a failure), and the meter's readings reach
 * the balancer. Before, one failed start left the balancer without samples until the settings changed.
 */
import assert from 'assert';
import { MeterFeed } from '../../../lib/app/meterFeed';
import { ManualClock } from '../../../lib/clock';
import { Controller } from '../../../lib/controller';
import type { HomeyApiLike } from '../../../lib/meter/homeyDevice';
import { AppSettings, defaultAppSettings } from '../../../lib/settings';
import { FakeHomeyApi, type FakeDevice } from '../meter/fakeHomeyApi';

const HOMEY_DEVICE: AppSettings = { ...defaultAppSettings(), meter: { source: 'homey-device', deviceId: 'p1', host: null, serial: null } };

describe('app: the meter feed on a Homey device after a passing failure at start', () => {
  let clock: ManualClock;
  let api: FakeHomeyApi;
  let p1: FakeDevice;
  let controller: Controller;
  let feed: MeterFeed;
  let samples: number;
  let apiCalls: number;
  /** What the next homeyApi() call does (the app's: created once, again after a failure). */
  let nextApi: () => Promise<HomeyApiLike>;

  beforeEach(() => {
    clock = new ManualClock(Date.UTC(2025, 5, 1, 12));
    api = new FakeHomeyApi(clock);
    p1 = api.addMeter('homewizard', { id: 'p1', currentsA: [5, 2, 3] });
    controller = new Controller({ clock, settings: defaultAppSettings() });
    samples = 0;
    apiCalls = 0;
    nextApi = () => Promise.resolve(api);
    feed = new MeterFeed({
      clock,
      http: () => Promise.reject(new Error('no HTTP here')),
      homeyApi: () => {
        apiCalls++;
        return nextApi();
      },
      sink: {
        onSample: (s) => {
          samples++;
          controller.onSample(s);
        },
        setMeterError: (e) => controller.setMeterError(e),
      },
      log: () => undefined,
      error: () => undefined,
    });
  });

  afterEach(() => feed.stop());

  /** A minute of a meter whose values change every second. */
  async function aMinute(): Promise<void> {
    for (let i = 0; i < 60; i++) {
      p1.setPhaseCurrents([5 + (i % 3), 2, 3]);
      await clock.advance(1000);
    }
  }

  it('"Homey API not ready" at start: the meter feeds the balancer a second later', async () => {
    api.failWith = new Error('Homey API not ready');
    await feed.configure(HOMEY_DEVICE);
    assert.strictEqual(controller.liveView().meter.error, 'Cannot read the meter device (id p1): Homey API not ready; retrying in 1 s');
    api.failWith = null;
    await aMinute();
    assert.ok(samples >= 50, `${samples} samples in a minute`);
    assert.strictEqual(controller.liveView().meter.error, null);
    assert.deepStrictEqual(controller.liveView().measuredA, [5 + (59 % 3), 2, 3]);
  });

  it('the Homey Web API timed out once at start: it is asked for again and the meter feeds the balancer', async () => {
    nextApi = () => {
      nextApi = () => Promise.resolve(api);
      return Promise.reject(new Error('the Homey Web API did not answer within 10 s'));
    };
    await feed.configure(HOMEY_DEVICE);
    assert.match(controller.liveView().meter.error ?? '', /the Homey Web API did not answer within 10 s; retrying in 1 s$/);
    await aMinute();
    assert.strictEqual(apiCalls, 2);
    assert.ok(samples >= 50, `${samples} samples in a minute`);
    assert.strictEqual(controller.liveView().meter.error, null);
  });

  it('another meter source chosen while it waits to retry: the retry is cancelled', async () => {
    api.failWith = new Error('Homey API not ready');
    await feed.configure(HOMEY_DEVICE);
    await feed.configure(defaultAppSettings()); // the flow card
    api.failWith = null;
    await aMinute();
    assert.strictEqual(apiCalls, 1);
    assert.strictEqual(samples, 0);
    assert.strictEqual(p1.listenerCount(), 0);
  });
});

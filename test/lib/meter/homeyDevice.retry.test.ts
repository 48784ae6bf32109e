/**
 * lib/meter/homeyDevice.ts, start: a passing failure (the Homey Web API not created in time, or "not ready" just after
 * boot) is tried again after a back-off of 1 s doubling to 60 s on the injected clock, until the meter answers; a
 * device that is gone or is no meter stays an error for the user, without retries; stop() cancels a pending retry and
 * an attempt still in flight. Before, one failed start meant no samples until the settings changed or the app restarted.
 */
import assert from 'assert';
import type { MeterSample } from '../../../lib/balancer/types';
import { ManualClock } from '../../../lib/clock';
import { HomeyDeviceSource, type HomeyApiLike } from '../../../lib/meter/homeyDevice';
import { FakeHomeyApi } from './fakeHomeyApi';

const T0 = Date.UTC(2025, 5, 1, 12);

function rig(apiFor: (api: FakeHomeyApi, attempt: number) => Promise<HomeyApiLike> = (api) => Promise.resolve(api)) {
  const clock = new ManualClock(T0);
  const api = new FakeHomeyApi(clock);
  const p1 = api.addMeter('homewizard', { id: 'p1', name: 'HomeWizard P1', currentsA: [5, 2, 3] });
  let attempts = 0;
  const src = new HomeyDeviceSource({ api: () => apiFor(api, ++attempts), deviceId: 'p1', clock });
  const samples: MeterSample[] = [];
  const errors: (string | null)[] = [];
  src.onSample((s) => samples.push(s));
  src.onError((e) => errors.push(e));
  return { clock, api, p1, src, samples, errors, attempts: () => attempts };
}

describe('meter/homeyDevice: start after a passing failure', () => {
  it('"Homey API not ready" at start: tried again after 1 s, then the meter\'s changes are samples', async () => {
    const { clock, api, p1, src, samples, attempts } = rig();
    api.failWith = new Error('Homey API not ready');
    await src.start();
    assert.strictEqual(src.status().error, 'Cannot read the meter device (id p1): Homey API not ready; retrying in 1 s');
    api.failWith = null;
    await clock.advance(999);
    assert.strictEqual(attempts(), 1, 'not before the back-off ran out');
    await clock.advance(1);
    assert.strictEqual(attempts(), 2);
    assert.strictEqual(src.status().error, null);
    p1.setPhaseCurrents([8, 2, 3]);
    await clock.advance(200);
    assert.deepStrictEqual(samples.map((s) => s.currentsA), [[8, 2, 3]]);
    await src.stop();
    assert.strictEqual(clock.pendingTimers(), 0);
  });

  it('the Web API itself failed (10 s timeout): it is asked for again, and the meter comes through', async () => {
    const { clock, p1, src, samples, attempts } = rig((api, n) =>
      n === 1 ? Promise.reject(new Error('the Homey Web API did not answer within 10 s')) : Promise.resolve(api),
    );
    await src.start();
    assert.strictEqual(src.status().error, 'Cannot read the meter device (id p1): the Homey Web API did not answer within 10 s; retrying in 1 s');
    await clock.advance(1000);
    assert.strictEqual(attempts(), 2);
    assert.strictEqual(src.status().error, null);
    p1.setPhaseCurrents([6, 2, 3]);
    await clock.advance(200);
    assert.strictEqual(samples.length, 1);
    await src.stop();
  });

  it('backs off from 1 s doubling to 60 s while it keeps failing, one line each time, and starts afresh after a success', async () => {
    const { clock, api, src, errors, attempts } = rig();
    api.failWith = new Error('Homey API not ready\n    at Manager.getDevice (homey-api)');
    await src.start();
    const waitsS: number[] = [];
    for (let i = 0; i < 8; i++) {
      const waitS = Number(/retrying in (\d+(?:\.\d+)?) s$/.exec(src.status().error ?? '')?.[1]);
      waitsS.push(waitS);
      await clock.advance(waitS * 1000 - 1);
      assert.strictEqual(attempts(), i + 1, 'no attempt before the wait is over (no storm)');
      await clock.advance(1);
    }
    assert.deepStrictEqual(waitsS, [1, 2, 4, 8, 16, 32, 60, 60]);
    for (const e of errors) assert.ok(e === null || !/\n/.test(e), 'one line');
    api.failWith = null;
    await clock.advance(60_000);
    assert.strictEqual(src.status().error, null);
    await src.stop();
    api.failWith = new Error('Homey API not ready');
    await src.start();
    assert.match(src.status().error ?? '', /retrying in 1 s$/, 'a new start backs off from 1 s again');
    await src.stop();
  });

  it('a device that is gone, or is no meter, stays an error for the user: no retry', async () => {
    const { clock, api, src, attempts } = rig();
    api.removeDevice('p1');
    await src.start();
    assert.strictEqual(src.status().error, 'The meter device (id p1) no longer exists in Homey; choose another meter in the app settings');
    assert.strictEqual(clock.pendingTimers(), 0);
    api.addMeter('lamp', { id: 'lamp', name: 'Kitchen lamp' });
    const lamp = new HomeyDeviceSource({ api, deviceId: 'lamp', clock });
    await lamp.start();
    assert.match(lamp.status().error ?? '', /^"Kitchen lamp" reports no per-phase current or power/);
    await clock.advance(300_000);
    assert.strictEqual(attempts(), 1);
    assert.strictEqual(clock.pendingTimers(), 0);
  });

  it('stop() cancels a pending retry, and an attempt in flight subscribes to nothing', async () => {
    let answer: ((api: HomeyApiLike) => void) | null = null;
    const { clock, api, p1, src, samples, attempts } = rig((_fake, n) => (n === 1 ? Promise.reject(new Error('not ready')) : new Promise((r) => (answer = r))));
    await src.start();
    await src.stop();
    assert.strictEqual(clock.pendingTimers(), 0, 'the retry timer is cleared');
    await clock.advance(120_000);
    assert.strictEqual(attempts(), 1);
    // started again: the first attempt is still waiting for the Web API when it stops
    const starting = src.start();
    await src.stop();
    answer!(api);
    await starting;
    p1.setPhaseCurrents([9, 9, 9]);
    await clock.advance(1000);
    assert.strictEqual(samples.length, 0);
    assert.strictEqual(p1.listenerCount(), 0);
    assert.strictEqual(api.managerListenerCount(), 0);
    assert.strictEqual(clock.pendingTimers(), 0);
  });
});

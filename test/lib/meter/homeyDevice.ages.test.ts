/**
 * A Homey-device meter without a total power reports only the phases that changed; an unchanged phase is carried
 * forward until staleAfterMs. The sample says how old each carried value is, so the balancer counts a phase stale
 * staleAfterS after its last change (regression: it restarted the phase's age on every sample, 30 s instead of 15).
 */
import assert from 'assert';
import { Balancer } from '../../../lib/balancer/balancer';
import { DEFAULT_BALANCER_CONFIG, type MeterSample } from '../../../lib/balancer/types';
import { ManualClock } from '../../../lib/clock';
import { HomeyDeviceSource } from '../../../lib/meter/homeyDevice';
import { chargerInput } from '../balancer/rig';
import { FakeHomeyApi } from './fakeHomeyApi';

describe('meter/homeyDevice: the age of a phase carried forward', () => {
  it('L2 stops changing while L1 changes every second: the balancer calls L2 stale staleAfterS after its last change', async () => {
    const clock = new ManualClock(Date.UTC(2025, 5, 1, 12));
    const api = new FakeHomeyApi(clock);
    const meter = api.addMeter('homewizard', { id: 'm', currentsA: [10, 10, 10], totalPower: false });
    const staleAfterS = DEFAULT_BALANCER_CONFIG.staleAfterS;
    const source = new HomeyDeviceSource({ api, deviceId: 'm', clock, staleAfterMs: staleAfterS * 1000 });
    let last: MeterSample | null = null;
    source.onSample((s) => (last = s));
    await source.start();
    const balancer = new Balancer(DEFAULT_BALANCER_CONFIG);
    const t0 = clock.monoMs();
    meter.setPhaseCurrents([11, 11, 11]); // L2's (and L3's) last change
    let staleAtS: number | null = null;
    const carriedAges: number[] = [];
    for (let s = 0; s < 40 && staleAtS === null; s++) {
      if (s > 0) {
        meter.setCapabilityValue('measure_current.l1', 10 + (s % 2));
        meter.setCapabilityValue('measure_power.l1', 2300 + (s % 2) * 230);
      }
      await clock.advance(1000);
      const sample = last as MeterSample | null;
      if (sample?.currentsA[1] !== null && sample?.ageMs?.[1]) carriedAges.push(sample.ageMs[1]);
      if (balancer.step(clock.monoMs(), sample, [chargerInput({ measuredA: [0, 0, 0] })]).stale) staleAtS = (clock.monoMs() - t0) / 1000;
    }
    await source.stop();
    assert.ok(carriedAges.length > 5 && carriedAges.every((a, i) => i === 0 || a >= carriedAges[i - 1]) && carriedAges[carriedAges.length - 1] > 10_000, `ages grow: ${carriedAges.join(', ')}`);
    assert.ok(staleAtS !== null && staleAtS <= staleAfterS + 1, `stale at ${staleAtS} s (after ${staleAfterS} s)`);
  });
});

import assert from 'assert';
import { ManualClock } from '../../../lib/clock';
import type { MeterSample, Triple } from '../../../lib/balancer/types';
import { HomeyDeviceSource, homeyTimeMs, listMeterDevices, resolveMeterCapabilities } from '../../../lib/meter/homeyDevice';
import { FakeHomeyApi, type MeterFamily, METER_FAMILIES } from './fakeHomeyApi';

const T0 = Date.UTC(2025, 5, 1, 12);

async function started(
  family: MeterFamily,
  currentsA: Triple<number | null>,
  opts: { phases?: number; voltageV?: number; staleAfterMs?: number; totalPower?: boolean } = {},
) {
  const clock = new ManualClock(T0);
  const api = new FakeHomeyApi(clock);
  const device = api.addMeter(family, { id: 'meter', name: 'House meter', currentsA, phases: opts.phases, voltageV: opts.voltageV, totalPower: opts.totalPower });
  const src = new HomeyDeviceSource({ api, deviceId: 'meter', clock, staleAfterMs: opts.staleAfterMs });
  const samples: MeterSample[] = [];
  src.onSample((s) => samples.push(s));
  await src.start();
  return { clock, api, device, src, samples };
}

describe('meter/homeyDevice', () => {
  describe('capability resolution', () => {
    const cases: [MeterFamily, string, 'current' | 'power'][] = [
      ['homewizard', 'measure_current.l1', 'current'],
      ['tibber', 'measure_current.L1', 'current'],
      ['energyDongle', 'measure_current.phase1', 'current'],
      ['easee', 'measure_current.L1', 'current'],
      ['powerOnly', 'measure_power.p1', 'power'],
      ['powerVoltage', 'measure_power.phase1', 'power'],
    ];
    for (const [family, l1Id, basis] of cases) {
      it(`resolves ${family} (${l1Id})`, () => {
        const caps = resolveMeterCapabilities(new FakeHomeyApi(new ManualClock()).addMeter(family).capabilities);
        assert.strictEqual(caps.basis, basis);
        assert.strictEqual(caps.phaseCount, 3);
        assert.strictEqual(basis === 'current' ? caps.phases[0].currentId : caps.phases[0].powerId, l1Id);
        assert.strictEqual(caps.phases[2][basis === 'current' ? 'currentId' : 'powerId'], l1Id.replace(/1$/, '3'));
        assert.strictEqual(caps.totalPowerId, 'measure_power');
      });
    }

    it('matches other spellings case-insensitively and ignores look-alikes', () => {
      const caps = resolveMeterCapabilities(['measure_current.Phase2', 'measure_power.pgrid', 'measure_power.ppv', 'measure_current', 'measure_voltage.P2']);
      assert.deepStrictEqual(caps.phases.map((p) => p.currentId), [null, 'measure_current.Phase2', null]);
      assert.deepStrictEqual(caps.phases.map((p) => p.powerId), [null, null, null]);
      assert.strictEqual(caps.phases[1].voltageId, 'measure_voltage.P2');
      assert.strictEqual(caps.phaseCount, 1);
      assert.strictEqual(resolveMeterCapabilities(['measure_current', 'measure_power']).basis, null);
    });

    it('lists every meter (whole-home meters first) with ids and last values, and skips non-meters', async () => {
      const clock = new ManualClock(T0);
      const api = new FakeHomeyApi(clock);
      const power = api.addMeter('powerOnly', { id: 'a', name: 'A power meter', currentsA: [0, 0, 0] });
      power.setCapabilityValue('measure_power.p1', 2300);
      api.addMeter('tibber', { id: 'b', name: 'Pulse', currentsA: [1, -2, 3] });
      api.addMeter('homewizard', { id: 'c', name: 'P1', currentsA: [5, 2, -3], atMs: T0 - 5000 });
      api.addMeter('charger', { id: 'd', name: 'go-e' });
      api.addMeter('lamp', { id: 'e', name: 'Lamp' });
      const list = await listMeterDevices(api);
      assert.deepStrictEqual(list.map((c) => c.id), ['c', 'b', 'a']);
      const p1 = list[0];
      assert.strictEqual(p1.driverId, METER_FAMILIES.homewizard.driverId);
      assert.deepStrictEqual(p1.lastCurrentsA, [5, 2, -3]);
      assert.strictEqual(p1.lastUpdatedMs, T0 - 5000);
      assert.deepStrictEqual(list[1].lastCurrentsA, [1, 2, 3], 'Tibber currents are unsigned');
      assert.deepStrictEqual(list[2].lastCurrentsA, [10, 0, 0], 'P/230 V');
    });

    it('reads lastUpdated as ISO text, Date or number', () => {
      assert.strictEqual(homeyTimeMs('2025-06-01T12:00:00.000Z'), T0);
      assert.strictEqual(homeyTimeMs(new Date(T0)), T0);
      assert.strictEqual(homeyTimeMs(T0), T0);
      assert.strictEqual(homeyTimeMs('yesterday'), null);
      assert.strictEqual(homeyTimeMs(undefined), null);
    });
  });

  describe('HomeyDeviceSource', () => {
    const expected: [MeterFamily, Triple<number | null>, Triple<number | null>][] = [
      // family, currents set by the owning app, currents the source reports
      ['homewizard', [8.7, 2, -3.4], [8.7, 2, -3.4]], // whole amps refined by P/U, signed
      ['tibber', [8.7, 2, -3.4], [8.7, 2, 3.4]], // unsigned current only: export looks like import
      ['energyDongle', [8.7, 2, -3.4], [8.7, 2, -3.4]],
      ['easee', [8.7, 2, -3.4], [8.7, 2, 3.4]],
      ['powerOnly', [8.7, 2, -3.4], [8.7, 2, -3.4]], // P/230
      ['powerVoltage', [8.7, 2, -3.4], [8.7, 2, -3.4]],
    ];
    for (const [family, set, want] of expected) {
      it(`${family}: one coalesced sample per update with signed currents`, async () => {
        const { clock, device, src, samples } = await started(family, [1, 1, 1]);
        assert.strictEqual(samples.length, 0, 'the values Homey holds at start are no news');
        device.setPhaseCurrents(set);
        await clock.advance(250);
        assert.strictEqual(samples.length, 1, 'the capability events became one sample');
        assert.strictEqual(samples[0].seq, 1);
        const got = samples[0].currentsA.map((a) => (a === null ? null : Math.round(a * 10) / 10));
        assert.deepStrictEqual(got, want);
        assert.strictEqual(src.status().error, null);
        await src.stop();
      });
    }

    it('uses the reported voltage for power-only phases (I = P/U)', async () => {
      const { clock, device, samples } = await started('powerVoltage', [0, 0, 0], { voltageV: 240 });
      device.setCapabilityValue('measure_power.phase2', -2400);
      await clock.advance(250);
      assert.deepStrictEqual(samples.at(-1)!.currentsA, [0, -10, 0]);
    });

    it('handles a 1-phase meter', async () => {
      const { clock, device, samples, src } = await started('energyDongle', [4, null, null], { phases: 1 });
      assert.deepStrictEqual(src.capabilities!.phaseCount, 1);
      device.setPhaseCurrents([6, null, null]);
      await clock.advance(250);
      assert.deepStrictEqual(samples.at(-1)!.currentsA, [6, null, null]);
    });

    it('a heartbeat from total power alone produces a sample (the meter is alive)', async () => {
      const { clock, device, samples } = await started('homewizard', [3, 3, 3]);
      device.setCapabilityValue('measure_power', 2071);
      await clock.advance(250);
      assert.strictEqual(samples.length, 1);
      assert.deepStrictEqual(samples[0].currentsA, [3, 3, 3], 'the total (2071 W) vouches for the phases');
      device.setCapabilityValue('measure_power', 2072);
      await clock.advance(250);
      assert.deepStrictEqual(samples.map((s) => s.seq), [1, 2]);
    });

    it('emits nothing at start, whatever Homey stamped the values with; the first change emits', async () => {
      const clock = new ManualClock(T0);
      const api = new FakeHomeyApi(clock);
      api.addMeter('easee', { id: 'fresh', currentsA: [1, 2, 3], atMs: T0 - 1000 });
      api.addMeter('easee', { id: 'future', currentsA: [1, 2, 3], atMs: T0 + 3_600_000 }); // stamped before an NTP step back
      api.addMeter('easee', { id: 'old', currentsA: [1, 2, 3], atMs: T0 - 3_600_000 });
      const got: Record<string, MeterSample[]> = {};
      const sources: Record<string, HomeyDeviceSource> = {};
      for (const id of ['fresh', 'future', 'old']) {
        sources[id] = new HomeyDeviceSource({ api, deviceId: id, clock });
        got[id] = [];
        sources[id].onSample((s) => got[id].push(s));
        await sources[id].start();
      }
      await clock.advance(1000);
      assert.deepStrictEqual([got.fresh, got.future, got.old], [[], [], []], 'held values of unknown age are not handed over as new');
      assert.deepStrictEqual(sources.old.status().perPhaseAgeS, [null, null, null]);
      assert.strictEqual(sources.old.status().lastSampleMs, null);
      // Each meter speaks again: the same answer whatever the stamps said. The unchanged L2 and L3 are
      // vouched for by the total power (which moved with L1).
      for (const id of ['fresh', 'future', 'old']) api.getFake(id).setPhaseCurrents([4, 2, 3]);
      await clock.advance(250);
      for (const id of ['fresh', 'future', 'old']) {
        assert.deepStrictEqual(got[id].map((s) => [s.seq, s.timeMs, s.currentsA]), [[1, T0 + 1200, [4, 2, 3]]], id);
      }
    });

    it('reports a deleted source device clearly, stops, and releases every listener', async () => {
      const { clock, api, device, src, samples } = await started('homewizard', [3, 3, 3]);
      const errors: (string | null)[] = [];
      src.onError((e) => errors.push(e));
      assert.ok(device.listenerCount() > 0 && api.managerListenerCount() === 1 && api.connected);
      api.removeDevice('meter');
      assert.deepStrictEqual(errors, ['The meter device "House meter" was deleted from Homey; choose another meter in the app settings']);
      assert.strictEqual(src.status().error, errors[0]);
      device.setPhaseCurrents([9, 9, 9]);
      await clock.advance(1000);
      assert.strictEqual(samples.length, 0);
      assert.strictEqual(device.listenerCount(), 0);
      assert.strictEqual(api.managerListenerCount(), 0);
    });

    it('also notices a deletion announced only by the devices manager', async () => {
      const { api, src } = await started('tibber', [3, 3, 3]);
      api.removeDevice('meter', { managerEventOnly: true });
      assert.match(src.status().error!, /was deleted from Homey/);
    });

    it('reports a device that is gone before start, a non-meter, and an API failure', async () => {
      const clock = new ManualClock(T0);
      const api = new FakeHomeyApi(clock);
      api.addMeter('lamp', { id: 'lamp', name: 'Kitchen lamp' });
      const gone = new HomeyDeviceSource({ api, deviceId: 'nope', clock });
      await gone.start();
      assert.strictEqual(gone.status().error, 'The meter device (id nope) no longer exists in Homey; choose another meter in the app settings');
      const lamp = new HomeyDeviceSource({ api, deviceId: 'lamp', clock });
      await lamp.start();
      assert.match(lamp.status().error!, /^"Kitchen lamp" reports no per-phase current or power/);
      api.failWith = new Error('Homey API not ready');
      const failing = new HomeyDeviceSource({ api, deviceId: 'lamp', clock });
      await failing.start();
      assert.strictEqual(failing.status().error, 'Cannot read the meter device (id lamp): Homey API not ready; retrying in 1 s');
      await failing.stop();
      // A later start succeeds once the API answers and the device is a meter.
      api.failWith = null;
      api.addMeter('tibber', { id: 'pulse', currentsA: [1, 1, 1] });
      const retry = new HomeyDeviceSource({ api, deviceId: 'pulse', clock });
      await retry.start();
      assert.strictEqual(retry.status().error, null);
      assert.strictEqual(clock.pendingTimers(), 0, 'a gone device and a non-meter are not tried again; a stopped source\'s retry is cancelled');
    });

    it('stop() unsubscribes and cancels a pending sample', async () => {
      const { clock, api, device, src, samples } = await started('energyDongle', [1, 1, 1]);
      device.setPhaseCurrents([2, 2, 2]);
      await src.stop();
      await clock.advance(1000);
      assert.strictEqual(samples.length, 0);
      assert.strictEqual(device.listenerCount(), 0);
      assert.strictEqual(api.managerListenerCount(), 0);
      assert.strictEqual(clock.pendingTimers(), 0);
    });
  });
});

/**
 * Missing values are never 0: a phase current missing from a meter sample (null) and a charger whose current is not
 * known count at their last known value. Before the fix both counted as 0 A: a meter that left out L2/L3 showed
 * 2.79 kW for a 6.9 kW load over a 5 kW cap; after a restart, a cloud charger's unknown status for 60 s counted the
 * car's 11 kW as nothing (7.86 kW instead of 11.54 kW).
 */
import { strict as assert } from 'assert';
import type { MeterSample } from '../../lib/balancer/types';
import { samplePowerW } from '../../lib/capacity/budget';
import { CapacityGuard } from '../../lib/capacity/guard';
import { ch, smp, T0, ZONE } from './fixtures';

const cfg = { rule: 'fixed' as const, capKW: 5, periodMin: 15 as const, timeZone: ZONE };

describe('capacity guard: missing values count at their last known value', () => {
  it('samplePowerW: a null phase counts at its carried current (an import only), a sample without any is unknown', () => {
    const s = { timeMs: 0, currentsA: [10, null, null] } as MeterSample;
    assert.equal(samplePowerW(s, 230), 2300);
    assert.equal(samplePowerW(s, 230, [9, 10, -4]), 2300 + 2300);
    assert.equal(samplePowerW({ timeMs: 0, currentsA: [null, null, null] } as MeterSample, 230, [9, 10, 10]), null);
  });

  it('a meter that leaves out L2 and L3 (currents only): the load stays at 6.9 kW, over the 5 kW cap', () => {
    const g = new CapacityGuard(cfg);
    let m = 0;
    for (let t = 0; t < 60; t += 5) g.observe((m += 5000), T0 + t * 1000, { timeMs: T0 + t * 1000, currentsA: [10, 10, 10] } as MeterSample, []);
    for (let t = 60; t <= 600; t += 5) g.observe((m += 5000), T0 + t * 1000, { timeMs: T0 + t * 1000, currentsA: [10, null, null] } as MeterSample, []);
    const s = g.status();
    assert.equal(s.averageKW, 6.9);
    assert.equal(s.projectedKW, 6.9);
    assert.equal(s.headroomKW, 0);
  });

  it('after a restart, a charger whose current is not known yet: the import runs on at the last reading', () => {
        const a = new CapacityGuard({ ...cfg, capKW: 8 });
    a.observe(0, T0, smp(T0, 500 + 11040), [ch(16, 'cloud')]);
    a.observe(60_000, T0 + 60_000, smp(T0 + 60_000, 500 + 11040), [ch(16, 'cloud')]);
    const b = new CapacityGuard({ ...cfg, capKW: 8 }, { state: JSON.parse(JSON.stringify(a.getState())) as unknown });
    for (let t = 0; t <= 60; t++) b.observe(t * 1000, T0 + 120_000 + t * 1000, null, [ch(null, 'cloud')]);
    assert.equal(b.status().averageKW, 11.54);
  });

  it('a charger whose current goes missing counts at its last known current between meter readings', () => {
    const g = new CapacityGuard({ ...cfg, capKW: 20 });
    g.observe(0, T0, { timeMs: T0, currentsA: [0, 0, 0], powerW: 1000 } as MeterSample, [ch(0, 'cloud')]);
    g.observe(1000, T0 + 1000, null, [ch(10, 'cloud')]);
    // its status is lost for a minute; no meter reading either: 1 kW house + 6.9 kW car
    for (let s = 2; s <= 60; s++) g.observe(s * 1000, T0 + s * 1000, null, [ch(null, 'cloud')]);
    const avgKW = (1000 * 60 + 6900 * 59) / 60 / 1000; // 7.785 kW (it read 1.1 kW: the car as nothing)
    assert.ok(Math.abs(g.status().averageKW - avgKW) <= 0.006, `${g.status().averageKW} kW`);
  });
});

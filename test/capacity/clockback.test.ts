/**
 * The wall clock stepped back into an earlier period (an NTP correction): that period counts from its start at the
 * last known power. Before the fix its first part counted as zero: stepping back from 17:25 to 17:05 with 4 kW
 * steady showed 2.55 kW over 17:00–17:14 and left 1.3 kW more for the chargers than the 5 kW cap had.
 */
import { strict as assert } from 'assert';
import type { MeterSample } from '../../lib/balancer/types';
import { CapacityGuard } from '../../lib/capacity/guard';
import { emptyMonth, recordPeriod } from '../../lib/capacity/rules';
import type { CapacityConfig } from '../../lib/capacity/types';

const ZONE = 'Europe/Brussels';
/** Monday 13 January 2025, 17:00 in Brussels. */
const T0 = Date.UTC(2025, 0, 13, 16, 0);
const MIN = 60_000;
const smp = (w: number, p: number): MeterSample => ({ timeMs: w, currentsA: [p / 230, 0, 0], powerW: p }) as MeterSample;

describe('capacity guard: the wall clock steps back into an earlier period', () => {
  it('17:25 → 17:05 with 4 kW steady: the period 17:00–17:15 counts its first 5 minutes at 4 kW', () => {
    const g = new CapacityGuard({ rule: 'se-peaks', capKW: 5, periodMin: 15, timeZone: ZONE, sePeakCount: 3 });
    let mono = 0;
    for (let w = T0; w <= T0 + 25 * MIN; w += 10_000) g.observe((mono += 10_000), w, smp(w, 4000), []);
    const back = T0 + 5 * MIN;
    for (let w = back; w < back + 9 * MIN; w += 10_000) g.observe((mono += 10_000), w, smp(w, 4000), []);
    const s = g.status();
    assert.equal(s.periodStartMs, T0);
    assert.equal(s.averageKW, 4);
    assert.equal(s.projectedKW, 4);
    // closing it again records the period once (the hourly records of se-peaks: the hour 17:00 once, too)
    for (let w = back + 9 * MIN; w <= T0 + 61 * MIN; w += 10_000) g.observe((mono += 10_000), w, smp(w, 4000), []);
    assert.deepEqual(g.getState().month?.hourly?.top, [{ startMs: T0, averageKW: 4 }]);
    assert.equal(g.getState().month?.top.filter((p) => p.startMs === T0).length, 1);
  });

  it('a period recorded twice counts once in the N highest (the higher of the two)', () => {
    const cfg: CapacityConfig = { rule: 'se-peaks', capKW: 2, periodMin: 60, timeZone: ZONE, sePeakCount: 2 };
    const m = emptyMonth('2025-01');
    recordPeriod(m, cfg, { startMs: T0, averageKW: 6 });
    recordPeriod(m, cfg, { startMs: T0, averageKW: 5 });
    recordPeriod(m, cfg, { startMs: T0 + 2 * 3600_000, averageKW: 3 });
    assert.deepEqual(m.top.map((p) => p.averageKW), [6, 3]);
  });
});

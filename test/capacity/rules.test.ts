import { strict as assert } from 'assert';
import { billedKW, capInForce, countingPeaks, emptyMonth, recordPeriod } from '../../lib/capacity/rules';
import type { CapacityConfig } from '../../lib/capacity/types';

const ZONE = 'Europe/Oslo';
const cfg = (over: Partial<CapacityConfig>): CapacityConfig => ({ rule: 'fixed', capKW: 5, periodMin: 60, timeZone: ZONE, ...over });
/** Local hour `h` of January `d` 2025 in Oslo (UTC+1). */
const at = (d: number, h: number): number => Date.UTC(2025, 0, d, h - 1);

describe('capacity rules', () => {
  it('Norwegian steps: the average of the three highest hours on three different days', () => {
    const c = cfg({ rule: 'no-steps', capKW: 5 });
    const m = emptyMonth('2025-01');
    recordPeriod(m, c, { startMs: at(6, 18), averageKW: 6 });
    recordPeriod(m, c, { startMs: at(6, 19), averageKW: 7 }); // same day: only its highest counts
    recordPeriod(m, c, { startMs: at(7, 18), averageKW: 4 });
    recordPeriod(m, c, { startMs: at(8, 18), averageKW: 2 });
    assert.deepEqual(countingPeaks(m, c).map((p) => p.averageKW), [7, 4, 2]);
    assert.equal(billedKW(m, c), (7 + 4 + 2) / 3);
    // Jan 6 already counts with 7 kW: it may rise to its own peak without changing the step
    assert.equal(capInForce(m, c, at(6, 20)), 7);
    // a new day gets the step's bound (5); the third-highest other day (2 kW) is lower
    assert.equal(capInForce(m, c, at(9, 18)), 5);
    // Jan 8 (2 kW) may go to 5, the bound
    assert.equal(capInForce(m, c, at(8, 20)), 5);
  });

  it('Norwegian steps: an hour below the third-highest other day does not enter the three', () => {
    const c = cfg({ rule: 'no-steps', capKW: 5 });
    const m = emptyMonth('2025-01');
    for (const [d, kw] of [[1, 8], [2, 7], [3, 6], [4, 3]] as const) recordPeriod(m, c, { startMs: at(d, 18), averageKW: kw });
    assert.equal(capInForce(m, c, at(10, 18)), 6);
    // a new monthly peak is one that raises the average of the three: 6.5 on day 10 does
    assert.equal(recordPeriod(m, c, { startMs: at(10, 18), averageKW: 6.5 }), true);
    assert.equal(recordPeriod(m, c, { startMs: at(11, 18), averageKW: 5 }), false);
  });

  it('Flanders: the cap in force is the month\'s highest quarter-hour, never below 2.5 kW', () => {
    const c = cfg({ rule: 'month-peak', capKW: 2, periodMin: 15, timeZone: 'Europe/Brussels' });
    const m = emptyMonth('2025-01');
    assert.equal(capInForce(m, c, at(2, 10)), 2.5);
    recordPeriod(m, c, { startMs: at(2, 10), averageKW: 1.8 });
    assert.equal(capInForce(m, c, at(2, 11)), 2.5);
    assert.equal(recordPeriod(m, c, { startMs: at(2, 12), averageKW: 4.2 }), true);
    assert.equal(capInForce(m, c, at(3, 9)), 4.2);
    assert.equal(capInForce(emptyMonth('2025-01'), cfg({ rule: 'month-peak', capKW: 6 }), at(2, 10)), 6);
  });

  it('Swedish N peaks, weekday daytime only: nights and weekends carry no cap; the N-th highest counting hour lifts it', () => {
    const c = cfg({ rule: 'se-peaks', capKW: 4, sePeakCount: 2, seWeekdayDaytimeOnly: true, timeZone: 'Europe/Stockholm' });
    const m = emptyMonth('2025-01');
    // Monday 13 January 2025
    assert.equal(capInForce(m, c, at(13, 8)), 4);
    assert.equal(capInForce(m, c, at(13, 20)), null); // 20:00
    assert.equal(capInForce(m, c, at(11, 12)), null); // Saturday
    recordPeriod(m, c, { startMs: at(13, 9), averageKW: 6 });
    recordPeriod(m, c, { startMs: at(13, 10), averageKW: 5 }); // the same day counts twice
    recordPeriod(m, c, { startMs: at(13, 21), averageKW: 9 }); // night: does not count
    assert.deepEqual(countingPeaks(m, c).map((p) => p.averageKW), [6, 5]);
    assert.equal(capInForce(m, c, at(14, 9)), 5);
    // counting every hour instead, the night's 9 kW is the highest
    const all = { ...c, seWeekdayDaytimeOnly: false };
    assert.deepEqual(countingPeaks(m, all).map((p) => p.averageKW), [9, 6]);
  });
});

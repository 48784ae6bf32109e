/**
 * The hourly rules ('no-steps', 'se-peaks') with 15-minute periods read whole local hours: a quarter-hour above its
 * hour's average must not relax "this day's own highest hour" or "the N-th highest hour". Before the fix both rules
 * read the quarter-hours: three 9 kW quarters and one of 0.5 kW (an hour of 6.875 kW) let every later quarter-hour
 * of the day run at 9 kW, looser than the hourly rule (6.875 kW for no-steps, 5 kW for se-peaks).
 */
import { strict as assert } from 'assert';
import type { MeterSample } from '../../lib/balancer/types';
import { CapacityGuard } from '../../lib/capacity/guard';
import { capInForce, countingPeaks, emptyMonth, recordPeriod } from '../../lib/capacity/rules';
import type { CapacityConfig } from '../../lib/capacity/types';

const ZONE = 'Europe/Oslo';
const Q = 15 * 60_000;
const H = 3600_000;
/** Monday 13 January 2025, 08:00 in Oslo. */
const DAY = Date.UTC(2025, 0, 13, 7, 0);
const cfg = (rule: 'no-steps' | 'se-peaks', periodMin: 15 | 60): CapacityConfig => ({ rule, capKW: 5, periodMin, timeZone: ZONE, sePeakCount: 3 });

describe('capacity rules: hourly rules with 15-minute periods read whole hours', () => {
  for (const rule of ['no-steps', 'se-peaks'] as const) {
    it(`${rule}: quarter-hours of 9, 9, 9 and 0.5 kW relax the day only to their hour's 6.875 kW (or not at all)`, () => {
      const rec = emptyMonth('2025-01');
      [9, 9, 9, 0.5].forEach((kw, i) => recordPeriod(rec, cfg(rule, 15), { startMs: DAY + i * Q, averageKW: kw }));
      const hourly = emptyMonth('2025-01');
      recordPeriod(hourly, cfg(rule, 60), { startMs: DAY, averageKW: 6.875 });
      const later = DAY + 4 * H;
      assert.equal(capInForce(rec, cfg(rule, 15), later), capInForce(hourly, cfg(rule, 60), later));
      assert.equal(capInForce(rec, cfg(rule, 15), later), rule === 'no-steps' ? 6.875 : 5);
      assert.deepEqual(countingPeaks(rec, cfg(rule, 15)), [{ startMs: DAY, averageKW: 6.875 }]);
    });

    it(`${rule}: property: over random months the cap on a quarter-hour is never above the hourly rule's`, () => {
      let x = 7;
      const rnd = (): number => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      for (let run = 0; run < 20; run++) {
        const q = emptyMonth('2025-01');
        const h = emptyMonth('2025-01');
        for (let hour = 0; hour < 24 * 6; hour++) {
          const start = Date.UTC(2025, 0, 6, 0) + hour * H;
          const quarters = [0, 1, 2, 3].map(() => Math.round(rnd() * rnd() * 12_000) / 1000);
          quarters.forEach((kw, i) => recordPeriod(q, cfg(rule, 15), { startMs: start + i * Q, averageKW: kw }));
          recordPeriod(h, cfg(rule, 60), { startMs: start, averageKW: quarters.reduce((a, b) => a + b, 0) / 4 });
          const next = start + H;
          const capQ = capInForce(q, cfg(rule, 15), next);
          const capH = capInForce(h, cfg(rule, 60), next);
          assert.ok(capQ !== null && capH !== null && capQ <= capH + 1e-3, `hour ${hour}: ${capQ} kW per quarter-hour, ${capH} kW per hour`);
        }
      }
    });
  }

  it('the guard (no-steps, 15 min): the hour is recorded from its quarter-hours and kept across a restart', () => {
    const c = cfg('no-steps', 15);
    const g = new CapacityGuard(c);
    const at = (w: number, kw: number): MeterSample => ({ timeMs: w, currentsA: [0, 0, 0], powerW: kw * 1000 }) as MeterSample;
    let mono = 0;
    for (let t = 0; t < 4 * H; t += 10_000) g.observe((mono += 10_000), DAY + t, at(DAY + t, t < 3 * Q ? 9 : 0.5), []);
    const s = g.status();
    assert.equal(s.capKW, 6.88);
    assert.equal(s.monthPeaks[0].averageKW, 6.875);
    const b = new CapacityGuard(c, { state: JSON.parse(JSON.stringify(g.getState())) as unknown });
    b.observe(0, DAY + 4 * H, at(DAY + 4 * H, 0.5), []);
    assert.equal(b.status().capKW, 6.88);
  });
});

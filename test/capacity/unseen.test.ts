/**
 * Stretches nobody observed: a restart after downtime and a forward step of the wall clock. The periods passed over
 * must not raise the month's peaks (assume the worst: the cap stays tight); the running period's unseen part counts
 * in its budget at the last known power (never as zero). Before the fix, a 3-hour downtime after an 11.5 kW reading
 * closed twelve unseen quarter-hours at 11.5 kW: the cap in force rose from 2.5 to 11.54 kW for the rest of the month.
 */
import { strict as assert } from 'assert';
import { CapacityGuard } from '../../lib/capacity/guard';
import type { CapacityConfig, CapacityEvent, CapacityRule } from '../../lib/capacity/types';
import { ch, MIN, smp, T0, ZONE } from './fixtures';

const cfgOf = (rule: CapacityRule): CapacityConfig => ({ rule, capKW: 2.5, periodMin: rule === 'month-peak' ? 15 : 60, timeZone: ZONE });

/** A guard that saw 0.5 kW at 17:00 and the car at 11 kW from 17:00:01, saved there. */
function savedAtFullCharge(cfg: CapacityConfig): unknown {
  const a = new CapacityGuard(cfg);
  a.observe(0, T0, smp(T0, 500), []);
  a.observe(1000, T0 + 1000, smp(T0 + 1000, 500 + 11040), [ch(16)]);
  return JSON.parse(JSON.stringify(a.getState())) as unknown;
}

describe('capacity guard: stretches nobody observed', () => {
  for (const rule of ['month-peak', 'no-steps', 'se-peaks'] as CapacityRule[]) {
    it(`${rule}: a restart after 3 hours of downtime records no peak for the unseen periods; the cap stays 2.5 kW`, () => {
      const cfg = cfgOf(rule);
      const events: CapacityEvent[] = [];
      const T1 = T0 + 3 * 60 * MIN;
      const b = new CapacityGuard(cfg, { state: savedAtFullCharge(cfg), onEvent: (e) => events.push(e) });
      for (let i = 0; i <= 20; i++) b.observe(i * 1000, T1 + i * 1000, smp(T1 + i * 1000, 500), [ch(0)]);
      const s = b.status();
      assert.equal(s.capKW, 2.5);
      assert.ok(s.monthPeaks.every((p) => p.averageKW < 0.01), JSON.stringify(s.monthPeaks));
      assert.ok(events.every((e) => e.type !== 'newMonthlyPeak' || (e.peakKW ?? 0) < 0.01), JSON.stringify(events));
      assert.equal(b.billedKW() < 0.01, true);
    });
  }

  it('a restart mid-period: the unseen part counts in the budget at the last known power, not in the month\'s record', () => {
    const cfg = cfgOf('month-peak');
    const T1 = T0 + 3 * 60 * MIN + 7 * MIN; // 20:07
    const b = new CapacityGuard(cfg, { state: savedAtFullCharge(cfg) });
    b.observe(0, T1, smp(T1, 500), [ch(0)]);
    // 20:00–20:07 at the last known 11.54 kW (the worst: it may have charged on): the period's budget is spent
    assert.equal(b.status().averageKW, 11.54);
    assert.deepEqual(b.site()?.ceilingA, [0, 0, 0]);
    for (let t = 10; t <= 8 * 60; t += 10) b.observe(t * 1000, T1 + t * 1000, smp(T1 + t * 1000, 500), [ch(0)]);
    // closed at 20:15: the month's record holds its observed 8 minutes at 0.5 kW (0.27 kW), not 5.6 kW
    const peaks = b.status().monthPeaks;
    assert.equal(b.status().capKW, 2.5);
    assert.ok(Math.max(...peaks.map((p) => p.averageKW)) < 0.3, JSON.stringify(peaks));
  });

  it('a forward step of the wall clock (1 hour, the monotonic clock 10 s) records no peak for the hour stepped over', () => {
    const g = new CapacityGuard(cfgOf('month-peak'));
    let mono = 0;
    for (let w = T0; w < T0 + 1790_000; w += 10_000) g.observe((mono += 10_000), w, smp(w, 1500), []);
    g.observe((mono += 10_000), T0 + 1790_000, smp(T0 + 1790_000, 6000), []);
    const w2 = T0 + 1800_000 + 3600_000 + 2 * MIN; // 18:32
    g.observe((mono += 10_000), w2, smp(w2, 1500), []);
    const s = g.status();
    assert.equal(s.capKW, 2.5);
    assert.ok(s.monthPeaks.every((p) => p.averageKW <= 1.6), JSON.stringify(s.monthPeaks));
    // the running period's first 2 minutes count at the last reading (6 kW), in its budget
    assert.equal(s.periodStartMs, T0 + 1800_000 + 3600_000);
    assert.equal(s.averageKW, 6);
  });

  it('a very old saved period (corrupt or 30 days back) is not recorded and not walked period by period', () => {
    const state = { version: 1, period: { startMs: T0 - 30 * 86400_000, endMs: T0 - 30 * 86400_000 + 1, importWh: 0, houseWh: 0 }, last: { wallMs: T0 - 1000, powerW: 1000, houseW: 1000 }, month: null };
    const g = new CapacityGuard(cfgOf('month-peak'), { state });
    g.observe(0, T0, smp(T0, 1000), []);
    assert.deepEqual(g.status().monthPeaks, []);
    assert.equal(g.status().periodStartMs, T0);
  });
});

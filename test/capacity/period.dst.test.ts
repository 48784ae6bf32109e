/**
 * Periods across DST shifts of a part of a period (Lord Howe: 30 minutes) and a property check: the period of an
 * instant always holds it, and its neighbours meet it. Before the fix, `periodAt` gave Lord Howe's 01:30 (+10:30) on
 * 2025-10-05 the period 01:00–01:30, and the guard's integration loop spun for ever on it.
 */
import { strict as assert } from 'assert';
import { DateTime } from 'luxon';
import type { MeterSample } from '../../lib/balancer/types';
import { CapacityGuard } from '../../lib/capacity/guard';
import { periodAt, periodsOfDay } from '../../lib/capacity/period';

const LORD_HOWE = 'Australia/Lord_Howe';
const at = (iso: string, zone: string): number => DateTime.fromISO(iso, { zone }).toMillis();

function assertHolds(t: number, periodMin: number, zone: string): void {
  const p = periodAt(t, periodMin, zone);
  const where = `${new Date(t).toISOString()} ${zone} ${periodMin} min: ${new Date(p.startMs).toISOString()}–${new Date(p.endMs).toISOString()}`;
  assert.ok(p.startMs <= t && t < p.endMs, `not inside its period: ${where}`);
  assert.ok(p.endMs - p.startMs <= periodMin * 60_000, `longer than a period: ${where}`);
  assert.deepEqual(periodAt(p.startMs, periodMin, zone), p, `its start is in another period: ${where}`);
  assert.equal(periodAt(p.endMs, periodMin, zone).startMs, p.endMs, `the next period does not start at its end: ${where}`);
}

describe('capacity periods across DST shifts of a part of a period', () => {
  for (const [day, from] of [['2025-10-05', '2025-10-05T00:30'], ['2025-04-06', '2025-04-06T00:30']]) {
    it(`Lord Howe ${day}: every instant of the night is inside its period (60 and 15 min)`, () => {
      const start = at(from, LORD_HOWE);
      for (let t = start; t < start + 4 * 3600_000; t += 60_000) {
        assertHolds(t, 60, LORD_HOWE);
        assertHolds(t, 15, LORD_HOWE);
      }
    });

    it(`Lord Howe ${day}: the guard integrates through the shift at 01:50 local (it hung)`, () => {
      const start = at(`${day}T01:50`, LORD_HOWE);
      const g = new CapacityGuard({ rule: 'fixed', capKW: 5, periodMin: 60, timeZone: LORD_HOWE });
      const sample = (w: number): MeterSample => ({ timeMs: w, currentsA: [5, 0, 0], powerW: 1150 }) as MeterSample;
      for (let s = 0; s <= 20 * 60; s += 10) g.observe(s * 1000, start + s * 1000, sample(start + s * 1000), []);
      const st = g.status();
      assert.ok(st.periodStartMs <= start + 20 * 60_000 && start + 20 * 60_000 < st.periodEndMs);
      assert.equal(st.averageKW, 1.15);
    });
  }

  it('Lord Howe: the spring day has 24 hourly periods (02:30–03:00 is one), the autumn day 25 (01:30–02:00 twice)', () => {
    const spring = periodsOfDay('2025-10-05', 60, LORD_HOWE);
    assert.equal(spring.length, 24);
    assert.equal(spring.filter((p) => p.endMs - p.startMs === 30 * 60_000).length, 1);
    const autumn = periodsOfDay('2025-04-06', 60, LORD_HOWE);
    assert.equal(autumn.length, 25);
    assert.equal(autumn.filter((p) => p.endMs - p.startMs === 30 * 60_000).length, 1);
  });

  it('property: over many instants and zones, an instant is inside its period and the periods tile the time line', () => {
    const zones = ['Australia/Lord_Howe', 'Europe/Brussels', 'Europe/Oslo', 'America/St_Johns', 'Asia/Kathmandu', 'Asia/Kolkata',
      'Australia/Adelaide', 'Pacific/Chatham', 'America/Santiago', 'Antarctica/Troll', 'Pacific/Apia', 'UTC'];
    // a deterministic spread of instants (2010–2030) with odd seconds and milliseconds, plus each zone's shifts
    let x = 12345;
    const next = (): number => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const zone of zones) {
      for (let i = 0; i < 300; i++) {
        const t = Math.floor(Date.UTC(2010, 0, 1) + next() * 20 * 365 * 86400_000);
        assertHolds(t, 60, zone);
        assertHolds(t, 15, zone);
      }
      for (let y = 2024; y <= 2026; y++) {
        // around every offset change of the year, minute by minute
        let prev = DateTime.fromMillis(Date.UTC(y, 0, 1), { zone }).offset;
        for (let t = Date.UTC(y, 0, 1); t < Date.UTC(y + 1, 0, 1); t += 3600_000) {
          const off = DateTime.fromMillis(t, { zone }).offset;
          if (off === prev) continue;
          prev = off;
          for (let u = t - 2 * 3600_000; u < t + 2 * 3600_000; u += 120_000 + 7) {
            assertHolds(u, 60, zone);
            assertHolds(u, 15, zone);
          }
        }
      }
    }
  });
});

import { strict as assert } from 'assert';
import { isWeekdayDaytime, monthKey, periodAt, periodsOfDay } from '../../lib/capacity/period';

const ZONE = 'Europe/Brussels';

describe('capacity periods on the local wall clock', () => {
  it('a spring DST day has 23 hourly periods and 92 quarter-hours; 02:00–03:00 does not exist', () => {
    const hours = periodsOfDay('2025-03-30', 60, ZONE);
    assert.equal(hours.length, 23);
    assert.equal(periodsOfDay('2025-03-30', 15, ZONE).length, 92);
    // 01:00 CET (00:00 UTC) is followed at once by 03:00 CEST (01:00 UTC)
    const oneAm = periodAt(Date.UTC(2025, 2, 30, 0, 30), 60, ZONE);
    assert.deepEqual(oneAm, { startMs: Date.UTC(2025, 2, 30, 0), endMs: Date.UTC(2025, 2, 30, 1) });
    for (const p of hours) assert.equal(p.endMs - p.startMs, 3600_000);
  });

  it('an autumn DST day has 25 hourly periods and 100 quarter-hours: the repeated hour is two periods', () => {
    assert.equal(periodsOfDay('2025-10-26', 60, ZONE).length, 25);
    assert.equal(periodsOfDay('2025-10-26', 15, ZONE).length, 100);
    // 02:30 CEST (00:30 UTC) and 02:30 CET (01:30 UTC) are in different periods, an hour apart
    const first = periodAt(Date.UTC(2025, 9, 26, 0, 30), 60, ZONE);
    const second = periodAt(Date.UTC(2025, 9, 26, 1, 30), 60, ZONE);
    assert.equal(first.startMs, Date.UTC(2025, 9, 26, 0));
    assert.equal(second.startMs, Date.UTC(2025, 9, 26, 1));
    assert.equal(first.endMs, second.startMs);
  });

  it('aligns quarter-hours to the local clock of a zone with a 30-minute offset', () => {
    // India (+05:30): local 10:07 is 04:37 UTC; its quarter-hour starts at local 10:00 = 04:30 UTC
    const p = periodAt(Date.UTC(2025, 0, 6, 4, 37, 12), 15, 'Asia/Kolkata');
    assert.deepEqual(p, { startMs: Date.UTC(2025, 0, 6, 4, 30), endMs: Date.UTC(2025, 0, 6, 4, 45) });
    // an hour there starts at hh:30 UTC
    assert.equal(periodAt(Date.UTC(2025, 0, 6, 4, 37), 60, 'Asia/Kolkata').startMs, Date.UTC(2025, 0, 6, 4, 30));
  });

  it('the month and weekday daytime are read in the zone, not in UTC', () => {
    // 2025-01-31 23:30 UTC is already February in Brussels
    assert.equal(monthKey(Date.UTC(2025, 0, 31, 23, 30), ZONE), '2025-02');
    assert.equal(monthKey(Date.UTC(2025, 0, 31, 22, 30), ZONE), '2025-01');
    assert.equal(isWeekdayDaytime(Date.UTC(2025, 0, 13, 6, 0), ZONE), true); // Monday 07:00 local
    assert.equal(isWeekdayDaytime(Date.UTC(2025, 0, 13, 5, 59), ZONE), false); // 06:59
    assert.equal(isWeekdayDaytime(Date.UTC(2025, 0, 13, 18, 0), ZONE), false); // 19:00
    assert.equal(isWeekdayDaytime(Date.UTC(2025, 0, 11, 10, 0), ZONE), false); // Saturday
  });
});

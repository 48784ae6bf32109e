import { strict as assert } from 'assert';
import { validateCapacitySettings } from '../../lib/capacity/validate';

describe('validateCapacitySettings', () => {
  it('takes good settings (numbers as strings from form inputs too)', () => {
    const r = validateCapacitySettings({ capacity_rule: 'se-peaks', capacity_kw: '4.5', capacity_period_min: 60, capacity_se_peaks: 5, capacity_se_weekday_daytime: true }, 'Europe/Stockholm');
    assert.deepEqual(r, { ok: true, value: { rule: 'se-peaks', capKW: 4.5, periodMin: 60, timeZone: 'Europe/Stockholm', sePeakCount: 5, seWeekdayDaytimeOnly: true } });
    assert.equal(validateCapacitySettings({}, 'Europe/Oslo').ok, true);
  });

  it('refuses a cap that is not a positive number with one line naming the field', () => {
    for (const bad of [0, -2, 'abc', null, Number.NaN, 0.0001, 0.05, 1000.5, 1e6]) {
      const r = validateCapacitySettings({ capacity_rule: 'fixed', capacity_kw: bad }, 'Europe/Brussels');
      assert.equal(r.ok, false);
      if (!r.ok) assert.deepEqual(Object.keys(r.errors), ['capacity_kw']);
    }
  });

  it('one line per bad field: rule, period, peaks, daytime, the Flemish minimum, the zone', () => {
    const r = validateCapacitySettings({ capacity_rule: 'max', capacity_kw: 5, capacity_period_min: 30, capacity_se_peaks: 1.5, capacity_se_weekday_daytime: 'yes' }, 'Mars/Olympus');
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.deepEqual(Object.keys(r.errors).sort(), ['capacity_period_min', 'capacity_rule', 'capacity_se_peaks', 'capacity_se_weekday_daytime', 'timeZone']);
      for (const line of Object.values(r.errors)) assert.ok(!line.includes('\n'));
    }
    const fl = validateCapacitySettings({ capacity_rule: 'month-peak', capacity_kw: 2 }, 'Europe/Brussels');
    assert.equal(fl.ok, false);
    if (!fl.ok) assert.match(fl.errors.capacity_kw, /at least 2\.5 kW/);
  });
});

/**
 * A first start mid-period with a car charging: the part of the period before the first reading counts the house's
 * own load without the chargers' draw. Before the fix the car's 11 kW was booked as house load for 17:00–17:13: a
 * false "cap (5 kW) below the house's own load (10.1 kW)" warning, the chargers held at their minimum.
 */
import { strict as assert } from 'assert';
import { CapacityGuard } from '../../lib/capacity/guard';
import { ch, MIN, smp, T0 } from './fixtures';


describe('capacity guard: a first start mid-period with a car charging', () => {
  it('the house is 0.5 kW, not the car\'s 11 kW: no base-load warning, the chargers not held for it', () => {
    const g = new CapacityGuard({ rule: 'fixed', capKW: 5, periodMin: 15, timeZone: 'Europe/Brussels' });
    let m = 0;
    for (let w = T0 + 13 * MIN; w <= T0 + 16 * MIN; w += 10_000) g.observe((m += 10_000), w, smp(w, 500 + 11040), [ch(16)]);
    const s = g.status();
    assert.equal(s.warning, null);
    assert.equal(g.getState().baseLoadOver, false);
    assert.ok(Math.abs(g.getState().baseLoadKW - 0.5) < 0.01, `${g.getState().baseLoadKW} kW of house load`);
    assert.doesNotMatch(g.site()?.reason ?? '', /below the house's own load/);
  });
});

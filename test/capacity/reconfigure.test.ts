/**
 * The period length or time zone changed mid-period (setConfig): the new period's elapsed part counts at the last
 * known power, as before a first reading. Before the fix it counted as zero: switching from 60- to 15-minute periods
 * at 17:12 with 5.14 kW steady over a 5 kW cap showed 0.07 kW and gave the chargers 25.9 kW.
 */
import { strict as assert } from 'assert';
import { CapacityGuard } from '../../lib/capacity/guard';
import type { CapacityConfig } from '../../lib/capacity/types';
import { ch, MIN, smp, T0, ZONE } from './fixtures';

const cfg = (over: Partial<CapacityConfig>): CapacityConfig => ({ rule: 'fixed', capKW: 5, periodMin: 60, timeZone: ZONE, ...over });

function runUntil(g: CapacityGuard, untilMs: number, mono: { ms: number }): void {
  for (let w = T0; w <= untilMs; w += 10_000) g.observe((mono.ms += 10_000), w, smp(w, 1000 + 4140), [ch(6)]);
}

describe('capacity guard: the period length or zone changed mid-period', () => {
  it('60 → 15 minutes at 17:12: the quarter-hour 17:00–17:15 counts its 12 minutes at the last power', () => {
    const g = new CapacityGuard(cfg({}));
    const mono = { ms: 0 };
    runUntil(g, T0 + 12 * MIN, mono);
    g.setConfig(cfg({ periodMin: 15 }));
    const w = T0 + 12 * MIN + 10_000;
    g.observe((mono.ms += 10_000), w, smp(w, 5140), [ch(6)]);
    const s = g.status();
    assert.equal(s.periodStartMs, T0);
    assert.equal(s.periodEndMs, T0 + 15 * MIN);
    assert.equal(s.averageKW, 5.14);
    assert.equal(s.projectedKW, 5.14);
    // over the cap: the chargers get nothing more than their minimum (here: paused)
    const ceiling = g.site()?.ceilingA[0];
    assert.ok(ceiling !== undefined && ceiling !== null && ceiling <= 6, `ceiling ${ceiling} A`);
  });

  it('15 → 60 minutes at 17:50, and a new time zone: the new period counts from its start at the last power', () => {
    const g = new CapacityGuard(cfg({ periodMin: 15 }));
    const mono = { ms: 0 };
    runUntil(g, T0 + 50 * MIN, mono);
    g.setConfig(cfg({ periodMin: 60 }));
    assert.equal(g.status().periodStartMs, T0);
    assert.equal(g.status().averageKW, 5.14);
    // Brussels → London (an hour behind): 16:50 there, the hour 16:00–17:00 London = 16:00–17:00 UTC
    g.setConfig(cfg({ periodMin: 60, timeZone: 'Europe/London' }));
    const s = g.status();
    assert.equal(s.periodStartMs, T0);
    assert.equal(s.averageKW, 5.14);
  });
});

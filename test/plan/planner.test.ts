import assert from 'assert';
import type { Triple } from '../../lib/balancer/types';
import { expectedCurrentA, makePlan, type PlanInput } from '../../lib/plan/planner';
import type { PriceSlot } from '../../lib/plan/prices';
import { LoadProfile } from '../../lib/plan/profile';

const H = 3600_000;
const Q = 900_000;
const T0 = Date.parse('2025-10-01T16:00:00Z'); // 18:00 in Amsterdam

function hourly(prices: number[], fromMs = T0): PriceSlot[] {
  return prices.map((price, i) => ({ startMs: fromMs + i * H, endMs: fromMs + (i + 1) * H, price }));
}

function input(over: Partial<PlanInput>): PlanInput {
  return {
    nowMs: T0,
    deadlineMs: T0 + 12 * H,
    energyWh: 20_000,
    slots: hourly([5, 4, 3, 2, 1, 1.5, 2.5, 3.5, 4.5, 6, 7, 8]),
    chargerPhases: 3,
    minA: 6,
    maxA: 16,
    fuseA: 25,
    marginA: 1,
    voltageV: 230,
    expectedHouseA: () => [0, 0, 0],
    capKW: null,
    safetyFactor: 1,
    timeZone: 'Europe/Amsterdam',
    ...over,
  };
}

describe('lib/plan/planner', () => {
  it('picks the cheapest slots that deliver the energy, in time order, with the expected cost', () => {
    const plan = makePlan(input({}));
    // 16 A x 3 x 230 V = 11.04 kW: two hours are not quite 20 kWh... 11.04 + 11.04 = 22.08 ≥ 20
    assert.strictEqual(plan.feasible, true);
    assert.deepStrictEqual(plan.slots.map((s) => s.price), [1, 1.5]);
    assert.ok(plan.slots[0].startMs < plan.slots[1].startMs);
    assert.strictEqual(plan.slots[0].powerW, 11_040);
    assert.ok(Math.abs(plan.plannedWh - 20_000) < 1e-6);
    assert.ok(Math.abs(plan.expectedCost - (11.04 * 1 + 8.96 * 1.5)) < 1e-9);
    assert.match(plan.reason, /Plan: 20\.0 kWh by 06:00 in 2 slot\(s\) from 22:00/);
  });

  it('the fuse-aware power: a small fuse and an evening load make it pick more slots than the naive plan', () => {
    // 16 A fuse, 1 A margin; the evening (until 23:00 local = 21:00 UTC) draws 8 A on L1: 7 A left for the car
    const evening = (ms: number): Triple<number> => (ms < T0 + 5 * H ? [8, 3, 2] : [2, 2, 2]);
    const prices = hourly([1, 1, 1, 1, 1, 9, 9, 9, 9, 9, 9, 9]);
    const naiveSlots = Math.ceil(20_000 / 11_040);
    const plan = makePlan(input({ fuseA: 16, slots: prices, expectedHouseA: evening }));
    assert.strictEqual(expectedCurrentA(input({ fuseA: 16, expectedHouseA: evening }), T0 + H), 7);
    assert.strictEqual(plan.slots[0].powerW, 7 * 3 * 230);
    assert.ok(plan.feasible);
    assert.ok(plan.slots.length > naiveSlots, `${plan.slots.length} slots vs naive ${naiveSlots}`);
    assert.strictEqual(plan.slots.length, 5, 'the 4.83 kW evening hours: 20 kWh needs all five cheap ones');
    // the same with no house load: the naive count
    assert.strictEqual(makePlan(input({ slots: prices })).slots.length, naiveSlots);
  });

  it('15-minute prices: picks single cheap quarter-hours', () => {
    const quarters: PriceSlot[] = Array.from({ length: 48 }, (_, i) => ({ startMs: T0 + i * Q, endMs: T0 + (i + 1) * Q, price: i % 7 === 3 ? 0.1 : 1 + i / 100 }));
    const plan = makePlan(input({ slots: quarters, energyWh: 5_000, deadlineMs: T0 + 12 * H }));
    assert.ok(plan.slots.every((s) => s.price === 0.1), 'only the cheap quarter-hours');
    assert.strictEqual(plan.slots.length, 2, '2.76 kWh per quarter-hour: 5 kWh in two');
    assert.strictEqual(plan.slots[0].endMs - plan.slots[0].startMs, Q, 'the first one whole');
    // the second holds the last 2.24 kWh: 12.2 min of it, + 1 min for the car's start, in whole minutes
    assert.strictEqual(plan.slots[1].endMs - plan.slots[1].startMs, 14 * 60_000);
  });

  it('the last bit of the target takes only the part of its slot it needs (regression: a whole expensive slot bought)', () => {
    // A tight evening: 15-minute prices, 3.22 kW per quarter-hour counted at 0.9. The energy needs every cheap quarter
    // and a little of the cheapest expensive one. Before, that whole expensive quarter was charged (805 Wh at 3.4 per
    // kWh) and the cheap quarters after it were dropped at the next re-plans, because the car ran ahead of the plan.
    const prices = [3.5, 3.8, 3.4, 2.9, 2.3, 2.0, 1.4, 1.2, 1.1];
    const quarters: PriceSlot[] = prices.map((price, i) => ({ startMs: T0 + i * Q, endMs: T0 + (i + 1) * Q, price }));
    const one = { chargerPhases: 1 as const, fuseA: 16, expectedHouseA: (): Triple<number> => [1, 0, 0], safetyFactor: 0.9 };
    const perQuarterWh = (14 * 230 * 0.9) / 4; // 724.5 Wh counted per quarter-hour
    const energyWh = 6 * perQuarterWh + 150;
    const plan = makePlan(input({ ...one, slots: quarters, energyWh, deadlineMs: T0 + 9 * Q }));
    assert.ok(plan.feasible);
    const expensive = plan.slots.find((s) => s.price === 3.4);
    assert.ok(expensive, 'the cheapest expensive quarter holds the rest');
    // 150 Wh of 724.5: 3.1 min + 1 min start allowance -> 5 min, from the slot's start
    assert.strictEqual(expensive.startMs, T0 + 2 * Q);
    assert.strictEqual(expensive.endMs - expensive.startMs, 5 * 60_000);
    assert.ok(Math.abs(expensive.energyWh - 150) < 1e-6);
    assert.ok(plan.slots.filter((s) => s !== expensive).every((s) => s.endMs - s.startMs === Q && s.price <= 2.9));
    assert.ok(Math.abs(plan.plannedWh - energyWh) < 1e-6);
  });

  it('infeasible: the plan says so (the caller charges now) with what fits', () => {
    const plan = makePlan(input({ deadlineMs: T0 + 2 * H, energyWh: 40_000 }));
    assert.strictEqual(plan.feasible, false);
    assert.strictEqual(plan.slots.length, 2);
    assert.match(plan.reason, /40\.0 kWh cannot be charged by 20:00 \(about 22\.1 kWh fit under the fuse\): charging now/);
  });

  it('the capacity cap and the safety factor lower the power it counts on', () => {
    const i = input({ capKW: 5, expectedHouseA: () => [2, 2, 2], safetyFactor: 0.9 });
    // (5000 W - 6 A x 230 V) / 690 W/A = 5.2 A: below the 6 A minimum, no charging under this cap
    assert.strictEqual(expectedCurrentA(i, T0), 0);
    assert.strictEqual(makePlan(i).feasible, false);
    const j = input({ capKW: 7, expectedHouseA: () => [1, 1, 1], safetyFactor: 0.9 });
    assert.strictEqual(expectedCurrentA(j, T0), 9);
    const plan = makePlan(j);
    assert.strictEqual(plan.slots[0].powerW, 9 * 690);
    assert.ok(Math.abs(plan.slots[0].energyWh - 9 * 690 * 0.9) < 1e-6);
  });

  it('time without prices is a last resort at the highest known price; now clips the current slot', () => {
    const known = hourly([3, 2]);
    const plan = makePlan(input({ slots: known, nowMs: T0 + 30 * 60_000, energyWh: 20_000 }));
    assert.strictEqual(plan.slots[0].startMs, T0 + 30 * 60_000);
    assert.ok(plan.slots.some((s) => !s.priceKnown), 'needs an hour beyond the known prices');
    assert.ok(plan.slots.filter((s) => !s.priceKnown).every((s) => s.price === 3));
    assert.match(plan.reason, /partly before prices are known/);
    const small = makePlan(input({ slots: known, energyWh: 5_000 }));
    assert.deepStrictEqual(small.slots.map((s) => [s.price, s.priceKnown]), [[2, true]]);
  });

  it('nothing left to charge: an empty, feasible plan', () => {
    const plan = makePlan(input({ energyWh: 0 }));
    assert.deepStrictEqual([plan.slots.length, plan.feasible, plan.reason], [0, true, 'Plan: target reached']);
  });

  it('a one-phase car on L2 counts only L2 (and 230 V x 1)', () => {
    const i = input({ chargerPhases: 1, gridPhases: [1], fuseA: 16, expectedHouseA: () => [12, 3, 12] });
    assert.strictEqual(expectedCurrentA(i, T0), 12);
    assert.strictEqual(makePlan(i).slots[0].powerW, 12 * 230);
  });
});

describe('lib/plan/profile', () => {
  const tz = 'Europe/Amsterdam';
  const day = Date.parse('2025-10-01T00:00:00+02:00'); // a Wednesday

  function feed(p: LoadProfile, startMs: number, minutes: number, houseA: Triple<number | null>): void {
    for (let t = 0; t < minutes * 60; t += 10) p.observe(startMs + t * 1000, houseA);
  }

  it('learns per quarter-hour of the local day, weekday apart from weekend, and persists', () => {
    const p = new LoadProfile({ timeZone: tz });
    feed(p, day + 18 * H, 60, [8, 2, 1]);
    feed(p, day + 19 * H, 15, [1, 1, 1]); // closes the 18:45 bin
    assert.deepStrictEqual(p.expectedHouseA(day + 24 * H + 18 * H + 20 * 60_000), [8, 2, 1], 'the next Wednesday... Thursday, 18:20');
    assert.strictEqual(p.visitsAt(day + 18 * H), 1);
    // a weekend day has learned nothing at 18:00: it borrows the mean of every learned bin
    const saturday = day + 3 * 24 * H + 18 * H;
    assert.strictEqual(p.visitsAt(saturday), 0);
    assert.deepStrictEqual(p.expectedHouseA(saturday), [8, 2, 1], 'the mean of the learned bins (18:00-18:45)');
    const restored = new LoadProfile({ timeZone: tz, state: JSON.parse(JSON.stringify(p.getState())) });
    assert.deepStrictEqual(restored.expectedHouseA(day + 18 * H), [8, 2, 1]);
  });

  it('recent days count most; the 90th percentile is kept apart; unknown is 3 A per phase', () => {
    const p = new LoadProfile({ timeZone: tz });
    assert.deepStrictEqual(p.expectedHouseA(day), [3, 3, 3]);
    feed(p, day + 2 * H, 15, [2, 2, 2]);
    feed(p, day + 24 * H + 2 * H, 15, [12, 2, 2]);
    feed(p, day + 24 * H + 3 * H, 1, [0, 0, 0]);
    const e = p.expectedHouseA(day + 2 * H);
    assert.ok(Math.abs(e[0] - (2 + 0.3 * 10)) < 1e-9, `${e[0]}`);
    const q = new LoadProfile({ timeZone: tz });
    for (let t = 0; t < 900; t += 10) q.observe(day + t * 1000, [t < 810 ? 1 : 20, 0, null]);
    q.observe(day + 900_000 + 1000, [0, 0, 0]);
    const high = q.highHouseA(day + 60_000);
    assert.strictEqual(high[0], 20);
    assert.ok(q.expectedHouseA(day)[0] < 3);
  });

  it('a broken persisted state is ignored (starts empty)', () => {
    const p = new LoadProfile({ timeZone: tz, state: { version: 1, weekday: [], weekend: [] } });
    assert.deepStrictEqual(p.expectedHouseA(day), [3, 3, 3]);
  });
});

import assert from 'assert';
import type { ChargerInput, Triple } from '../../lib/balancer/types';
import type { ChargingMode } from '../../lib/limits';
import { checkTarget, PlanLimitSource, type PlanEvent, type PlanLimitState, type PlanTarget } from '../../lib/plan/planLimit';
import type { PriceSlot } from '../../lib/plan/prices';

const TZ = 'Europe/Amsterdam';
const H = 3600_000;
const STEP_MS = 10_000;
/** 18:00 local on a Wednesday. */
const T0 = Date.parse('2025-10-01T18:00:00+02:00');
/** The monotonic clock runs 5 s behind... any origin: it starts at 1,000,000 ms here. */
const MONO = (wall: number): number => wall - T0 + 1_000_000;

function hourly(prices: number[], fromMs: number): PriceSlot[] {
  return prices.map((price, i) => ({ startMs: fromMs + i * H, endMs: fromMs + (i + 1) * H, price }));
}

/** The evening from 18:00: 12 hours priced high until midnight, cheap at 02:00-04:00. */
const EVENING = hourly([9, 9, 8, 7, 6, 5, 4, 1, 1, 2, 3, 6, 9], T0);

interface Car {
  connected: boolean;
  drawA: number;
  /** A 1-phase car draws on L1 only (default: three phases). */
  phases?: 1 | 3;
}

const drawOf = (car: Car, a: number): Triple<number> => (car.phases === 1 ? [a, 0, 0] : [a, a, a]);

function input(car: Car, maxA = 16): ChargerInput {
  const a = car.connected ? car.drawA : 0;
  return {
    id: 'ev',
    name: 'EV',
    enabled: true,
    phaseMap: ['L1', 'L2', 'L3'],
    measuredA: drawOf(car, a),
    currentLimitA: 16,
    minCurrentA: 6,
    maxCurrentA: maxA,
    paused: false,
    carConnected: car.connected,
    priority: 5,
    latencyClass: 'local',
  };
}

/** Steps the source every 10 s; the car draws what the plan lets it (16 A or nothing), the house `houseA`. */
function run(src: PlanLimitSource, car: Car, fromWall: number, toWall: number, houseA: Triple<number> = [1, 1, 1]): void {
  for (let wall = fromWall; wall < toWall; wall += STEP_MS) {
    const before = input(car);
    const own = drawOf(car, car.connected ? car.drawA : 0);
    const sample = { timeMs: wall, currentsA: houseA.map((h, g) => h + own[g]) as Triple<number> };
    src.observe(MONO(wall), wall, sample, [before]);
    const limit = src.charger(MONO(wall), before);
    const allowed = limit === null ? 16 : limit.maxA;
    car.drawA = car.connected && allowed >= 6 ? allowed : 0;
  }
}

function source(over: { state?: PlanLimitState; mode?: ChargingMode; events?: PlanEvent[] } = {}): PlanLimitSource {
  return new PlanLimitSource({
    timeZone: TZ,
    modeOf: over.mode ? () => over.mode : undefined,
    state: over.state,
    onEvent: (e) => over.events?.push(e),
    settings: () => ({ fuseA: 25, marginA: 1 }),
  });
}

const DEADLINE = T0 + 12 * H + 60_000; // 06:01
const kWh = (src: PlanLimitSource): number => src.status('ev').deliveredKWh;

/** A 3-phase car charging at 16 A before a 20 kWh target (by DEADLINE) was set and started; run on to 01:30, half an hour into the 01:00 slot. */
function midPlan(): { src: PlanLimitSource; car: Car } {
  const src = source();
  const car: Car = { connected: true, drawA: 16 }; // charging (on three phases) before the target
  src.setPrices(EVENING);
  run(src, car, T0, T0 + STEP_MS);
  src.setTarget('ev', { energyKWh: 20 }, DEADLINE);
  src.start('ev');
  run(src, car, T0 + STEP_MS, T0 + 7.5 * H);
  return { src, car };
}

describe('lib/plan/planLimit', () => {
  it('holds the charger at 0 A outside the planned slots, lets it charge inside, and stops at the target', () => {
    const events: PlanEvent[] = [];
    const src = source({ events });
    const car: Car = { connected: true, drawA: 16 }; // charging (on three phases) before the target
    src.setPrices(EVENING);
    run(src, car, T0, T0 + STEP_MS);
    assert.strictEqual(src.setTarget('ev', { energyKWh: 15 }, DEADLINE), null);
    assert.strictEqual(src.start('ev'), null);
    const at18 = src.charger(MONO(T0 + STEP_MS), input(car));
    assert.deepStrictEqual(at18, { maxA: 0, reason: 'Plan: waiting for the 01:00 slot' });
    assert.strictEqual(events.at(-1)?.nextSlotStartMs, T0 + 7 * H);
    run(src, car, T0 + STEP_MS, DEADLINE);
    const s = src.status('ev');
    assert.strictEqual(s.phase, 'done');
    assert.ok(s.deliveredKWh >= 15 && s.deliveredKWh < 15.1, `${s.deliveredKWh}`);
    assert.deepStrictEqual(src.charger(MONO(DEADLINE), input(car)), { maxA: 0, reason: 'Plan: target reached (15.0 kWh)' });
  });

  it('prices arriving late: plans with what is known, makes the plan again when more arrive', () => {
    const events: PlanEvent[] = [];
    const src = source({ events });
    const car: Car = { connected: true, drawA: 16 }; // charging (on three phases) before the target
    src.setPrices(EVENING.slice(0, 6)); // only until midnight
    run(src, car, T0, T0 + STEP_MS);
    src.setTarget('ev', { energyKWh: 10 }, DEADLINE);
    src.start('ev');
    const first = src.status('ev').plan!;
    assert.ok(first.feasible);
    assert.deepStrictEqual(first.slots.map((s) => s.price), [6, 5], 'the cheapest known hours: 22:00 and 23:00');
    run(src, car, T0 + STEP_MS, T0 + 2 * STEP_MS); // the car, charging before the target was set, stops
    const atStart = kWh(src);
    run(src, car, T0 + 2 * STEP_MS, T0 + 4 * H);
    assert.strictEqual(kWh(src), atStart, 'nothing charged before the planned slot');
    src.setPrices(EVENING.slice(6)); // tomorrow's prices at 22:00
    const second = src.status('ev').plan!;
    assert.deepStrictEqual(second.slots.map((s) => [s.price, s.startMs]), [[1, T0 + 7 * H], [1, T0 + 8 * H]]);
    // the plan changed: announced with the new slots and the cost the status shows
    const last = events.at(-1)!;
    assert.deepStrictEqual(last.plan.slots.map((s) => s.startMs), [T0 + 7 * H, T0 + 8 * H]);
    assert.strictEqual(last.expectedCost, src.status('ev').expectedCost);
    run(src, car, T0 + 4 * H, DEADLINE);
    assert.strictEqual(src.status('ev').phase, 'done');
  });

  it('a restart mid-plan continues from the persisted state with the energy delivered so far', () => {
    const { src, car } = midPlan(); // half an hour into the 01:00 slot
    const half = kWh(src);
    assert.ok(half > 4 && half < 7, `${half}`);
    const state = JSON.parse(JSON.stringify(src.getState())) as PlanLimitState;
    const again = source({ state });
    assert.ok(Math.abs(kWh(again) - half) < 0.001);
    run(again, car, T0 + 7.5 * H + 60_000, DEADLINE);
    assert.strictEqual(again.status('ev').phase, 'done');
    assert.ok(kWh(again) >= 20 && kWh(again) < 20.1);
  });

  it('the car unplugged mid-plan and plugged in again: the plan keeps the energy delivered and plans the rest', () => {
    const { src, car } = midPlan();
    const before = kWh(src);
    car.connected = false;
    run(src, car, T0 + 7.5 * H, T0 + 8.5 * H);
    assert.strictEqual(kWh(src), before, 'nothing counted while unplugged');
    assert.ok(src.status('ev').plan, 'the plan survives the unplug before its end');
    car.connected = true;
    run(src, car, T0 + 8.5 * H, DEADLINE);
    assert.strictEqual(src.status('ev').phase, 'done');
    // an unplug after the target ends the plan
    car.connected = false;
    run(src, car, DEADLINE, DEADLINE + STEP_MS * 2);
    assert.strictEqual(src.status('ev').phase, 'idle');
    assert.strictEqual(src.charger(MONO(DEADLINE + STEP_MS * 2), input(car)), null);
  });

  it('keeps the car\'s phases with the plan: a restart and an unplug while waiting keep the 3-phase plan; a 1-phase car changes it', () => {
    const src = source();
    const car: Car = { connected: true, drawA: 16 }; // charging on three phases before the target
    src.setPrices(EVENING);
    run(src, car, T0, T0 + STEP_MS);
    src.setTarget('ev', { energyKWh: 15 }, DEADLINE);
    src.start('ev');
    run(src, car, T0 + STEP_MS, T0 + H); // held: the car no longer draws
    const slots = (s: PlanLimitSource): string[] => s.status('ev').plan!.slots.map((x) => new Date(x.startMs).toISOString());
    const threePhase = slots(src);
    assert.deepStrictEqual(threePhase, [T0 + 7 * H, T0 + 8 * H].map((t) => new Date(t).toISOString()), 'two cheap hours at about 10 kW');
    assert.deepStrictEqual(src.getState().chargers.ev.drawPhases, [0, 1, 2], 'persisted with the plan');
    // a restart while waiting: the car does not draw, yet the plan is still for three phases (no extra, pricier slot)
    const again = source({ state: JSON.parse(JSON.stringify(src.getState())) as PlanLimitState });
    run(again, car, T0 + H + 60_000, T0 + 2 * H);
    assert.deepStrictEqual(slots(again), threePhase);
    // unplugged and plugged in again (the same car) while waiting: still three phases
    car.connected = false;
    run(again, car, T0 + 2 * H, T0 + 2.5 * H);
    car.connected = true;
    run(again, car, T0 + 2.5 * H, T0 + 3 * H);
    assert.deepStrictEqual(slots(again), threePhase);
    // another car, drawing on one phase in the slot: the plan counts on one phase from then on and takes more slots
    car.connected = false;
    run(again, car, T0 + 3 * H, T0 + 3.5 * H);
    Object.assign(car, { connected: true, phases: 1 });
    run(again, car, T0 + 3.5 * H, T0 + 7 * H + 5 * 60_000);
    assert.deepStrictEqual(again.getState().chargers.ev.drawPhases, [0]);
    assert.ok(again.status('ev').plan!.slots.length > 2, `a 1-phase car needs more time: ${slots(again).join(', ')}`);
    // a broken stored value is dropped (the plan counts on one phase until the car draws)
    const broken = JSON.parse(JSON.stringify(src.getState())) as PlanLimitState;
    (broken.chargers.ev as { drawPhases: unknown }).drawPhases = [0, 7];
    assert.strictEqual(source({ state: broken }).getState().chargers.ev.drawPhases, undefined);
  });

  it('a new target counts only on the phases of the car plugged in now: a 3-phase car that left (without a plan, or at the end of one) does not count', () => {
    const slots = (s: PlanLimitSource): string[] => s.status('ev').plan!.slots.map((x) => `${new Date(x.startMs).toISOString()} ${x.powerW} W`);
    const oneCar = (): string[] => {
      const src = source();
      src.setPrices(EVENING);
      run(src, { connected: true, drawA: 0, phases: 1 }, T0, T0 + STEP_MS);
      src.setTarget('ev', { energyKWh: 20 }, DEADLINE);
      return slots(src);
    };
    const fresh = oneCar();
    assert.ok(fresh.every((x) => x.endsWith(' 3680 W')), `one phase until the car draws: ${fresh.join(', ')}`);
    // a 3-phase car charged without a plan and left; a 1-phase car, not drawing yet, gets a target
    const src = source();
    src.setPrices(EVENING);
    run(src, { connected: true, drawA: 16 }, T0, T0 + STEP_MS);
    run(src, { connected: false, drawA: 0 }, T0 + STEP_MS, T0 + 2 * STEP_MS);
    run(src, { connected: true, drawA: 0, phases: 1 }, T0 + 2 * STEP_MS, T0 + 3 * STEP_MS);
    src.setTarget('ev', { energyKWh: 20 }, DEADLINE);
    assert.strictEqual(src.getState().chargers.ev.drawPhases, undefined);
    const pick = (list: string[]): string[] => list.map((x) => x.split(' ')[1]);
    assert.deepStrictEqual(pick(slots(src)), pick(fresh), 'planned at one phase, as for a car never seen');
    // a finished plan of a 3-phase car ends at its unplug; the next car (1-phase, not drawing) gets a new target
    const car: Car = { connected: true, drawA: 16 };
    src.cancel('ev');
    run(src, car, T0 + 3 * STEP_MS, T0 + 4 * STEP_MS);
    src.setTarget('ev', { energyKWh: 2 }, DEADLINE);
    src.start('ev');
    run(src, car, T0 + 4 * STEP_MS, T0 + 8 * H);
    assert.strictEqual(src.status('ev').phase, 'done');
    car.connected = false;
    run(src, car, T0 + 8 * H, T0 + 8 * H + 2 * STEP_MS);
    assert.strictEqual(src.status('ev').hasTarget, false, 'the unplug ended the finished plan');
    Object.assign(car, { connected: true, drawA: 0, phases: 1 });
    run(src, car, T0 + 8 * H + 2 * STEP_MS, T0 + 8 * H + 3 * STEP_MS);
    src.setTarget('ev', { energyKWh: 5 }, DEADLINE);
    assert.strictEqual(src.getState().chargers.ev.drawPhases, undefined);
    assert.ok(slots(src).every((x) => x.endsWith(' 3680 W')), `one phase: ${slots(src).join(', ')}`);
  });

  it('counts only recent readings: a charger whose polls fail (its last currents kept) adds nothing after its poll period and slack', () => {
    const { src } = midPlan(); // half an hour into the 01:00 slot, charging at 16 A on three phases
    const fresh = (atMs: number | null): ChargerInput => ({ ...input({ connected: true, drawA: 16 }), measuredAtMs: atMs });
    const from = T0 + 7.5 * H;
    // readings every 10 s for 5 minutes: counted in full (16 A x 3 x 230 V = 11.04 kW)
    let wall = from;
    const before = kWh(src);
    for (; wall < from + 5 * 60_000; wall += STEP_MS) src.observe(MONO(wall), wall, null, [fresh(MONO(wall))]);
    assert.ok(Math.abs(kWh(src) - before - 11.04 / 12) < 0.01, `5 min of fresh readings: ${(kWh(src) - before).toFixed(3)} kWh`);
    // the polls fail from here (the car unplugged meanwhile): the controller keeps the last reading's 16 A
    const lastAtMs = MONO(wall - STEP_MS);
    const atFailure = kWh(src);
    for (; wall < from + 35 * 60_000; wall += STEP_MS) src.observe(MONO(wall), wall, null, [fresh(lastAtMs)]);
    const extraKWh = kWh(src) - atFailure;
    // at most the poll period (10 s) and the slack (30 s) after the last reading: 40 s at 11.04 kW
    assert.ok(extraKWh <= (11.04 * 40) / 3600 + 1e-9, `30 min without a reading counted ${extraKWh.toFixed(2)} kWh`);
    // no reading known at all (null): nothing
    const unknownAt = kWh(src);
    for (; wall < from + 40 * 60_000; wall += STEP_MS) src.observe(MONO(wall), wall, null, [fresh(null)]);
    assert.strictEqual(kWh(src), unknownAt);
    assert.notStrictEqual(src.status('ev').phase, 'done', 'the plan does not end "target reached" on a stale reading');
  });

  it('an infeasible deadline falls back to fast: no ceiling, the status says why', () => {
    const src = source();
    const car: Car = { connected: true, drawA: 16 }; // charging (on three phases) before the target
    src.setPrices(EVENING);
    run(src, car, T0, T0 + STEP_MS);
    src.setTarget('ev', { socPct: 80, batteryKWh: 77, currentSocPct: 20 }, T0 + 3 * H);
    src.start('ev');
    assert.strictEqual(src.charger(MONO(T0 + STEP_MS), input(car)), null);
    const s = src.status('ev');
    assert.strictEqual(s.phase, 'fallback');
    assert.match(s.reason, /51\.3 kWh cannot be charged by 21:00/);
    run(src, car, T0 + STEP_MS, T0 + H);
    assert.ok(kWh(src) > 10, 'charging at once');
  });

  it('with modes: only a charger in mode planned is governed; planned without a target waits with a reason', () => {
    let mode: ChargingMode = 'fast';
    const src = new PlanLimitSource({ timeZone: TZ, modeOf: () => mode, settings: () => ({ fuseA: 25, marginA: 1 }) });
    const car: Car = { connected: true, drawA: 16 }; // charging (on three phases) before the target
    src.setPrices(EVENING);
    run(src, car, T0, T0 + STEP_MS);
    assert.strictEqual(src.charger(MONO(T0), input(car)), null);
    mode = 'planned';
    assert.deepStrictEqual(src.charger(MONO(T0), input(car)), { maxA: 0, reason: 'Plan: no target set' });
    src.setTarget('ev', { energyKWh: 5 }, DEADLINE);
    assert.strictEqual(src.charger(MONO(T0), input(car))?.reason, 'Plan: waiting for the 01:00 slot');
    assert.match(src.setTarget('ev', { energyKWh: -1 }, DEADLINE) ?? '', /energy: expected a number above 0, at most 200 kWh, got -1/);
    assert.match(src.setTarget('ev', { energyKWh: 5 }, T0 - H) ?? '', /deadline: expected a time in the future/);
    assert.match(src.start('other') ?? '', /no target yet/);
  });

  it('a bad target gets one line naming the field and the range actually enforced; only finite numbers pass', () => {
    const later = T0 + H;
    const check = (t: unknown): string | null => checkTarget(t as PlanTarget, later, T0);
    const soc = (over: Record<string, unknown>): unknown => ({ socPct: 80, batteryKWh: 60, currentSocPct: 40, ...over });
    const cases: [unknown, string | null][] = [
      [{ energyKWh: 0 }, 'energy: expected a number above 0, at most 200 kWh, got 0'],
      [{ energyKWh: 200 }, null],
      [{ energyKWh: 200.1 }, 'energy: expected a number above 0, at most 200 kWh, got 200.1'],
      [{ energyKWh: NaN }, 'energy: expected a number above 0, at most 200 kWh, got NaN'],
      [{ energyKWh: '5' }, 'energy: expected a number above 0, at most 200 kWh, got "5"'],
      [soc({ currentSocPct: null }), 'current state of charge: expected a number from 0 to 100 %, got null'],
      [soc({ socPct: null }), 'target state of charge: expected a number from 0 to 100 %, got null'],
      [soc({ socPct: 101 }), 'target state of charge: expected a number from 0 to 100 %, got 101'],
      [soc({ batteryKWh: 0.5 }), 'battery size: expected a number from 1 to 250 kWh, got 0.5'],
      [soc({ batteryKWh: 1 }), null],
      [soc({ batteryKWh: Infinity }), 'battery size: expected a number from 1 to 250 kWh, got Infinity'],
      [soc({ currentSocPct: 0 }), null],
    ];
    for (const [t, want] of cases) assert.strictEqual(check(t), want, JSON.stringify(t));
  });

  it('learns the house from the meter minus the chargers and plans around a heavy evening on a small fuse', () => {
    const events: PlanEvent[] = [];
    const src = new PlanLimitSource({ timeZone: TZ, onEvent: (e) => events.push(e), settings: () => ({ fuseA: 16, marginA: 1 }) });
    const car: Car = { connected: false, drawA: 0 };
    // yesterday: 10 A per phase from 18:00 to 24:00, 1 A after
    run(src, car, T0 - 24 * H, T0 - 18 * H, [10, 10, 10]);
    run(src, car, T0 - 18 * H, T0 - 12 * H, [1, 1, 1]);
    car.connected = true;
    const flat = hourly(Array(12).fill(1), T0);
    src.setPrices(flat);
    run(src, car, T0, T0 + STEP_MS, [10, 10, 10]);
    src.setTarget('ev', { energyKWh: 9 }, DEADLINE);
    src.start('ev');
    const plan = src.status('ev').plan!;
    // 16 - 1 - 10 = 5 A in the evening: below 6 A, no charging planned there; the night allows 14 A
    assert.ok(plan.slots.every((s) => s.startMs >= T0 + 6 * H), 'only after midnight');
    assert.strictEqual(plan.slots[0].powerW, 14 * 230, 'until the car draws it counts on one phase (the lower power)');
  });
});

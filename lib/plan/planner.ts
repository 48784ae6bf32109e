/**
 * The charging plan: the cheapest slots before the deadline that can deliver the energy still needed, at the power
 * the fuse is expected to leave (the household's expected load at that time of day, per phase, minus the margin)
 * and the capacity cap allows, counting only `safetyFactor` of it. Pure: same input, same plan.
 *
 * Time without a known price (prices not published yet) is planned as a last resort at the highest known price:
 * the plan says what it can do with what is known and is made again when more prices arrive. When even every slot
 * up to the deadline cannot deliver the energy, the plan is infeasible (the caller charges at once, `fast`).
 */
import { DateTime } from 'luxon';
import type { Triple } from '../balancer/types';
import type { PriceSlot } from './prices';

export interface PlanInput {
  /** Wall clock now (ms). */
  nowMs: number;
  deadlineMs: number;
  /** Energy still needed (Wh). */
  energyWh: number;
  slots: readonly PriceSlot[];
  chargerPhases: 1 | 3;
  /** Grid phases (0..2) the car draws on; default L1 for one phase, all three for three. */
  gridPhases?: readonly number[];
  minA: number;
  maxA: number;
  fuseA: number;
  marginA: number;
  voltageV: number;
  /** The household's expected current per grid phase at a wall time, without the chargers (A). */
  expectedHouseA(wallMs: number): Triple<number>;
  /** The capacity cap on the whole house's import (kW), or none. */
  capKW?: number | null;
  /** The share of the expected energy the plan counts on (0 < f ≤ 1), e.g. 0.9. */
  safetyFactor: number;
  /** For the reason's clock times (default UTC). */
  timeZone?: string;
}

export interface PlanSlot {
  startMs: number;
  endMs: number;
  /** The charge power expected in this slot (W). */
  powerW: number;
  /** The energy the plan counts on in this slot (Wh). */
  energyWh: number;
  price: number;
  /** False where no price was known yet (planned at the highest known price). */
  priceKnown: boolean;
}

export interface Plan {
  /** Chosen slots in time order. */
  slots: PlanSlot[];
  feasible: boolean;
  /** Σ energy × price of the chosen slots (price per kWh × kWh). */
  expectedCost: number;
  /** One sentence a user reads. */
  reason: string;
  /** Energy the plan was made for (Wh) and what it counts on delivering (Wh). */
  energyWh: number;
  plannedWh: number;
  madeAtMs: number;
  deadlineMs: number;
}

const QUARTER_MS = 15 * 60_000;
const HOUR_MS = 60 * 60_000;
/** Shorter pieces of time are not worth a slot (a car needs seconds to start). */
const MIN_SEGMENT_MS = 60_000;

interface Segment {
  startMs: number;
  endMs: number;
  price: number;
  priceKnown: boolean;
}

/** The charge current (A) the fuse and the cap leave at a wall time, 0 below the minimum. */
export function expectedCurrentA(input: PlanInput, wallMs: number): number {
  const phases = gridPhasesOf(input);
  const house = input.expectedHouseA(wallMs);
  let currentA = Math.min(...phases.map((g) => input.fuseA - input.marginA - Math.max(0, house[g])));
  if (input.capKW !== null && input.capKW !== undefined) {
    const houseW = house.reduce((s, a) => s + Math.max(0, a), 0) * input.voltageV;
    currentA = Math.min(currentA, (input.capKW * 1000 - houseW) / (input.voltageV * phases.length));
  }
  currentA = Math.min(input.maxA, Math.floor(currentA + 1e-9));
  return currentA >= input.minA ? currentA : 0;
}

function gridPhasesOf(input: PlanInput): readonly number[] {
  if (input.gridPhases && input.gridPhases.length > 0) return input.gridPhases;
  return input.chargerPhases === 1 ? [0] : [0, 1, 2];
}

/** Mean expected charge power over a piece of time (W), from its quarter-hours. */
function segmentPowerW(input: PlanInput, seg: Segment): number {
  const n = gridPhasesOf(input).length;
  let weighted = 0;
  for (let t = seg.startMs; t < seg.endMs; ) {
    const next = Math.min(seg.endMs, (Math.floor(t / QUARTER_MS) + 1) * QUARTER_MS);
    weighted += expectedCurrentA(input, (t + next) / 2) * input.voltageV * n * (next - t);
    t = next;
  }
  return seg.endMs > seg.startMs ? weighted / (seg.endMs - seg.startMs) : 0;
}

/** The pieces of [now, deadline): priced slots clipped to it, and hours without a price filling the gaps. */
function segments(input: PlanInput): Segment[] {
  const { nowMs, deadlineMs } = input;
  const known = input.slots.filter((s) => s.endMs > nowMs && s.startMs < deadlineMs).sort((a, b) => a.startMs - b.startMs);
  const maxKnown = known.length ? Math.max(...known.map((s) => s.price)) : 0;
  const out: Segment[] = [];
  const gap = (from: number, to: number): void => {
    for (let t = from; t < to; ) {
      const next = Math.min(to, (Math.floor(t / HOUR_MS) + 1) * HOUR_MS);
      out.push({ startMs: t, endMs: next, price: maxKnown, priceKnown: false });
      t = next;
    }
  };
  let cursor = nowMs;
  for (const s of known) {
    const start = Math.max(s.startMs, nowMs);
    const end = Math.min(s.endMs, deadlineMs);
    if (start > cursor) gap(cursor, start);
    if (end > start) out.push({ startMs: start, endMs: end, price: s.price, priceKnown: true });
    cursor = Math.max(cursor, end);
  }
  if (cursor < deadlineMs) gap(cursor, deadlineMs);
  return out.filter((s) => s.endMs - s.startMs >= MIN_SEGMENT_MS);
}

/** Time rounded up to this when a slot is only partly needed. */
const TRIM_STEP_MS = 60_000;
/**
 * Added to a partly needed slot: a car that was paused starts with a delay and the balancer raises it from its
 * minimum in steps after each hold (about 45 s of full power lost per start in the sim), which a short slot feels most.
 */
const START_ALLOWANCE_MS = 60_000;

/**
 * The end of a slot of which only `energyWh` is needed: the first part of it that holds that energy (whole minutes,
 * at least MIN_SEGMENT_MS), so the car does not charge a whole expensive slot for the last bit of the target.
 */
function trimmedEndMs(c: { startMs: number; endMs: number; energyWh: number }, energyWh: number): number {
  if (energyWh >= c.energyWh) return c.endMs;
  const needMs = ((c.endMs - c.startMs) * energyWh) / c.energyWh;
  const ms = Math.max(MIN_SEGMENT_MS, Math.ceil((needMs + START_ALLOWANCE_MS) / TRIM_STEP_MS) * TRIM_STEP_MS);
  return Math.min(c.endMs, c.startMs + ms);
}

export function makePlan(input: PlanInput): Plan {
  const base = { energyWh: Math.max(0, input.energyWh), madeAtMs: input.nowMs, deadlineMs: input.deadlineMs };
  const at = (ms: number): string => DateTime.fromMillis(ms, { zone: input.timeZone ?? 'UTC' }).toFormat('HH:mm');
  if (input.energyWh <= 0) return { ...base, slots: [], feasible: true, expectedCost: 0, plannedWh: 0, reason: 'Plan: target reached' };
  const factor = Math.min(1, Math.max(0.1, input.safetyFactor));
  const candidates = segments(input)
    .map((seg) => {
      const powerW = segmentPowerW(input, seg);
      return { ...seg, powerW, energyWh: (powerW * factor * (seg.endMs - seg.startMs)) / HOUR_MS };
    })
    .filter((c) => c.energyWh > 0);
  const byPrice = [...candidates].sort((a, b) => a.price - b.price || Number(b.priceKnown) - Number(a.priceKnown) || a.startMs - b.startMs);
  const chosen: PlanSlot[] = [];
  let remaining = input.energyWh;
  for (const c of byPrice) {
    if (remaining <= 0) break;
    const energyWh = Math.min(c.energyWh, remaining);
    chosen.push({ startMs: c.startMs, endMs: trimmedEndMs(c, energyWh), powerW: c.powerW, energyWh, price: c.price, priceKnown: c.priceKnown });
    remaining -= energyWh;
  }
  chosen.sort((a, b) => a.startMs - b.startMs);
  const plannedWh = chosen.reduce((s, c) => s + c.energyWh, 0);
  const expectedCost = chosen.reduce((s, c) => s + (c.energyWh / 1000) * c.price, 0);
  const kWh = (wh: number): string => (wh / 1000).toFixed(1);
  if (remaining > 1e-6) {
    return {
      ...base,
      slots: chosen,
      feasible: false,
      expectedCost,
      plannedWh,
      reason: `Plan: ${kWh(input.energyWh)} kWh cannot be charged by ${at(input.deadlineMs)} (about ${kWh(plannedWh)} kWh fit under the fuse): charging now`,
    };
  }
  const unknown = chosen.some((c) => !c.priceKnown) ? ', partly before prices are known' : '';
  const first = chosen.length ? at(chosen[0].startMs) : '-';
  return {
    ...base,
    slots: chosen,
    feasible: true,
    expectedCost,
    plannedWh,
    reason: `Plan: ${kWh(input.energyWh)} kWh by ${at(input.deadlineMs)} in ${chosen.length} slot(s) from ${first}${unknown}`,
  };
}

/** The plan slot holding a wall time, or null. */
export function slotAt(plan: Plan | null, wallMs: number): PlanSlot | null {
  return plan?.slots.find((s) => s.startMs <= wallMs && wallMs < s.endMs) ?? null;
}

/** The first plan slot that starts after a wall time, or null. */
export function nextSlotAfter(plan: Plan | null, wallMs: number): PlanSlot | null {
  return plan?.slots.find((s) => s.startMs > wallMs) ?? null;
}

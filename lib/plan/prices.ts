/**
 * Day-ahead prices in: the shapes Homey price apps hand out, turned into slots on the wall clock.
 *
 * Accepted (sources in docs/plan.md):
 * - an array of `{ startsAt|time|start|deliveryStart: ISO, price|value|total|importPrice: number }` (Tibber's
 *   `priceInfo.today`, Power by the Hour's inter-app `slots`, most electricity-price apps), an optional end
 *   (`endsAt|end|deliveryEnd`); without one a slot lasts until the next (at most 60 min) or as long as the one before;
 * - an object wrapping such arrays: `{ today, tomorrow }` (Tibber), `{ priceInfo: { today, tomorrow } }`,
 *   `{ prices | slots | data: [...] }`, Power by the Hour's `GET /dap-prices` answer (its 15-minute `dap15` device
 *   first, else `dap`; never gas), Nord Pool's day-ahead API (`multiAreaEntries` / `multiIndexEntries` with
 *   `entryPerArea`, per MWh: divided by 1000 to per kWh);
 * - an array of hourly or quarter-hour numbers from local midnight (Power by the Hour's "new prices" flow token):
 *   24 or 96 (23/92 on the spring DST day, 25/100 in autumn), of today, or of `date` in `{ date, prices }`.
 * ISO times without an offset are read in `timeZone`; in the hour the clocks repeat in autumn the first one given is
 * the earlier instant and the next the later. A start time given twice is refused (never a slot of zero length).
 * Every bad shape gets one line naming what was expected.
 */
import { DateTime } from 'luxon';
import { isRecord } from '../record';

export interface PriceSlot {
  startMs: number;
  endMs: number;
  /** Currency per kWh, as the source gives it (Nord Pool's per-MWh figures divided by 1000). */
  price: number;
}

export type ParsedPrices = { slots: PriceSlot[] } | { error: string };

export interface ParseOptions {
  /** IANA time zone of the home: local midnight, DST days, ISO times without an offset. */
  timeZone: string;
  /** Now (wall clock, ms): "today" for numbers from local midnight. */
  nowMs: number;
  /** Nord Pool answers for several areas: the one to take (else the only one). */
  area?: string;
}

export const EXPECTED_SHAPES =
  'expected an array of { startsAt|time|start: ISO time, price|value|total: number }, an object with such arrays ' +
  '(today/tomorrow, prices, slots), or 24/96 numbers from local midnight (23/92 or 25/100 on DST days)';

const START_KEYS = ['startsAt', 'time', 'start', 'deliveryStart', 'from', 'startTime'] as const;
const END_KEYS = ['endsAt', 'end', 'deliveryEnd', 'till', 'to', 'endTime'] as const;
const PRICE_KEYS = ['price', 'value', 'total', 'importPrice'] as const;
const MAX_SLOT_MS = 60 * 60_000;

class PriceError extends Error {}

function fail(message: string): never {
  throw new PriceError(message);
}

export function parsePrices(json: unknown, opts: ParseOptions): ParsedPrices {
  try {
    if (!DateTime.local().setZone(opts.timeZone).isValid) fail(`unknown time zone "${opts.timeZone}"`);
    let value = json;
    if (typeof value === 'string') {
      const text = value.trim();
      if (text === '') fail(`prices: the text is empty; ${EXPECTED_SHAPES}`);
      try {
        value = JSON.parse(text);
      } catch {
        fail(`prices: not valid JSON (starts "${text.slice(0, 20)}"); ${EXPECTED_SHAPES}`);
      }
    }
    const slots = parseValue(value, opts, 'prices');
    if (slots.length === 0) fail(`prices: no price slots in it; ${EXPECTED_SHAPES}`);
    return { slots: checkOrder(slots) };
  } catch (err) {
    if (err instanceof PriceError) return { error: err.message };
    throw err;
  }
}

function parseValue(value: unknown, opts: ParseOptions, where: string): PriceSlot[] {
  if (Array.isArray(value)) return parseArray(value, opts, where, null);
  if (!isRecord(value)) fail(`${where}: got ${describe(value)}; ${EXPECTED_SHAPES}`);
  return parseObject(value, opts, where);
}

function parseObject(obj: Record<string, unknown>, opts: ParseOptions, where: string): PriceSlot[] {
  if (isRecord(obj.priceInfo)) return parseObject(obj.priceInfo, opts, `${where}.priceInfo`);
  if ('today' in obj || 'tomorrow' in obj) {
    const out: PriceSlot[] = [];
    for (const key of ['today', 'tomorrow'] as const) {
      const v = obj[key];
      if (v === undefined || v === null) continue;
      if (!Array.isArray(v)) fail(`${where}.${key}: got ${describe(v)}; expected an array of price slots`);
      const date = key === 'tomorrow' && v.some((x) => typeof x === 'number') ? localDay(opts, 1) : null;
      out.push(...parseArray(v, opts, `${where}.${key}`, date));
    }
    return out;
  }
  for (const key of ['multiAreaEntries', 'multiIndexEntries'] as const) {
    if (Array.isArray(obj[key])) return parseArray(obj[key] as unknown[], opts, `${where}.${key}`, null);
  }
  const pbth = powerByTheHourDevice(obj, opts, where);
  if (pbth) return pbth;
  for (const key of ['prices', 'slots', 'data'] as const) {
    const v = obj[key];
    if (v === undefined) continue;
    if (!Array.isArray(v)) fail(`${where}.${key}: got ${describe(v)}; expected an array`);
    return parseArray(v, opts, `${where}.${key}`, dateOf(obj.date, `${where}.date`, opts));
  }
  const keys = Object.keys(obj).slice(0, 5).join(', ');
  fail(`${where}: an object with keys ${keys || '(none)'}; ${EXPECTED_SHAPES}`);
}

/** Power by the Hour's `GET /dap-prices`: `{ prices: [{ driverType, priceInterval, slots: [{ time, importPrice }] }] }`. */
function powerByTheHourDevice(obj: Record<string, unknown>, opts: ParseOptions, where: string): PriceSlot[] | null {
  const devices = obj.prices;
  if (!Array.isArray(devices) || !devices.some((d) => isRecord(d) && Array.isArray(d.slots))) return null;
  const electric = devices.filter((d): d is Record<string, unknown> => isRecord(d) && Array.isArray(d.slots) && d.driverType !== 'dapg');
  const pick = electric.find((d) => d.driverType === 'dap15') ?? electric[0];
  if (!pick) fail(`${where}.prices: only gas prices (driverType dapg); expected a dap or dap15 electricity device`);
  const i = devices.indexOf(pick);
  return parseArray(pick.slots as unknown[], opts, `${where}.prices[${i}].slots`, null);
}

function parseArray(arr: unknown[], opts: ParseOptions, where: string, date: DateTime | null): PriceSlot[] {
  if (arr.length === 0) return [];
  if (arr.some((x) => typeof x === 'number')) return fromNumbers(arr, opts, where, date);
  return fromObjects(arr, opts, where);
}

function fromNumbers(nums: unknown[], opts: ParseOptions, where: string, date: DateTime | null): PriceSlot[] {
  nums.forEach((price, i) => {
    if (typeof price !== 'number' || !Number.isFinite(price)) fail(`${where}[${i}]: expected a number, got ${describe(price)}`);
  });
  const day = date ?? localDay(opts, 0);
  const next = day.plus({ days: 1 });
  const hours = Math.round(next.diff(day, 'hours').hours);
  const label = `${day.toISODate()} in ${opts.timeZone} has ${hours} hours`;
  let stepMs: number;
  if (nums.length === hours) stepMs = 3_600_000;
  else if (nums.length === hours * 4) stepMs = 900_000;
  else fail(`${where}: ${nums.length} numbers but ${label}: expected ${hours} hourly or ${hours * 4} quarter-hour prices from local midnight`);
  const startMs = day.toMillis();
  return (nums as number[]).map((price, i) => ({ startMs: startMs + i * stepMs, endMs: startMs + (i + 1) * stepMs, price }));
}

function fromObjects(arr: unknown[], opts: ParseOptions, where: string): PriceSlot[] {
  // a local time without an offset in the autumn's repeated hour means two instants: the first one given is the
  // earlier, the next the later (counted per local time)
  const seen = new Map<number, number>();
  const raw = arr.map((item, i) => {
    const at = `${where}[${i}]`;
    if (!isRecord(item)) fail(`${at}: got ${describe(item)}; expected { startsAt: ISO time, price: number }`);
    const startKey = START_KEYS.find((k) => item[k] !== undefined);
    if (!startKey) fail(`${at}: no start time; expected one of ${START_KEYS.slice(0, 3).join('|')} with an ISO time`);
    const field = `${at}.${startKey}`;
    const starts = isoInstants(item[startKey], field, opts);
    const n = seen.get(starts[0]) ?? 0;
    seen.set(starts[0], n + 1);
    const startMs = starts[Math.min(n, starts.length - 1)];
    const endKey = END_KEYS.find((k) => item[k] !== undefined && item[k] !== null);
    const endMs = endKey ? endAfter(isoInstants(item[endKey], `${at}.${endKey}`, opts), startMs) : null;
    if (endMs !== null && endMs <= startMs) fail(`${at}.${endKey}: ends before it starts`);
    return { startMs, endMs, price: priceOf(item, at, opts), field, text: String(item[startKey]) };
  });
  raw.sort((a, b) => a.startMs - b.startMs);
  for (let i = 1; i < raw.length; i++) {
    if (raw[i].startMs === raw[i - 1].startMs) {
      const twice = raw[i].field.localeCompare(raw[i - 1].field, 'en', { numeric: true }) > 0 ? raw[i] : raw[i - 1];
      fail(`${twice.field}: "${twice.text}" starts at the same instant as another slot; expected each start time once`);
    }
  }
  return raw.map((r, i) => {
    if (r.endMs !== null) return { startMs: r.startMs, endMs: r.endMs, price: r.price };
    const next = raw[i + 1];
    if (next && next.startMs - r.startMs <= MAX_SLOT_MS) return { startMs: r.startMs, endMs: next.startMs, price: r.price };
    const prev = raw[i - 1];
    const lenMs = prev ? Math.min(MAX_SLOT_MS, r.startMs - prev.startMs) : MAX_SLOT_MS;
    return { startMs: r.startMs, endMs: r.startMs + lenMs, price: r.price };
  });
}

/** The first of an end time's instants after the start (a local end time in the repeated hour), else its last. */
function endAfter(instants: number[], startMs: number): number {
  return instants.find((ms) => ms > startMs) ?? instants[instants.length - 1];
}

function priceOf(item: Record<string, unknown>, at: string, opts: ParseOptions): number {
  if (isRecord(item.entryPerArea)) {
    const areas = Object.keys(item.entryPerArea);
    const area = opts.area ?? (areas.length === 1 ? areas[0] : undefined);
    if (area === undefined) fail(`${at}.entryPerArea: several areas (${areas.join(', ')}); expected one area's prices`);
    const v = item.entryPerArea[area];
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${at}.entryPerArea.${area}: expected a number (per MWh), got ${describe(v)}`);
    return Number((v / 1000).toPrecision(12));
  }
  const key = PRICE_KEYS.find((k) => item[k] !== undefined);
  if (!key) fail(`${at}: no price; expected one of ${PRICE_KEYS.join('|')} with a number`);
  const v = item[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${at}.${key}: expected a number, got ${describe(v)}`);
  return v;
}

/** An ISO time that ends in Z or an offset (+02:00, -0500, +01). */
const WITH_OFFSET = /T[\d:.,]+(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

/**
 * The instants an ISO time means, earlier first: one, or two for a local time without an offset in the hour the
 * clocks repeat in autumn.
 */
function isoInstants(v: unknown, at: string, opts: ParseOptions): number[] {
  if (typeof v !== 'string') fail(`${at}: expected an ISO time such as "2025-10-01T02:15:00+02:00", got ${describe(v)}`);
  const t = DateTime.fromISO(v, { zone: opts.timeZone });
  if (!t.isValid || !/^\d{4}-\d{2}-\d{2}/.test(v)) fail(`${at}: "${v}" is not an ISO time with a date (such as "2025-10-01T02:15:00+02:00")`);
  if (WITH_OFFSET.test(v.trim())) return [t.toMillis()];
  const all = t.getPossibleOffsets().map((d) => d.toMillis());
  return all.length ? [...new Set(all)].sort((a, b) => a - b) : [t.toMillis()];
}

function dateOf(v: unknown, at: string, opts: ParseOptions): DateTime | null {
  if (v === undefined || v === null) return null;
  const t = typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? DateTime.fromISO(v, { zone: opts.timeZone }) : null;
  if (!t || !t.isValid) fail(`${at}: expected a date "YYYY-MM-DD", got ${describe(v)}`);
  return t.startOf('day');
}

/** Local midnight of today (+ `plusDays`) in the home's time zone. */
function localDay(opts: ParseOptions, plusDays: number): DateTime {
  return DateTime.fromMillis(opts.nowMs, { zone: opts.timeZone }).startOf('day').plus({ days: plusDays });
}

function checkOrder(slots: PriceSlot[]): PriceSlot[] {
  const sorted = [...slots].sort((a, b) => a.startMs - b.startMs);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].startMs < sorted[i - 1].endMs) {
      fail(`prices: two slots overlap at ${new Date(sorted[i].startMs).toISOString()}; expected each time once`);
    }
  }
  return sorted;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return `"${v.length > 30 ? `${v.slice(0, 30)}…` : v}"`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

/** Merge newly arrived slots into known ones: a new slot replaces what it overlaps. Sorted. */
export function mergePrices(known: readonly PriceSlot[], fresh: readonly PriceSlot[]): PriceSlot[] {
  const kept = known.filter((k) => !fresh.some((f) => f.startMs < k.endMs && k.startMs < f.endMs));
  return [...kept, ...fresh].sort((a, b) => a.startMs - b.startMs);
}

/**
 * The fresh slots that would not replace finer known ones: a slot overlapping a shorter known slot is left out (an
 * hourly price never overwrites the quarter-hours known for that time). Sorted as given.
 */
export function withoutCoarser(known: readonly PriceSlot[], fresh: readonly PriceSlot[]): PriceSlot[] {
  const lenMs = (s: PriceSlot): number => s.endMs - s.startMs;
  return fresh.filter((f) => !known.some((k) => f.startMs < k.endMs && k.startMs < f.endMs && lenMs(k) < lenMs(f)));
}

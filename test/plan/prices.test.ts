import assert from 'assert';
import { readFileSync } from 'fs';
import path from 'path';
import { mergePrices, parsePrices, type PriceSlot } from '../../lib/plan/prices';

const AMS = 'Europe/Amsterdam';
const H = 3600_000;
const Q = 900_000;

function slots(json: unknown, timeZone = AMS, nowIso = '2025-10-01T12:00:00+02:00', area?: string): PriceSlot[] {
  const r = parsePrices(json, { timeZone, nowMs: Date.parse(nowIso), area });
  if ('error' in r) throw new Error(`unexpected error: ${r.error}`);
  return r.slots;
}

function error(json: unknown, timeZone = AMS, nowIso = '2025-10-01T12:00:00+02:00'): string {
  const r = parsePrices(json, { timeZone, nowMs: Date.parse(nowIso) });
  assert.ok('error' in r, `expected an error, got ${JSON.stringify(r).slice(0, 80)}`);
  assert.ok(!r.error.includes('\n'), 'one line');
  return r.error;
}

describe('lib/plan/prices', () => {
  it('Tibber priceInfo { today, tomorrow } with startsAt and total: hourly slots at their offsets', () => {
    const today = [0.2, 0.3, 0.4].map((total, h) => ({ total, energy: 0.1, tax: 0.1, startsAt: `2025-10-01T0${h}:00:00.000+02:00` }));
    const tomorrow = [{ total: 0.9, energy: 0.5, tax: 0.4, startsAt: '2025-10-02T00:00:00.000+02:00' }];
    const s = slots({ priceInfo: { today, tomorrow } });
    assert.strictEqual(s.length, 4);
    assert.strictEqual(s[0].startMs, Date.parse('2025-09-30T22:00:00Z'));
    assert.strictEqual(s[0].endMs - s[0].startMs, H);
    assert.deepStrictEqual(s.map((x) => x.price), [0.2, 0.3, 0.4, 0.9]);
    // the last slot lasts as long as the one before it (an hour); tomorrow's starts where its own time says
    assert.strictEqual(s[3].startMs, Date.parse('2025-10-01T22:00:00Z'));
    assert.strictEqual(s[3].endMs - s[3].startMs, H);
  });

  it('Power by the Hour GET /dap-prices: the 15-minute dap15 device before the hourly one, importPrice, never gas', () => {
    const dev = (driverType: string, interval: number, price: number) => ({
      deviceId: `d-${driverType}`,
      driverType,
      priceInterval: interval,
      slots: [0, 1].map((i) => ({ time: new Date(Date.parse('2025-08-01T10:00:00Z') + i * interval * 60_000).toISOString(), importPrice: price + i, exportPrice: 0, isForecast: false })),
    });
    const s = slots({ generatedAt: '2025-08-01T10:00:00.000Z', prices: [dev('dapg', 60, 5), dev('dap', 60, 1), dev('dap15', 15, 2)] });
    assert.deepStrictEqual(s.map((x) => x.price), [2, 3]);
    assert.strictEqual(s[1].startMs - s[0].startMs, Q);
    assert.strictEqual(s[1].endMs - s[1].startMs, Q, 'the last quarter-hour lasts a quarter-hour');
    assert.match(error({ prices: [dev('dapg', 60, 5)] }), /only gas prices.*expected a dap or dap15/);
  });

  it('Power by the Hour "new prices" flow token: 24 numbers as JSON text, from local midnight of today', () => {
    const s = slots(JSON.stringify(Array.from({ length: 24 }, (_, i) => i / 100)));
    assert.strictEqual(s.length, 24);
    assert.strictEqual(s[0].startMs, Date.parse('2025-09-30T22:00:00Z'));
    assert.strictEqual(s[23].endMs, Date.parse('2025-10-01T22:00:00Z'));
    assert.strictEqual(s[5].price, 0.05);
  });

  it('96 quarter-hour numbers; { today: numbers, tomorrow: numbers } puts tomorrow on the next day', () => {
    const q = slots(Array.from({ length: 96 }, (_, i) => i));
    assert.strictEqual(q.length, 96);
    assert.strictEqual(q[1].startMs - q[0].startMs, Q);
    const both = slots({ today: Array(24).fill(1), tomorrow: Array(96).fill(2) });
    assert.strictEqual(both.length, 120);
    assert.strictEqual(both[24].startMs, Date.parse('2025-10-01T22:00:00Z'));
    assert.strictEqual(both[119].endMs, Date.parse('2025-10-02T22:00:00Z'));
  });

  it('DST spring day (Amsterdam 2025-03-30, 23 h): 23 hourly or 92 quarter-hours; 24 is refused naming both', () => {
    const d = { date: '2025-03-30' };
    const h = slots({ ...d, prices: Array.from({ length: 23 }, (_, i) => i) });
    assert.strictEqual(h.length, 23);
    assert.strictEqual(h[0].startMs, Date.parse('2025-03-29T23:00:00Z'));
    assert.strictEqual(h[22].endMs, Date.parse('2025-03-30T22:00:00Z'));
    // slot 2 is 03:00 CEST: the hour 02:00-03:00 does not exist
    assert.strictEqual(h[2].startMs, Date.parse('2025-03-30T03:00:00+02:00'));
    assert.strictEqual(slots({ ...d, prices: Array(92).fill(0.1) }).length, 92);
    const e = error({ ...d, prices: Array(24).fill(0.1) });
    assert.match(e, /24 numbers but 2025-03-30 in Europe\/Amsterdam has 23 hours: expected 23 hourly or 92 quarter-hour prices/);
  });

  it('DST autumn day (Amsterdam 2025-10-26, 25 h): 25 hourly or 100 quarter-hours, the repeated hour twice', () => {
    const h = slots({ date: '2025-10-26', prices: Array.from({ length: 25 }, (_, i) => i) });
    assert.strictEqual(h.length, 25);
    assert.strictEqual(h[2].startMs, Date.parse('2025-10-26T02:00:00+02:00'));
    assert.strictEqual(h[3].startMs, Date.parse('2025-10-26T02:00:00+01:00'));
    assert.strictEqual(h[24].endMs, Date.parse('2025-10-26T23:00:00Z'));
    assert.strictEqual(slots({ date: '2025-10-26', prices: Array(100).fill(1) }).length, 100);
    assert.match(error({ date: '2025-10-26', prices: Array(96).fill(1) }), /has 25 hours: expected 25 hourly or 100 quarter-hour/);
    // today's numbers on a DST day follow that day's length too
    assert.strictEqual(slots(Array(92).fill(1), AMS, '2025-03-30T12:00:00+02:00').length, 92);
  });

  it('objects with 15-minute slots and ISO times without offset (read in the home time zone)', () => {
    const s = slots([0, 15, 30, 45].map((m) => ({ time: `2025-10-01T01:${String(m).padStart(2, '0')}:00`, value: m })));
    assert.strictEqual(s[0].startMs, Date.parse('2025-10-01T01:00:00+02:00'));
    assert.ok(s.every((x) => x.endMs - x.startMs === Q));
    const hel = slots([{ start: '2025-10-01T01:00:00', end: '2025-10-01T01:15:00', price: 1 }], 'Europe/Helsinki');
    assert.strictEqual(hel[0].startMs, Date.parse('2025-10-01T01:00:00+03:00'));
    assert.strictEqual(hel[0].endMs - hel[0].startMs, Q);
  });

  it('ISO times without an offset in the autumn\'s repeated hour: the first is the earlier instant, the second the later; a time given once too often is refused', () => {
    const now = '2025-10-25T22:00:00+02:00';
    const local = (hhmm: string[]): { startsAt: string; price: number }[] => hhmm.map((t, i) => ({ startsAt: `2025-10-26T${t}:00`, price: i + 1 }));
    const hours = ['00', '01', '02', '02', ...Array.from({ length: 21 }, (_, i) => String(i + 3).padStart(2, '0'))].map((h) => `${h}:00`);
    const hourly = slots(local(hours), AMS, now);
    assert.strictEqual(hourly.length, 25);
    assert.ok(hourly.every((x, i) => x.endMs - x.startMs === H && (i === 0 || x.startMs === hourly[i - 1].endMs)), 'contiguous hours, none of zero length');
    assert.deepStrictEqual(hourly.slice(2, 4).map((x) => [new Date(x.startMs).toISOString(), x.price]), [['2025-10-26T00:00:00.000Z', 3], ['2025-10-26T01:00:00.000Z', 4]]);
    // quarter-hours: 02:00 … 02:45 twice
    const quarters = ['01:45', '02:00', '02:15', '02:30', '02:45', '02:00', '02:15', '02:30', '02:45', '03:00'];
    const q = slots(local(quarters), AMS, now);
    assert.ok(q.every((x, i) => x.endMs - x.startMs === Q && (i === 0 || x.startMs === q[i - 1].endMs)), 'contiguous quarter-hours');
    assert.strictEqual(new Date(q[5].startMs).toISOString(), '2025-10-26T01:00:00.000Z');
    // an offset says which one: the explicit summer-time 02:00 first, then the local 02:00 is the later one
    const mixed = slots([{ startsAt: '2025-10-26T02:00:00+02:00', price: 1 }, { startsAt: '2025-10-26T02:00:00', price: 2 }, { startsAt: '2025-10-26T03:00:00', price: 3 }], AMS, now);
    assert.deepStrictEqual(mixed.map((x) => (x.endMs - x.startMs) / H), [1, 1, 1]);
    // the repeated hour three times, or any other time twice: one line naming the field, never a zero-length slot
    assert.match(error(local(['01:00', '02:00', '02:00', '02:00', '03:00']), AMS, now), /^prices\[3\]\.startsAt: "2025-10-26T02:00:00" starts at the same instant as another slot; expected each start time once$/);
    assert.match(error(local(['05:00', '06:00', '06:00']), AMS, now), /^prices\[2\]\.startsAt: .* expected each start time once$/);
    assert.match(error([{ startsAt: '2025-10-01T00:00:00Z', price: 1 }, { startsAt: '2025-10-01T02:00:00+02:00', price: 2 }]), /prices\[1\]\.startsAt: "2025-10-01T02:00:00\+02:00" starts at the same instant/);
  });

  it('Nord Pool day-ahead API: entryPerArea per MWh becomes per kWh; several areas need one chosen', () => {
    const entries = [0, 1].map((h) => ({
      deliveryStart: `2024-11-04T2${2 + h}:00:00Z`,
      deliveryEnd: `2024-11-04T2${3 + h}:00:00Z`,
      entryPerArea: { SE3: 250.73 + h, SE4: 283.79 },
    }));
    assert.match(error({ multiAreaEntries: entries }), /several areas \(SE3, SE4\); expected one area's prices/);
    const s = slots({ multiAreaEntries: entries }, AMS, '2024-11-04T12:00:00Z', 'SE4');
    assert.deepStrictEqual(s.map((x) => x.price), [0.28379, 0.28379]);
    const one = slots({ multiIndexEntries: [{ deliveryStart: '2025-09-30T22:00:00Z', deliveryEnd: '2025-09-30T22:15:00Z', entryPerArea: { SE3: 556.68 } }] });
    assert.strictEqual(one[0].price, 0.55668);
    assert.strictEqual(one[0].endMs - one[0].startMs, Q);
  });

  it('the bundled real series (Nord Pool SE3, 2025-10-01, 15 minutes) parses to 96 quarter-hours from local midnight', () => {
    const file = path.join(__dirname, '..', 'fixtures', 'prices', 'nordpool_se3_2025-10-01_15min.json');
    const s = slots(readFileSync(file, 'utf8'), 'Europe/Stockholm');
    assert.strictEqual(s.length, 96);
    assert.strictEqual(s[0].startMs, Date.parse('2025-09-30T22:00:00Z'));
    assert.strictEqual(s[76].price, 3.82803, '19:00 local (17:00 UTC), the evening peak');
  });

  it('each bad shape gets one line naming what was expected', () => {
    assert.match(error('{oops'), /not valid JSON.*expected an array of \{ startsAt\|time\|start/);
    assert.match(error('  '), /the text is empty/);
    assert.match(error(42), /got number 42; expected an array/);
    assert.match(error({ foo: 1, bar: 2 }), /an object with keys foo, bar; expected/);
    assert.match(error([]), /no price slots in it/);
    assert.match(error([{ startsAt: '2025-10-01T00:00:00Z' }]), /prices\[0\]: no price; expected one of price\|value\|total\|importPrice/);
    assert.match(error([{ price: 1 }]), /prices\[0\]: no start time; expected one of startsAt\|time\|start/);
    assert.match(error([{ startsAt: '2025-10-01T00:00:00Z', price: '0.2' }]), /prices\[0\]\.price: expected a number, got "0\.2"/);
    assert.match(error([{ startsAt: 'tomorrow 3pm', price: 1 }]), /prices\[0\]\.startsAt: "tomorrow 3pm" is not an ISO time with a date/);
    assert.match(error([{ startsAt: '2025-10-01T01:00:00Z', endsAt: '2025-10-01T00:00:00Z', price: 1 }]), /endsAt: ends before it starts/);
    const overlap = [
      { startsAt: '2025-10-01T00:00:00Z', endsAt: '2025-10-01T01:00:00Z', price: 1 },
      { startsAt: '2025-10-01T00:30:00Z', endsAt: '2025-10-01T01:30:00Z', price: 2 },
    ];
    assert.match(error(overlap), /two slots overlap at 2025-10-01T00:30:00\.000Z/);
    assert.match(error({ date: '1 Oct', prices: Array(24).fill(1) }), /prices\.date: expected a date "YYYY-MM-DD"/);
    assert.match(error({ today: 'soon' }), /prices\.today: got "soon"; expected an array of price slots/);
    assert.match(error(Array(30).fill(1)), /30 numbers but .* has 24 hours: expected 24 hourly or 96 quarter-hour/);
    assert.match(error([1, 2, null]), /prices\[2\]: expected a number, got null/);
    assert.match(error([1], 'Mars/Olympus'), /unknown time zone "Mars\/Olympus"/);
  });

  it('mergePrices: late prices replace what they overlap and extend the known ones', () => {
    const a: PriceSlot[] = [
      { startMs: 0, endMs: H, price: 1 },
      { startMs: H, endMs: 2 * H, price: 2 },
    ];
    const merged = mergePrices(a, [
      { startMs: H, endMs: 2 * H, price: 5 },
      { startMs: 2 * H, endMs: 3 * H, price: 3 },
    ]);
    assert.deepStrictEqual(merged.map((s) => s.price), [1, 5, 3]);
  });
});

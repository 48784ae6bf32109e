/**
 * The charging plan across a restart of the app (the plan, the delivered energy, the prices and the charger's mode
 * persisted) and across unplugging the car and plugging it in again (waiting and in the middle of a planned slot),
 * through the Homey stand-in with the go-e emulator; and prices from Power by the Hour's inter-app API.
 */
import assert from 'assert';
import { PLAN_STATE_KEY } from '../../lib/app/plan';
import { PBTH_APP_ID } from '../../lib/app/pbthPrices';
import { PlanRig, T0_MS, localClock } from './planRig';

describe('app: the charging plan across a restart and unplugging', function () {
  this.timeout(60_000);
  let rig: PlanRig;

  beforeEach(async () => {
    rig = await PlanRig.evening();
    await rig.setPrices();
    await rig.planEnergy(11, '07:00');
  });

  afterEach(() => rig.stop());

  it('a restart in the middle of the planned slot continues the plan with the energy delivered so far', async () => {
    await rig.walkTo('02:40');
    const before = rig.mine();
    assert.ok(before.deliveredKWh > 6 && before.deliveredKWh < 9, `about 40 min at 11 kW: ${before.deliveredKWh}`);
    assert.ok(rig.homey.settings.get(PLAN_STATE_KEY), 'saved');
    await rig.restart();
    const after = rig.mine();
    assert.strictEqual(rig.device.getCapabilityValue('charging_mode'), 'planned', 'the mode came back with the device');
    assert.strictEqual(after.targetKWh, 11);
    assert.strictEqual(localClock(after.deadlineMs!), '07:00');
    assert.ok(before.deliveredKWh - after.deliveredKWh <= 0.2, `at most a minute of counting lost: ${before.deliveredKWh} → ${after.deliveredKWh}`);
    assert.strictEqual(rig.view().prices.length, 6, 'the prices came back too (02:00 running, 03:00 … 07:00 to come)');
    await rig.walkTo('02:45');
    assert.strictEqual(rig.emu.allowed, true, 'charging again inside the slot after the restart');
    await rig.walkTo('03:30');
    const done = rig.mine();
    assert.ok(done.deliveredKWh >= 11 && done.deliveredKWh < 11.4, `stopped at the target: ${done.deliveredKWh}`);
    assert.strictEqual(rig.emu.allowed, false);
  });

  it('a restart while waiting keeps the charger held until its slot, and the 3-phase plan (the car\'s phases kept)', async () => {
    await rig.walkTo('23:00', 120_000);
    await rig.restart();
    await rig.walkTo('23:10');
    assert.strictEqual(rig.emu.allowed, false, 'held after the restart (not the safe start\'s charging)');
    assert.strictEqual(rig.mine().targetKWh, 11);
    // the phases the car drew on before the restart are kept with the plan: still a 3-phase plan, no extra pricier slot
    const hours = rig.mine().slots.map((slot) => localClock(slot.startMs));
    assert.deepStrictEqual(hours, ['02:00', '03:00'], 'the two cheapest hours, as before the restart (not 01:00 too)');
    const next = rig.mine().nextSlotStartMs!;
    assert.strictEqual(localClock(next), '02:00');
    await rig.walkTo(next - 120_000, 120_000);
    assert.strictEqual(rig.emu.allowed, false, 'held until that slot');
    await rig.walkTo(next + 5 * 60_000);
    assert.strictEqual(rig.emu.allowed, true, 'charging in it');
    await rig.walkTo('04:00');
    assert.ok(rig.mine().deliveredKWh >= 11, 'the target reached before 04:00');
  });

  it('unplugged while waiting and plugged in again: the plan stays and still waits for its slot', async () => {
    await rig.walkTo('21:00', 120_000);
    rig.emu.unplug();
    await rig.walkTo('21:30', 120_000);
    assert.strictEqual(rig.mine().targetKWh, 11, 'the plan is kept while the car is away before the deadline');
    rig.emu.plugIn({ maxCurrentA: 16, phases: 3, needWh: 40_000 });
    await rig.walkTo('21:40');
    assert.strictEqual(rig.emu.allowed, false, 'held again once the car is back');
    assert.strictEqual(localClock(rig.mine().nextSlotStartMs!), '02:00');
    await rig.walkTo('02:05');
    assert.strictEqual(rig.emu.allowed, true);
    assert.strictEqual(rig.emu.charging, true);
  });

  it('unplugged in the middle of its slot and plugged in again: it charges on and counts on from what it had', async () => {
    await rig.walkTo('02:30');
    const before = rig.mine().deliveredKWh;
    rig.emu.unplug();
    await rig.walkTo('02:50');
    assert.ok(Math.abs(rig.mine().deliveredKWh - before) < 0.2, 'nothing counted while unplugged');
    assert.strictEqual(rig.mine().targetKWh, 11);
    rig.emu.plugIn({ maxCurrentA: 16, phases: 3, needWh: 40_000 });
    await rig.walkTo('03:00');
    assert.strictEqual(rig.emu.charging, true, 'charging again in the planned time');
    await rig.walkTo('04:30');
    const mine = rig.mine();
    assert.ok(mine.deliveredKWh >= 11 && mine.deliveredKWh < 11.4, `the target reached: ${mine.deliveredKWh}`);
  });

  it('unplugged after the target was reached: the plan is done and goes', async () => {
    await rig.walkTo('03:30');
    assert.match(rig.mine().reason, /target reached/);
    rig.emu.unplug();
    await rig.walkTo('03:35');
    assert.strictEqual(rig.mine().targetKWh, null, 'forgotten with the car');
  });
});

describe('app: prices from Power by the Hour (inter-app API, permission homey:app:com.gruijter.powerhour)', function () {
  this.timeout(60_000);
  let rig: PlanRig;
  let pushes: ((e: { name: string; data: unknown }) => void)[];

  /** What PBTH's GET /dap-prices answers (its README.dap-api.md): one 15-minute device, import prices. */
  function dapPrices(fromMs: number, count: number, price: (i: number) => number): unknown {
    return {
      generatedAt: new Date(fromMs).toISOString(),
      prices: [{
        deviceId: 'dap15-se3', deviceName: 'Elpris SE3', driverType: 'dap15', biddingZone: '10Y1001A1001A46L', currency: 'SEK', priceInterval: 15,
        slots: Array.from({ length: count }, (_, i) => ({
          time: new Date(fromMs + i * 900_000).toISOString(), importPrice: price(i), exportPrice: price(i) - 0.1, isForecast: false,
        })),
      }],
    };
  }

  beforeEach(async () => {
    rig = new PlanRig();
    pushes = [];
    await rig.start((homey) => {
      (homey.api as unknown as { getApiApp(id: string): unknown }).getApiApp = (id: string) => {
        if (!homey.hasPermission(`homey:app:${id}`)) throw new Error(`Missing permission homey:app:${id}`);
        assert.strictEqual(id, PBTH_APP_ID);
        return {
          getInstalled: async () => true,
          get: async (path: string) => {
            assert.strictEqual(path, '/dap-prices');
            return dapPrices(T0_MS, 48, (i) => (i >= 24 && i < 32 ? 0.05 : 0.3));
          },
          on: (event: string, fn: (e: { name: string; data: unknown }) => void) => {
            if (event === 'realtime') pushes.push(fn);
          },
        };
      };
    });
    await rig.step(1000); // the app fetched them while starting (not awaited by onInit)
  });

  afterEach(() => rig.stop());

  it('reads its 15-minute prices at start and takes its "new prices" pushes, not its every-slot pushes', async () => {
    const view = rig.view();
    assert.strictEqual(view.pricesFrom, 'powerbythehour');
    assert.strictEqual(view.prices.length, 48);
    assert.strictEqual(view.prices[1].startMs - view.prices[0].startMs, 900_000);
    assert.strictEqual(pushes.length, 1, 'listens to its realtime events');
    pushes[0]({ name: 'dap-prices-updated', data: { reason: 'new-prices-fetched', ...(dapPrices(T0_MS + 12 * 3600_000, 96, () => 0.2) as object) } });
    assert.strictEqual(rig.view().prices.length, 48 + 96, 'tomorrow\'s prices added');
    pushes[0]({ name: 'dap-prices-updated', data: { reason: 'period-changed', ...(dapPrices(T0_MS, 4, () => 9) as object) } });
    assert.ok(rig.view().prices.every((p) => p.price !== 9), 'a slot change brings nothing new');
  });

  it('a push of its hourly device alone never replaces the quarter-hours of its 15-minute device (hours after them are taken)', async () => {
    const hourly = (fromMs: number, count: number, price: number): unknown => ({
      reason: 'new-prices-fetched',
      prices: [{
        deviceId: 'dap-se3', deviceName: 'Elpris SE3 (hour)', driverType: 'dap', currency: 'SEK', priceInterval: 60,
        slots: Array.from({ length: count }, (_, i) => ({ time: new Date(fromMs + i * 3600_000).toISOString(), importPrice: price, exportPrice: 0, isForecast: false })),
      }],
    });
    const before = rig.view().prices;
    pushes[0]({ name: 'dap-prices-updated', data: hourly(T0_MS, 12, 0.2) });
    assert.deepStrictEqual(rig.view().prices, before, 'the 15-minute prices stay');
    assert.match(rig.homey.logText(), /Power by the Hour prices not used: finer \(15-minute\) prices are known/);
    // hours 12-24 from T0 have no quarter-hours yet: taken; the overlapping first 12 are not
    pushes[0]({ name: 'dap-prices-updated', data: hourly(T0_MS, 24, 0.2) });
    const now = rig.view().prices;
    assert.strictEqual(now.length, 48 + 12);
    assert.deepStrictEqual(now.slice(0, 48), before);
    assert.ok(now.slice(48).every((p) => p.endMs - p.startMs === 3600_000 && p.startMs >= T0_MS + 12 * 3600_000));
  });

  it('prices from a flow win over its pushes for a day', async () => {
    await rig.setPrices();
    assert.strictEqual(rig.view().pricesFrom, 'flow');
    pushes[0]({ name: 'dap-prices-updated', data: { reason: 'new-prices-fetched', ...(dapPrices(T0_MS, 8, () => 7) as object) } });
    assert.strictEqual(rig.view().pricesFrom, 'flow');
    assert.ok(rig.view().prices.every((p) => p.price !== 7));
    assert.match(rig.homey.logText(), /Power by the Hour prices ignored: a flow sent prices in the last 24 h/);
  });
});

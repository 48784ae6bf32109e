/**
 * The capacity guard in the app, through the Homey stand-in: built from the settings in the Homey's time zone,
 * registered with the controller (a go-e against its emulator), fed by "Report phase currents and house power";
 * its flow cards (the trigger with its tokens, the condition, both actions change the guard), the balancer's events
 * naming the cap, GET /capacity through api.ts, Insights, and its state across a restart mid-period.
 */
import assert from 'assert';
import api from '../api';
import PhaseGuardApp from '../app';
import GoeDevice from '../drivers/goe/device';
import { AppCapacity, CAPACITY_STATE_KEY } from '../lib/app/capacity';
import { CapacityGuard } from '../lib/capacity/guard';
import type { CapacityStatus } from '../lib/capacity/types';
import { ManualClock } from '../lib/clock';
import { defaultAppSettings, SETTINGS_KEY, type AppSettings } from '../lib/settings';
import { GoeEmulator } from '../tools/emulators/goe/emulator';
import { balancerHomey, endAppTest, goeCarSecond, startAppWithGoe, startGoeEmulator, useAppClock } from './appHarness';
import { createHomey, teardown, type StandinHomey } from './homey-standin';

describe('AppCapacity: the set-cap action and saving the settings', () => {
  function appCapacity(settings: Partial<AppSettings>): { cap: AppCapacity; capKW: () => number } {
    const kv = new Map<string, unknown>();
    const cap = new AppCapacity({
      clock: new ManualClock(Date.UTC(2025, 0, 13, 16, 0)), createGuard: (cfg, o) => new CapacityGuard(cfg, o), timeZone: () => 'Europe/Brussels',
      store: { get: (k: string) => kv.get(k), set: (k: string, v: unknown) => void kv.set(k, v) },
      limits: { addLimitSource: () => {}, removeLimitSource: () => {} }, onEvent: () => {}, log: () => {}, error: () => {},
    });
    cap.configure(settings);
    return { cap, capKW: () => cap.status()!.capKW };
  }

  it('refuses a cap outside the settings\' limits with one line naming the card\'s cap (it took 5000, 0.0001 and 1e6 kW)', () => {
    const { cap, capKW } = appCapacity({ ...defaultAppSettings(), capacity_rule: 'fixed', capacity_kw: 5, capacity_period_min: 15 });
    for (const kw of [5000, 0.0001, 1e6, 0, -3, Number.NaN, Infinity]) {
      assert.throws(() => cap.setCapKW(kw), (err: Error) => {
        assert.strictEqual(err.message, `cap: Capacity cap must be a positive number of kW (0.1 to 1000), e.g. 5 (got ${kw})`);
        return true;
      });
    }
    assert.strictEqual(capKW(), 5);
    cap.setCapKW(0.1);
    assert.strictEqual(capKW(), 0.1);
    cap.setCapKW(1000);
    assert.strictEqual(capKW(), 1000);
    cap.stop();
  });

  it('the settings page saving, even unchanged, ends the card\'s cap; another settings change leaves it unless it changes the capacity settings', () => {
    const settings = { ...defaultAppSettings(), capacity_rule: 'fixed' as const, capacity_kw: 5, capacity_period_min: 15 as const };
    const { cap, capKW } = appCapacity(settings);
    cap.setCapKW(3);
    cap.configure({ ...settings, fuseA: 20 }); // a flow card or the meter following its address
    assert.strictEqual(capKW(), 3, 'kept');
    cap.settingsSaved();
    assert.strictEqual(capKW(), 5, 'the page saved');
    cap.setCapKW(3);
    cap.configure({ ...settings, capacity_kw: 6 });
    assert.strictEqual(capKW(), 6, 'new capacity settings');
    cap.stop();
  });
});

/** Monday 2 June 2025, 12:00:30 in Stockholm (10:00:30 UTC): 14.5 minutes left in the quarter-hour. */
const T0 = Date.UTC(2025, 5, 2, 10, 0, 30);
const V = 230;

describe('app: capacity guard (settings, controller, flow cards, Web API, Insights)', () => {
  let homey: StandinHomey;
  let clock: ManualClock;
  let emu: GoeEmulator;
  let app: PhaseGuardApp;
  let device: GoeDevice;

  async function boot(h: StandinHomey): Promise<void> {
    ({ app, device } = await startAppWithGoe(h, emu));
  }

  /** One second: the car follows, the meter reports house + car (currents and net power), the app ticks. */
  async function second(houseA: number): Promise<void> {
    const car = await goeCarSecond({ clock, emu, device });
    const l = car.map((c) => houseA + c);
    await homey.flow.runAction('balancer_report_phase_currents_power', { l1: l[0], l2: l[1], l3: l[2], power: Math.round((l[0] + l[1] + l[2]) * V) });
    await app.tick();
  }

  const status = (): CapacityStatus => {
    const s = app.webApi.getCapacityStatus();
    assert.ok(s, 'the guard exists');
    return s;
  };

  function start(settings: Partial<AppSettings>): Promise<void> {
    homey = balancerHomey(settings, { timezone: 'Europe/Stockholm' });
    return boot(homey);
  }

  beforeEach(async () => {
    clock = useAppClock(T0);
    emu = await startGoeEmulator();
  });

  afterEach(() => endAppTest(homey, emu));

  it('a 5 kW cap holds the car below 16 A where the fuse would allow it; the events say the cap did it', async () => {
    await start({ capacity_rule: 'fixed', capacity_kw: 5, capacity_period_min: 15 });
    for (let s = 0; s < 60; s++) await second(2);
    const st = status();
    assert.strictEqual(st.rule, 'fixed');
    assert.strictEqual(st.active, true);
    assert.strictEqual(st.capKW, 5);
    assert.strictEqual(st.periodEndMs, Date.UTC(2025, 5, 2, 10, 15), 'the quarter-hour on the Stockholm wall clock');
    assert.ok(emu.offeredA < 16 && emu.offeredA >= 6, `offered ${emu.offeredA} A`);
    // the fuse (25 A − 1 A − 2 A house) would allow 16 A: the cap is what limits
    const reasons = app.webApi.getLiveView().events.map((e) => e.reason);
    assert.ok(reasons.some((r) => /^Capacity cap 5 kW/.test(r)), reasons.join(' | '));
    const reduced = [...homey.flow.triggersOf('balancer_current_reduced'), ...homey.flow.triggersOf('balancer_charging_paused')];
    assert.ok(reduced.some((t) => /^Capacity cap 5 kW/.test(String(t.tokens.reason))), 'the reason reaches the flow tokens');
    // GET /capacity through the real api.ts
    const viaApi = await api.getCapacity({ homey: { app } });
    assert.strictEqual(viaApi?.capKW, 5);
    assert.ok(viaApi!.projectedKW > 0);
  });

  it('in Swedish, the cap\'s reason is Swedish too (live view and flow token); the log keeps English', async () => {
    await start({ capacity_rule: 'fixed', capacity_kw: 5, capacity_period_min: 15 });
    homey.setLanguage('sv');
    for (let s = 0; s < 60; s++) await second(2);
    const reasons = app.webApi.getLiveView().events.map((e) => e.reason);
    assert.ok(reasons.some((r) => /^Effekttaket 5 kW: .+ till 12:15: (sänkte|pausade) Garage /.test(r)), reasons.join(' | '));
    assert.ok(reasons.every((r) => !/Capacity|lowered|paused/.test(r)), reasons.join(' | '));
    assert.match(homey.logText(), /balancer (reduced|paused): Capacity cap 5 kW: .+ until 12:15: (lowered|paused) Garage /);
  });

  it('fires "the period\'s average will exceed the cap" with projected kW, cap kW and minutes left; the condition sees the headroom', async () => {
    await start({ capacity_rule: 'fixed', capacity_kw: 5, capacity_period_min: 15 });
    const flow = homey.flow.addUserFlow('capacity_will_exceed', {});
    for (let s = 0; s < 10; s++) await second(2);
    assert.strictEqual(homey.flow.triggersOf('capacity_will_exceed').length, 0, 'the house alone stays under the cap');
    // 3 × 15 A × 230 V = 10.4 kW without the car, for as long as it takes the guard to see it is no short spike
    let waitedS = 0;
    while (homey.flow.triggersOf('capacity_will_exceed').length === 0 && waitedS < 180) {
      await second(15);
      await clock.advance(0);
      waitedS++;
    }
    const fired = homey.flow.triggersOf('capacity_will_exceed');
    assert.strictEqual(fired.length, 1, `fired after ${waitedS} s`);
    const { projected, cap, minutes_left: minutesLeft } = fired[0].tokens as { projected: number; cap: number; minutes_left: number };
    assert.strictEqual(cap, 5);
    assert.ok(projected >= 5 && projected < 10.4, `projected ${projected}`);
    assert.ok(minutesLeft >= 11 && minutesLeft < 15, `minutes left ${minutesLeft}`);
    for (let s = 0; s < 10; s++) await second(15);
    await clock.advance(0);
    assert.strictEqual(homey.flow.triggersOf('capacity_will_exceed').length, 1, 'once per period');
    assert.strictEqual(flow.runs.length, 1);
    const headroomKW = status().headroomKW;
    assert.strictEqual(await homey.flow.runCondition('capacity_headroom_below', { threshold: headroomKW + 0.5 }), true);
    assert.strictEqual(await homey.flow.runCondition('capacity_headroom_below', { threshold: headroomKW }), false);
    assert.strictEqual(status().warning === null || /below the house's own load/.test(status().warning!), true);
  });

  it('"set the cap to X kW" and "suspend the cap for this period" change the guard; both refuse when no rule is chosen', async () => {
    await start({ capacity_rule: 'fixed', capacity_kw: 5, capacity_period_min: 15 });
    for (let s = 0; s < 20; s++) await second(2);
    await homey.flow.runAction('capacity_set_cap', { cap: 8 });
    await second(2);
    assert.strictEqual(status().capKW, 8);
    assert.strictEqual(homey.settings.get(SETTINGS_KEY).capacity_kw, 5, 'the saved setting is untouched');
    await homey.flow.runAction('capacity_suspend', {});
    await second(2);
    assert.strictEqual(status().suspended, true);
    assert.strictEqual(status().active, false);
    assert.strictEqual(await homey.flow.runCondition('capacity_headroom_below', { threshold: 100 }), false, 'no cap in force');
    // the next quarter-hour the cap is back
    for (let s = 0; s < 15 * 60; s += 30) {
      await clock.advance(29_000);
      await second(2);
    }
    assert.strictEqual(status().suspended, false);
    assert.strictEqual(status().active, true);
  });

  it('"set the cap" takes the settings\' limits (one line naming its cap); saving the settings again, unchanged, ends it', async () => {
    await start({ capacity_rule: 'month-peak', capacity_kw: 5, capacity_period_min: 15 });
    await second(2);
    // (the card's own range, 0.1–100, is checked before; a number token can still bring 2 kW under month-peak)
    await assert.rejects(homey.flow.runAction('capacity_set_cap', { cap: 2 }), (err: Error) => {
      assert.match(err.message, /^cap: Capacity cap must be at least 2\.5 kW for "don't raise this month's peak".* \(got 2\)$/);
      return !err.message.includes('\n');
    });
    assert.strictEqual(status().capKW, 5);
    await homey.flow.runAction('capacity_set_cap', { cap: 8 });
    await second(2);
    assert.strictEqual(status().capKW, 8);
    await homey.flow.runAction('balancer_set_margin', { margin: 2 }); // another change of the settings
    await second(2);
    assert.strictEqual(status().capKW, 8, 'kept: only the settings page saving ends it');
    // the settings page saves the same settings again: the card's cap ends, as its hint says
    assert.deepStrictEqual(await app.webApi.saveSettings(homey.settings.get(SETTINGS_KEY)), { ok: true });
    await second(2);
    assert.strictEqual(status().capKW, 5);
  });

  it('refuses the cap actions with one line when the rule is off; measures without a rule', async () => {
    await start({ capacity_rule: 'off' });
    await second(2);
    await assert.rejects(homey.flow.runAction('capacity_suspend', {}), /no capacity rule is chosen/);
    await assert.rejects(homey.flow.runAction('capacity_set_cap', { cap: 4 }), /no capacity rule is chosen/);
    assert.strictEqual(status().rule, 'off');
    assert.strictEqual(status().active, false);
    assert.ok(status().averageKW > 0, 'measuring only: the average is known without a rule');
  });

  it('shows the meter\'s own peak next to the guard\'s, keeps the state across a restart mid-period, and writes Insights once a minute', async () => {
    await start({ capacity_rule: 'month-peak', capacity_kw: 2.5, capacity_period_min: 15 });
    for (let s = 0; s < 70; s++) await second(4);
    const before = status();
    assert.strictEqual(before.meterPeakKW, null, 'the flow card reports no meter peak');
    const log = async (id: string) => (await homey.insights.getLog(id)) as unknown as { entries: { value: number }[] };
    const avg = (await log('capacity_average')).entries;
    assert.ok(avg.length >= 1 && avg[0].value > 2, JSON.stringify(avg));
    assert.ok((await log('capacity_projected')).entries.length >= 1);
    assert.ok(homey.settings.get(CAPACITY_STATE_KEY), 'state saved');

    // restart the app in the same period: the energy so far is kept
    await teardown(homey);
    const stored = { config: homey.settings.get(SETTINGS_KEY), state: homey.settings.get(CAPACITY_STATE_KEY) };
    homey = createHomey({ timezone: 'Europe/Stockholm' });
    homey.settings.set(SETTINGS_KEY, stored.config);
    homey.settings.set(CAPACITY_STATE_KEY, stored.state);
    await boot(homey);
    await second(4);
    const after = status();
    assert.strictEqual(after.periodStartMs, before.periodStartMs);
    assert.ok(Math.abs(after.averageKW - before.averageKW) < 0.5, `${before.averageKW} → ${after.averageKW}`);
  });
});

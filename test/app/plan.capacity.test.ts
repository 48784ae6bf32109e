/**
 * The charging plan under the capacity cap through the Homey stand-in: the real app with a capacity rule chosen, a
 * real go-e device against the emulator. The plan counts on no more power per slot than the cap in force leaves (the
 * settings' cap, or the one a flow set), and on the fuse alone with the rule off.
 */
import assert from 'assert';
import { SETTINGS_KEY } from '../../lib/settings';
import { BALANCER_SETTINGS } from '../appHarness';
import { PlanRig } from './planRig';

describe('app: the charging plan under the capacity cap', function () {
  this.timeout(120_000);
  let rig: PlanRig | null = null;

  afterEach(async () => {
    await rig?.stop();
    rig = null;
  });

  async function planWith(capacity: Record<string, unknown>): Promise<PlanRig> {
    const r = new PlanRig();
    rig = r;
    await r.start((homey) => homey.settings.set(SETTINGS_KEY, { ...BALANCER_SETTINGS, ...capacity }));
    await r.walkTo('20:05', 5_000);
    await r.setPrices();
    await r.planEnergy(11, '07:00');
    return r;
  }

  const maxSlotKW = (r: PlanRig): number => Math.max(...r.mine().slots.map((s) => s.powerW / 1000));

  it('plans at most the power a fixed 8 kW cap leaves (the house\'s learned load included), in more slots', async () => {
    const r = await planWith({ capacity_rule: 'fixed', capacity_kw: 8 });
    await r.walkTo('20:20', 5_000);
    const c = r.mine();
    assert.ok(maxSlotKW(r) <= 8, `the plan counts on ${maxSlotKW(r).toFixed(2)} kW per slot under an 8 kW cap`);
    assert.ok(c.feasible, c.reason);
    assert.ok(c.slots.length >= 2, `${c.slots.length} slot(s)`);
  });

  it('a cap set by the flow card counts from the next plan on', async () => {
    const r = await planWith({ capacity_rule: 'fixed', capacity_kw: 8 });
    await r.homey.flow.runAction('capacity_set_cap', { cap: 5 });
    await r.walkTo('20:35', 5_000); // the next quarter-hour makes the plan again
    assert.ok(maxSlotKW(r) <= 5, `the plan counts on ${maxSlotKW(r).toFixed(2)} kW per slot under a 5 kW cap set by a flow`);
  });

  it('with the rule off, the settings\' capacity figure does not count', async () => {
    const r = await planWith({ capacity_rule: 'off', capacity_kw: 4 });
    await r.walkTo('20:20', 5_000);
    assert.ok(maxSlotKW(r) > 10, `three phases at 16 A: ${maxSlotKW(r).toFixed(2)} kW`);
  });
});

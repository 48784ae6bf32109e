import assert from 'assert';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import os from 'os';
import path from 'path';
import { loadPriceFile, runPlanPolicies, type PlanResult } from '../../../tools/sim/plan';
import { loadTrace } from '../../../tools/sim/trace';
import { ROOT, run } from './runCli';

const TRACE = path.join(ROOT, 'test', 'fixtures', 'traces', 'hu_aux_10s_evening_3h.csv');
const PRICES = path.join(ROOT, 'test', 'fixtures', 'prices', 'nordpool_se3_2025-10-01_15min.json');

describe('tools/sim/plan (the charging-plan scenario)', () => {
  it('--prices --plan-kwh --deadline-s: --json gives each plan policy planMet, planEnergyKWh and planCost', () => {
    const r = run(['--trace', TRACE, '--fuse', '16', '--prices', PRICES, '--plan-kwh', '8', '--deadline-s', '10000', '--json']);
    assert.strictEqual(r.code, 0, r.err.join('\n'));
    const doc = JSON.parse(r.out[0]) as { scenario: { planKWh: number; deadlineS: number }; results: PlanResult[] };
    assert.deepStrictEqual(doc.results.map((x) => x.policy), ['fast', 'naive-cheapest', 'plan', 'plan-ideal']);
    for (const x of doc.results) {
      assert.strictEqual(typeof x.planMet, 'boolean');
      assert.ok(x.planEnergyKWh >= 0 && x.planEnergyKWh <= 8.1, `${x.policy} ${x.planEnergyKWh}`);
      assert.ok(x.planCost > 0);
    }
    assert.deepStrictEqual([doc.scenario.planKWh, doc.scenario.deadlineS], [8, 10000]);
  });

  it('a small fuse: the naive cheapest-hours plan misses the target that ours meets, near the ideal cost', () => {
    const trace = loadTrace(TRACE);
    // hourly prices (the 15-minute series averaged) from 00:00; 3 h, 21 kWh by 3 h: the naive plan takes two hours at 11 kW
    const quarters = loadPriceFile(PRICES);
    const hourly = Array.from({ length: 24 }, (_, h) => ({
      startMs: h * 3600_000,
      endMs: (h + 1) * 3600_000,
      price: quarters.slice(h * 4, h * 4 + 4).reduce((s, q) => s + q.price, 0) / 4,
    }));
    const scenario = { trace, fuseA: 16, marginA: 1, car: { phases: 3 as const, maxA: 16 }, meter: { intervalS: 10 }, charger: 'goe' as const, plugInAfterS: 60 };
    const res = Object.fromEntries(runPlanPolicies(scenario, { prices: hourly, energyKWh: 21, deadlineS: 10_800 }).map((r) => [r.policy, r]));
    assert.strictEqual(res['plan-ideal'].planMet, true);
    assert.strictEqual(res.plan.planMet, true);
    assert.strictEqual(res['naive-cheapest'].planMet, false, `naive delivered ${res['naive-cheapest'].planEnergyKWh} kWh`);
    assert.ok(res.plan.planCost <= 1.05 * res['plan-ideal'].planCost, `${res.plan.planCost} vs ${res['plan-ideal'].planCost}`);
    assert.ok(res.fast.planCost > res.plan.planCost, 'charging at once costs more');
  });

  it('bad plan flags and price files get one line and exit 2', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'plan-sim-'));
    try {
      const bad = path.join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify({ today: 'soon' }));
      const cases: [string[], RegExp][] = [
        [['--plan-kwh', '10'], /--prices: needed with --plan-kwh/],
        [['--prices', PRICES], /--plan-kwh: expected the energy to charge in kWh/],
        [['--prices', PRICES, '--plan-kwh', '5', '--deadline-s', '-3'], /--deadline-s: expected seconds from the trace start/],
        [['--prices', bad, '--plan-kwh', '5'], /prices\.today: got "soon"; expected an array of price slots/],
        [['--prices', path.join(dir, 'none.json'), '--plan-kwh', '5'], /--prices: cannot read/],
      ];
      for (const [extra, re] of cases) {
        const r = run(['--trace', TRACE, '--fuse', '16', ...extra]);
        assert.strictEqual(r.code, 2, extra.join(' '));
        assert.strictEqual(r.err.length, 1);
        assert.match(r.err[0], re);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

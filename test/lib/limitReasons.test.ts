/**
 * The balancer's event text when a charging mode or the plan holds a charger: the limit sources' reasons are short
 * causes the balancer's sentences go on from ("<cause>: paused <name> (needs 6 A)", "<cause>: lowered <name> from X A
 * to Y A"), read from the controller's events with the real SolarLimitSource and PlanLimitSource.
 */
import assert from 'assert';
import { ManualClock } from '../../lib/clock';
import { Controller } from '../../lib/controller';
import type { ChargingMode } from '../../lib/limits';
import { PlanLimitSource } from '../../lib/plan/planLimit';
import { defaultAppSettings } from '../../lib/settings';
import { SolarLimitSource } from '../../lib/solar/source';
import { FakeCharger } from './fakeCharger';

const H = 3600_000;
/** 18:00 UTC. */
const T0 = Date.UTC(2025, 9, 1, 18);

class Site {
  readonly clock = new ManualClock(T0);
  readonly ctrl = new Controller({ clock: this.clock, settings: { ...defaultAppSettings(), fuseA: 25, marginA: 1 } });
  readonly car = new FakeCharger('a');
  mode: ChargingMode = 'fast';
  /** The house before the car, per phase (A; negative: export). */
  houseA = 2;
  private seq = 0;

  constructor() {
    this.car.drawA = 16;
    this.ctrl.addCharger(this.car, 'Garage');
  }

  async run(seconds: number): Promise<void> {
    for (let s = 0; s < seconds; s++) {
      await this.clock.advance(1000);
      const st = this.car.status();
      this.ctrl.reportStatus('a', st);
      const drawA = st.phases[0].currentA ?? 0;
      const a = this.houseA + drawA;
      this.ctrl.onSample({ timeMs: this.clock.nowMs(), seq: ++this.seq, currentsA: [a, a, a] });
      for (let i = 0; i < 10; i++) await Promise.resolve();
    }
  }

  /** The reasons of the balancer's events, oldest first. */
  reasons(): string[] {
    return this.ctrl.events().map((e) => e.reason).reverse();
  }
}

describe('the balancer\'s sentences with the modes\' and the plan\'s causes', () => {
  it('Off: "Charging mode Off: paused Garage (needs 6 A)", said once', async () => {
    const site = new Site();
    site.ctrl.addLimitSource(new SolarLimitSource({ modeOf: () => site.mode }));
    await site.run(10);
    site.mode = 'off';
    await site.run(5);
    assert.strictEqual(site.car.paused, true);
    const paused = site.reasons().filter((r) => /paused/.test(r));
    assert.deepStrictEqual(paused, ['Charging mode Off: paused Garage (needs 6 A)']);
  });

  it('Solar only without surplus: the surplus and what a start needs, then the pause', async () => {
    const site = new Site();
    site.ctrl.addLimitSource(new SolarLimitSource({ modeOf: () => site.mode }));
    await site.run(10);
    site.mode = 'solar';
    await site.run(5);
    assert.strictEqual(site.car.paused, true);
    // 6 A on three phases at 230 V: 4.1 kW; the house imports, so no surplus
    assert.ok(site.reasons().includes('Solar only: 0.0 kW surplus, 4.1 kW needed to start: paused Garage (needs 6 A)'), site.reasons().join('\n'));
  });

  it('Min + solar: the surplus, then "lowered Garage from 16 A to 8 A"', async () => {
    const site = new Site();
    site.ctrl.addLimitSource(new SolarLimitSource({ modeOf: () => site.mode }));
    site.houseA = -8; // 5.5 kW export before the car: 8 A on three phases
    await site.run(300); // fast: raised in steps to the car's 16 A
    assert.strictEqual(site.car.limitA, 16);
    site.mode = 'min+solar';
    await site.run(5);
    assert.strictEqual(site.car.limitA, 8);
    assert.ok(site.reasons().includes('Min + solar: 5.5 kW surplus: lowered Garage from 16 A to 8 A'), site.reasons().join('\n'));
  });

  it('Planned outside its slot: "Plan: waiting for the 01:00 slot: paused Garage (needs 6 A)"', async () => {
    const site = new Site();
    const plan = new PlanLimitSource({ timeZone: 'UTC', modeOf: () => site.mode, settings: () => ({ fuseA: 25, marginA: 1 }) });
    site.ctrl.addLimitSource(plan);
    const prices = [9, 9, 8, 7, 6, 5, 4, 1, 2, 3, 6, 9].map((price, i) => ({ startMs: T0 + i * H, endMs: T0 + (i + 1) * H, price }));
    plan.setPrices(prices);
    await site.run(10);
    assert.strictEqual(plan.setTarget('a', { energyKWh: 9 }, T0 + 12 * H), null);
    site.mode = 'planned';
    await site.run(5);
    assert.strictEqual(site.car.paused, true);
    assert.ok(site.reasons().includes('Plan: waiting for the 01:00 slot: paused Garage (needs 6 A)'), site.reasons().join('\n'));
    assert.ok(site.reasons().every((r) => !/: paused: paused|paused: paused/.test(r)), 'never "paused: paused"');
  });
});

/**
 * The plan view the settings-page test and its screenshot show, made by the real app plan (lib/app/plan.ts over
 * lib/plan) from a night of hourly prices, not text made up for a test: 21:30 in Stockholm, the garage go-e (three
 * phases, 16 A) has to charge 11 kWh by 07:00 and waits for its cheap hours; the Driveway Halo (one phase on L3)
 * has to charge 35 kWh by 06:00, which one phase cannot deliver: it charges at once.
 */
import fs from 'fs';
import path from 'path';
import { AppPlan, type PlanView } from '../../lib/app/plan';
import type { ChargerInput, MeterSample } from '../../lib/balancer/types';
import { ManualClock } from '../../lib/clock';
import { nightPricesJson, T0_MS } from '../app/planRig';
import { CHARGERS, FakeApp } from './harness';

/** The languages the settings page ships. */
export const LANGS = ['en', 'nl', 'sv', 'de', 'no', 'da'];

/** The harness's app; GET /capacity answers "no capacity guard" (the capacity section is not under test here). */
export class PlanApp extends FakeApp {
  getCapacityStatus(): null {
    return null;
  }
}

/** The settings page's plan strings in one language (locales/<lang>.json). */
export function planStrings(lang: string): Record<string, string> {
  const file = path.join(__dirname, '..', '..', 'locales', `${lang}.json`);
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { settings: { plan: Record<string, string> } }).settings.plan;
}

/** 21:30 in Stockholm on the night of the prices. */
export const PLAN_NOW_MS = T0_MS + 90 * 60_000;

function input(id: string, name: string, phaseMap: ChargerInput['phaseMap'], drawA: number): ChargerInput {
  return {
    id, name, enabled: true, phaseMap, measuredA: phaseMap.map((p) => (p ? drawA : null)) as ChargerInput['measuredA'], currentLimitA: 16,
    minCurrentA: 6, maxCurrentA: 16, paused: drawA === 0, carConnected: true, priority: 5, latencyClass: 'local',
  };
}

/** The plan as GET /plan answers it at 21:30, or `afterMs` later (the plan made again on the way). */
export async function planStory(afterMs = 0): Promise<PlanView> {
  const clock = new ManualClock(T0_MS);
  let state: unknown = null;
  const plan = new AppPlan({
    clock, timeZone: 'Europe/Stockholm', store: { load: () => state, save: (s) => { state = s; } },
    settings: () => ({ fuseA: 25, marginA: 1 }),
    chargers: { list: () => CHARGERS, has: (id) => CHARGERS.some((c) => c.id === id) },
    log: () => undefined, error: (line) => { throw new Error(line); },
  });
  const inputs = (goeA: number, haloA: number): ChargerInput[] =>
    [input('goe-garage', 'Garage go-e', ['L1', 'L2', 'L3'], goeA), input('ca-drive', 'Driveway Halo', ['L3', null, null], haloA)];
  const sample = (goeA: number, haloA: number): MeterSample => ({ timeMs: clock.nowMs(), currentsA: [3.1 + goeA, 2.8 + goeA, 3.4 + goeA + haloA] });
  const step = (goeA: number, haloA: number): void => plan.source.observe(clock.monoMs(), clock.nowMs(), sample(goeA, haloA), inputs(goeA, haloA));
  step(16, 16); // both cars plugged in and charging (on three phases and one) before the plans
  plan.setPricesFromFlow(nightPricesJson());
  plan.setTarget('goe-garage', { energyKWh: 11 }, T0_MS + 11 * 3600_000); // 07:00
  plan.setTarget('ca-drive', { energyKWh: 35 }, T0_MS + 10 * 3600_000); // 06:00
  await plan.start('goe-garage');
  await plan.start('ca-drive');
  const untilMs = PLAN_NOW_MS + afterMs;
  while (clock.nowMs() < untilMs) {
    await clock.advance(Math.min(60_000, untilMs - clock.nowMs()));
    const draw = (id: string): number => (plan.source.status(id).charging ? 16 : 0); // each car follows its plan
    step(draw('goe-garage'), draw('ca-drive'));
  }
  return plan.view();
}

/**
 * The live view the settings-page tests and screenshots show, made by the real balancer: a short evening in a
 * house with a 25 A fuse, a 3-phase go-e on L1/L2/L3 and a 1-phase Charge Amps Halo on L3. The dishwasher heats
 * on L3 for a while (the chargers are cut, then raised again when it stops), and on the last reading the oven
 * switches on, so L3 reads over the fuse for that one reading while the balancer has just cut both chargers:
 * every event, badge and figure is what the balancer really said and saw, not text made up for a test.
 */
import { Balancer } from '../../lib/balancer/balancer';
import { DEFAULT_BALANCER_CONFIG, type BalancerEvent, type ChargerInput, type Triple } from '../../lib/balancer/types';
import { defaultAppSettings, type AppSettings } from '../../lib/settings';
import type { LiveView } from '../../lib/webapi';
import { FakeApp, HOMEWIZARD_FOUND } from './harness';

/** 17:30 in Amsterdam and Stockholm on a November evening (the tests pin the browser's time zone). */
export const LIVE_T0_MS = Date.UTC(2026, 10, 21, 16, 30, 0);
const STEP_S = 5;
const CLOUD_DELAY_S = 20;

interface SimCharger {
  input: ChargerInput;
  /** Target the balancer asked for, and since when (s). */
  targetA: number;
  targetSinceS: number;
  /** What the car draws per charger phase now. */
  drawA: number;
  delayS: number;
}

/** The household without the chargers, per phase (A), at second s of the evening. */
function houseA(s: number, last: boolean): Triple<number> {
  const wobble = (k: number) => Math.round(3 * Math.sin(s / 37 + k)) / 10;
  const dishwasher = s >= 120 && s < 300 ? 8.7 : 0;
  const oven = last ? 9.1 : 0;
  return [2.6 + wobble(0), 3.4 + wobble(1), 2.9 + wobble(2) + dishwasher + oven];
}

function charger(id: string, name: string, cloud: boolean): SimCharger {
  return {
    input: {
      id, name, enabled: true, phaseMap: [...STORY_CHARGERS[id].phaseMap], measuredA: [0, null, null], currentLimitA: 6, minCurrentA: 6,
      maxCurrentA: 16, paused: false, carConnected: true, priority: 5, latencyClass: cloud ? 'cloud' : 'local',
    },
    targetA: 6, targetSinceS: 0, drawA: 0, delayS: cloud ? CLOUD_DELAY_S : STEP_S,
  };
}

/** The chargers' settings in the story: the go-e on all three phases, the Halo (one phase) on L3; 16 A each. */
export const STORY_CHARGERS: AppSettings['chargers'] = {
  'goe-garage': { enabled: true, priority: 5, phaseMap: ['L1', 'L2', 'L3'], maxCurrentA: 16 },
  'ca-drive': { enabled: true, priority: 5, phaseMap: ['L3', null, null], maxCurrentA: 16 },
};

/** An app with the story's settings (HomeWizard P1, the story's chargers and wiring) showing `live`. */
export function eveningApp(live: LiveView): FakeApp {
  const app = new FakeApp({
    ...defaultAppSettings(),
    meter: { source: 'homewizard', host: '192.168.1.20', deviceId: null, serial: '3c39e7aabbcc' },
    chargers: JSON.parse(JSON.stringify(STORY_CHARGERS)),
  });
  app.live = live;
  return app;
}

/** The app of the story: its settings (HomeWizard P1 picked from the list), the meters found and the live view. */
export function storyApp(): FakeApp {
  const app = eveningApp(liveStory().live);
  app.homeWizard = HOMEWIZARD_FOUND;
  return app;
}

export interface LiveStory {
  live: LiveView;
  /** Every event of the evening, oldest first, with the charger it is about. */
  events: (BalancerEvent & { chargerName: string | null })[];
}

/** Runs the evening (about 8 minutes, a meter reading every 5 s) and returns the live view after the last reading. */
export function liveStory(): LiveStory {
  return runEvening(480, houseA, 0.8);
}

/**
 * Runs an evening of `endS` seconds in the story's house (25 A fuse, 1 A margin) with its two chargers, a meter
 * reading every 5 s of `house(s, last reading)` and what the cars draw; returns the live view after the last
 * reading (which is `lastSampleAgeS` old) and every event of the evening.
 */
export function runEvening(endS: number, house: (s: number, last: boolean) => Triple<number>, lastSampleAgeS: number): LiveStory {
  const cfg = { ...DEFAULT_BALANCER_CONFIG, fuseA: 25, marginA: 1 };
  const balancer = new Balancer(cfg);
  const chargers = [charger('goe-garage', 'Garage go-e', false), charger('ca-drive', 'Driveway Halo', true)];
  const names = new Map(chargers.map((c) => [c.input.id, c.input.name]));
  const events: LiveStory['events'] = [];
  let out = null as ReturnType<Balancer['step']> | null;
  for (let s = 0; s <= endS; s += STEP_S) {
    // The cars follow what they were offered: the go-e by the next reading, the cloud Halo ~20 s later.
    for (const c of chargers) {
      if (s - c.targetSinceS >= c.delayS) c.drawA = c.targetA;
      c.input.measuredA = c.input.phaseMap.map((p) => (p === null ? null : c.drawA)) as Triple<number | null>;
      c.input.measuredAtMs = s * 1000;
    }
    const household = house(s, s === endS);
    const meter = [0, 1, 2].map((g) => {
      let a = household[g];
      for (const c of chargers) c.input.phaseMap.forEach((p, i) => { if (p === (['L1', 'L2', 'L3'] as const)[g]) a += c.input.measuredA[i] ?? 0; });
      return Math.round(a * 10) / 10;
    }) as Triple<number>;
    out = balancer.step(s * 1000, { timeMs: LIVE_T0_MS + s * 1000, seq: s / STEP_S + 1, currentsA: meter }, chargers.map((c) => c.input));
    for (const e of out.events) events.push({ ...e, timeMs: LIVE_T0_MS + e.timeMs, chargerName: e.chargerId ? names.get(e.chargerId) ?? null : null });
    for (const c of chargers) {
      const t = out.targets[c.input.id];
      if (t === null || t === undefined || t === c.targetA) continue;
      c.targetA = t;
      c.targetSinceS = s;
      c.input.currentLimitA = t === 0 ? c.input.currentLimitA : t;
      c.input.acceptedA = t;
      c.input.paused = t === 0;
    }
  }
  const last = out!;
  const live: LiveView = {
    timeMs: LIVE_T0_MS + endS * 1000,
    balancing: true,
    fuseA: cfg.fuseA,
    marginA: cfg.marginA,
    meter: { source: 'homewizard', stale: false, lastSampleAgeS, error: null },
    measuredA: last.measuredA,
    headroomA: last.headroomA.map((a) => (a === null ? null : Math.round(a * 10) / 10)) as Triple<number | null>,
    fuse: { ...balancer.fuseStressNow(endS * 1000), quickOn: true },
    chargers: chargers.map((c) => ({
      id: c.input.id,
      name: c.input.name,
      enabled: true,
      allowedA: last.allowedA[c.input.id] ?? null,
      drawnA: c.input.measuredA,
      paused: last.allowedA[c.input.id] === 0,
      limited: (last.allowedA[c.input.id] ?? 0) < c.input.maxCurrentA,
    })),
    events: events.slice(-20).reverse().map((e) => ({ timeMs: e.timeMs, type: e.type, chargerName: e.chargerName, reason: e.reason })),
  };
  return { live, events };
}

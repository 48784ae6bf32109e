/**
 * A second evening for the widget's screenshots, made by the real balancer like the settings page's story
 * (liveFixture.ts): a 25 A fuse with 1 A margin, a 3-phase go-e on L1/L2/L3 and a 1-phase Charge Amps Halo on L3,
 * both charging for ten minutes while the household wobbles; on the last reading a kettle on L3 takes that phase past
 * the fuse and the balancer cuts at once: the Halo to what still fits on L3, the go-e to a pause (the Halo, a cloud
 * charger, still counts at its old current until its own reading shows the cut). So the widget shows a phase over the
 * fuse, a paused charger, and a car that still draws more than it is now allowed: both kinds of bar.
 */
import { Balancer } from '../../lib/balancer/balancer';
import { DEFAULT_BALANCER_CONFIG, type ChargerInput, type Triple } from '../../lib/balancer/types';
import { defaultAppSettings } from '../../lib/settings';
import type { LiveView } from '../../lib/webapi';
import { FakeApp } from './harness';
import { LIVE_T0_MS, STORY_CHARGERS } from './liveFixture';

const STEP_S = 5;
const END_S = 600;
const GRID = ['L1', 'L2', 'L3'] as const;

interface SimCharger { input: ChargerInput; targetA: number; targetSinceS: number; drawA: number; delayS: number }

/** The household per phase (A) at second s; the kettle (7.5 A on L3) on the last reading. */
function houseA(s: number): Triple<number> {
  const wobble = (k: number) => Math.round(4 * Math.sin(s / 41 + k)) / 10;
  const kettle = s === END_S ? 7.5 : 0;
  return [3.1 + wobble(0), 4.6 + wobble(1), 3.0 + wobble(2) + kettle];
}

function charger(id: string, name: string, cloud: boolean): SimCharger {
  return {
    input: {
      id, name, enabled: true, phaseMap: [...STORY_CHARGERS[id].phaseMap], measuredA: [0, null, null], currentLimitA: 6, minCurrentA: 6,
      maxCurrentA: 16, paused: false, carConnected: true, priority: 5, latencyClass: cloud ? 'cloud' : 'local',
    },
    targetA: 6, targetSinceS: 0, drawA: 0, delayS: cloud ? 20 : STEP_S,
  };
}

/** The live view after the kettle's reading. */
export function kettleLive(): LiveView {
  const cfg = { ...DEFAULT_BALANCER_CONFIG, fuseA: 25, marginA: 1 };
  const balancer = new Balancer(cfg);
  const chargers = [charger('goe-garage', 'Garage go-e', false), charger('ca-drive', 'Driveway Halo', true)];
  let out = null as ReturnType<Balancer['step']> | null;
  for (let s = 0; s <= END_S; s += STEP_S) {
    for (const c of chargers) {
      if (s - c.targetSinceS >= c.delayS) c.drawA = c.targetA;
      c.input.measuredA = c.input.phaseMap.map((p) => (p === null ? null : c.drawA)) as Triple<number | null>;
      c.input.measuredAtMs = s * 1000;
    }
    const house = houseA(s);
    const meter = [0, 1, 2].map((g) => {
      let a = house[g];
      for (const c of chargers) c.input.phaseMap.forEach((p, i) => { if (p === GRID[g]) a += c.input.measuredA[i] ?? 0; });
      return Math.round(a * 10) / 10;
    }) as Triple<number>;
    out = balancer.step(s * 1000, { timeMs: LIVE_T0_MS + s * 1000, seq: s / STEP_S + 1, currentsA: meter }, chargers.map((c) => c.input));
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
  return {
    timeMs: LIVE_T0_MS + END_S * 1000,
    balancing: true,
    fuseA: cfg.fuseA,
    marginA: cfg.marginA,
    meter: { source: 'homewizard', stale: false, lastSampleAgeS: 0.6, error: null },
    measuredA: last.measuredA,
    headroomA: last.headroomA.map((a) => (a === null ? null : Math.round(a * 10) / 10)) as Triple<number | null>,
    chargers: chargers.map((c) => ({
      id: c.input.id,
      name: c.input.name,
      enabled: true,
      allowedA: last.allowedA[c.input.id] ?? null,
      drawnA: c.input.measuredA,
      paused: last.allowedA[c.input.id] === 0,
      limited: (last.allowedA[c.input.id] ?? 0) < c.input.maxCurrentA,
    })),
    events: [],
  };
}

/** The app of the kettle evening: the story's chargers and wiring, HomeWizard P1, the live view above. */
export function kettleApp(): FakeApp {
  const app = new FakeApp({
    ...defaultAppSettings(),
    meter: { source: 'homewizard', host: '192.168.1.20', deviceId: null, serial: '3c39e7aabbcc' },
    chargers: JSON.parse(JSON.stringify(STORY_CHARGERS)),
  });
  app.live = kettleLive();
  return app;
}

/**
 * Randomised property tests: many seeded random traces (house load, meter faults, cars coming and
 * going) over random charger sets. Every failure names its seed so it can be replayed.
 */
import { keepSlackA } from '../../../lib/balancer/allocate';
import assert from 'assert';
import { GRID_PHASES, type BalancerConfig, type GridPhase, type Triple } from '../../../lib/balancer/types';
import { prng, Rig } from './rig';

const TRACES = 100;

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)];
}

function randomConfig(rnd: () => number): Partial<BalancerConfig> {
  const fuseA = pick(rnd, [16, 20, 25, 35, 50]);
  const staleAfterS = pick(rnd, [5, 10, 15, 30]);
  return {
    fuseA,
    marginA: pick(rnd, [0, 0.5, 1, 2]),
    restoreStepA: pick(rnd, [1, 2, 3, 4.5]),
    restoreHoldS: pick(rnd, [0, 5, 30]),
    staleAfterS,
    pauseAfterS: staleAfterS + pick(rnd, [1, 20, 45]),
    resumeWindowS: pick(rnd, [0, 10, 120]),
    resumeHysteresisA: pick(rnd, [0, 1, 2]),
    cloudWriteIntervalS: pick(rnd, [0, 15, 60]),
    localWriteIntervalS: pick(rnd, [0, 5]),
    cloudRaiseWindowS: pick(rnd, [0, 30, 60]),
    cloudRaiseReserveA: pick(rnd, [0, 1, 2.5]),
  };
}

function randomRig(rnd: () => number): Rig {
  const rig = new Rig(randomConfig(rnd));
  const n = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < n; i++) {
    const threePhase = rnd() < 0.7;
    const rot = Math.floor(rnd() * 3);
    const phaseMap = (
      threePhase ? [0, 1, 2].map((k) => GRID_PHASES[(k + rot) % 3]) : [GRID_PHASES[rot], null, null]
    ) as Triple<GridPhase | null>;
    const carPhases = threePhase && rnd() < 0.3 ? [0] : threePhase ? [0, 1, 2] : [0];
    const minCurrentA = pick(rnd, [6, 6, 7]);
    rig.add(
      {
        id: `c${i}`,
        name: `Charger ${i}`,
        enabled: rnd() < 0.85,
        phaseMap,
        minCurrentA,
        maxCurrentA: pick(rnd, [10, 13, 16, 16, 20, 32]),
        currentLimitA: pick(rnd, [6, 10, 16, 32]),
        carConnected: rnd() < 0.8,
        priority: pick(rnd, [0, 0, 1, 2]),
        latencyClass: rnd() < 0.5 ? 'cloud' : 'local',
      },
      carPhases,
      pick(rnd, [6, 10, 16, 32]),
    );
  }
  return rig;
}

/** The limit each charger has now (0 = paused). */
function stateOf(rig: Rig): Map<string, number> {
  return new Map(rig.chargers.map((c) => [c.input.id, c.input.paused ? 0 : (c.input.currentLimitA ?? 0)]));
}

function runTrace(seed: number): void {
  const rnd = prng(seed);
  const rig = randomRig(rnd);
  const cfg = rig.balancer.getConfig();
  const limitA = cfg.fuseA - cfg.marginA;
  const fail = (msg: string): never => assert.fail(`seed ${seed} t=${rig.nowMs / 1000}s: ${msg}`);

  for (let segment = 0; segment < 6; segment++) {
    // A chaotic stretch: load jumps, meter faults, cars come and go.
    const chaosS = 100 + Math.floor(rnd() * 500);
    const end = rig.nowMs + chaosS * 1000;
    while (rig.nowMs < end) {
      if (rnd() < 0.05) rig.house = [0, 1, 2].map(() => rnd() * (cfg.fuseA + 5) - 2) as Triple<number>;
      if (rnd() < 0.01) {
        const c = pick(rnd, rig.chargers);
        c.input.carConnected = !c.input.carConnected;
        rig.updateDraw();
      }
      const roll = rnd();
      const before = stateOf(rig);
      let fresh = true;
      let sent: Triple<number | null> = [null, null, null];
      let out;
      if (roll < 0.15) {
        fresh = false;
        out = rig.step(1 + Math.floor(rnd() * 10), false); // meter silent
      } else if (roll < 0.25 && rig.seq > 0) {
        // the same telegram polled again
        rig.nowMs += 500;
        const sample = { timeMs: rig.nowMs - 500, seq: rig.seq, currentsA: rig.meter() };
        out = rig.balancer.step(rig.nowMs, sample, rig.chargers.map((c) => c.input));
        rig.applyCommands(out.commands);
        fresh = false;
      } else if (roll < 0.3) {
        const bad = rig.meter() as Triple<number | null>;
        bad[Math.floor(rnd() * 3)] = pick(rnd, [null, Number.NaN, 1e9, -Infinity]);
        sent = bad;
        out = rig.step(1 + Math.floor(rnd() * 5), true, bad);
      } else {
        sent = rig.meter();
        out = rig.step(1 + Math.floor(rnd() * 5));
      }
      const valid = [0, 1, 2].map((g) => fresh && Number.isFinite(sent[g]) && Math.abs(sent[g] as number) < 1e6 && out.headroomA[g] !== null);
      checkCommands(rig, out.commands, before, valid, fail);
    }

    // A steady stretch: constant house, healthy samples. Resolvable ⇒ no phase over the limit.
    rig.house = [0, 1, 2].map(() => rnd() * cfg.fuseA * 0.9) as Triple<number>;
    for (let i = 0; i < 300; i++) {
      const before = stateOf(rig);
      const out = rig.step(1 + Math.floor(rnd() * 3));
      checkCommands(rig, out.commands, before, [0, 1, 2].map((g) => out.headroomA[g] !== null), fail);
      const unbalanced = unbalancedLoad(rig);
      const meter = rig.meter();
      for (let g = 0; g < 3; g++) {
        if (unbalanced[g] <= limitA && meter[g] > limitA + keepSlackA(cfg) + 1e-6) {
          fail(`${GRID_PHASES[g]} at ${meter[g]} A over the ${limitA} A limit in steady state`);
        }
      }
    }
  }
}

/** House plus chargers the balancer may not touch (disabled). */
function unbalancedLoad(rig: Rig): Triple<number> {
  const m: Triple<number> = [...rig.house];
  for (const c of rig.chargers) {
    if (c.input.enabled) continue;
    c.input.phaseMap.forEach((g, k) => {
      if (g) m[GRID_PHASES.indexOf(g)] += c.input.measuredA[k] ?? 0;
    });
  }
  return m;
}

function checkCommands(
  rig: Rig,
  cmds: ReturnType<Rig['step']>['commands'],
  before: Map<string, number>,
  validPhase: boolean[],
  fail: (msg: string) => never,
): void {
  for (const cmd of cmds) {
    const sim = rig.get(cmd.chargerId);
    const c = sim.input;
    // Fresh data for this car: every grid phase it draws on had a good, non-stale value in this sample.
    const freshData = sim.carPhases.every((k) => {
      const g = c.phaseMap[k];
      return !g || validPhase[GRID_PHASES.indexOf(g)];
    });
    if (!c.enabled) fail(`commanded disabled charger ${c.id}`);
    if (!c.carConnected) {
      // the one command a charger without a car gets: its minimum, so the next session starts at 6 A
      if (cmd.type !== 'setCurrentLimit' || cmd.currentA !== Math.ceil(c.minCurrentA)) fail(`commanded ${c.id} without a car: ${cmd.type}`);
      continue;
    }
    const prev = before.get(c.id) ?? 0;
    if (cmd.type === 'pause') {
      if (prev === 0) fail(`duplicate pause of ${c.id}`);
      continue;
    }
    const a = cmd.currentA;
    if (a > Math.floor(c.maxCurrentA)) fail(`${c.id} commanded ${a} A above its max ${c.maxCurrentA} A`);
    if (a < Math.ceil(c.minCurrentA)) fail(`${c.id} commanded ${a} A below its min ${c.minCurrentA} A`);
    if (cmd.type === 'setCurrentLimit' && a === prev) fail(`duplicate ${a} A to ${c.id}`);
    // (a limit below the charger's minimum, e.g. 6 A for a 7 A car, may be corrected to the minimum)
    const correction = prev < Math.ceil(c.minCurrentA) && a === Math.ceil(c.minCurrentA);
    if (!freshData && a > prev && prev !== 0 && !correction) fail(`${c.id} raised ${prev} → ${a} A without fresh meter data`);
    if (!freshData && cmd.type === 'resume') fail(`${c.id} resumed without fresh meter data`);
  }
}

describe('lib/balancer/balancer (randomised properties)', () => {
  it(`holds its invariants over ${TRACES} random traces`, function () {
    this.timeout(60_000);
    for (let seed = 1; seed <= TRACES; seed++) runTrace(seed);
  });
});

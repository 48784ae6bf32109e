/** The bench's timing: Balancer.step with 4 chargers, and a 10 h trace at 1 s replayed with the balancer. */
import { Balancer } from '../../lib/balancer/balancer';
import { DEFAULT_BALANCER_CONFIG, GRID_PHASES, type ChargerInput, type GridPhase, type Triple } from '../../lib/balancer/types';
import { phaseRotation, runPolicy, type Scenario } from '../sim/simulate';
import { loopTrace, type Trace } from '../sim/trace';
import { CAR_MAX_A, DEFAULT_MARGIN_A, PLUG_IN_AFTER_S, quantile } from './matrix';

export interface StepTiming {
  p50Us: number;
  p99Us: number;
  maxUs: number;
  steps: number;
}

/** Balancer.step wall time with 4 chargers on a trace at 1 s; one sample per step. */
export function stepTiming(trace: Trace): StepTiming {
  const balancer = new Balancer({ ...DEFAULT_BALANCER_CONFIG, fuseA: 25, marginA: 1 });
  const maps: Triple<GridPhase | null>[] = [phaseRotation('L1'), phaseRotation('L2'), ['L3', null, null], phaseRotation('L3')];
  const limits = [16, 16, 16, 16];
  const times: number[] = [];
  for (let i = 0; i < trace.points.length; i++) {
    const pt = trace.points[i];
    const chargers: ChargerInput[] = maps.map((phaseMap, k) => ({
      id: `c${k}`,
      name: `Charger ${k}`,
      enabled: true,
      phaseMap,
      measuredA: phaseMap.map((g) => (g ? limits[k] : 0)) as Triple<number>,
      currentLimitA: limits[k],
      minCurrentA: 6,
      maxCurrentA: 16,
      paused: limits[k] === 0,
      carConnected: true,
      priority: k,
      latencyClass: k % 2 ? 'cloud' : 'local',
    }));
    const draw = [0, 0, 0];
    chargers.forEach((c) => c.phaseMap.forEach((g, j) => g && (draw[GRID_PHASES.indexOf(g)] += c.measuredA[j] ?? 0)));
    const sample = { timeMs: pt.timeS * 1000, seq: i + 1, currentsA: pt.currentsA.map((a, p) => Math.round(a + draw[p])) as Triple<number> };
    const t0 = process.hrtime.bigint();
    const out = balancer.step(pt.timeS * 1000, sample, chargers);
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
    for (const c of out.commands) {
      const k = Number(c.chargerId.slice(1));
      limits[k] = c.type === 'pause' ? 0 : c.currentA;
    }
  }
  times.sort((a, b) => a - b);
  return { p50Us: quantile(times, 0.5), p99Us: quantile(times, 0.99), maxUs: times[times.length - 1], steps: times.length };
}

export interface Performance {
  timing: StepTiming;
  replayS: number;
  heapPeakMB: number;
  maxRssMB: number;
  traceName: string;
}

/** A 10 h trace at 1 s (the 1 s capture looped): one whole replay with the balancer, then step timing. */
export function measurePerformance(oneSecond: Trace): Performance {
  const long = loopTrace(oneSecond, 10 * 3600);
  const scenario: Scenario = {
    trace: long,
    fuseA: 20,
    marginA: DEFAULT_MARGIN_A,
    car: { phases: 3, maxA: CAR_MAX_A },
    meter: { intervalS: 1 },
    charger: 'goe',
    plugInAfterS: PLUG_IN_AFTER_S,
  };
  runPolicy(scenario, 'balancer'); // warm-up
  let heapPeak = process.memoryUsage().heapUsed;
  const start = process.hrtime.bigint();
  runPolicy(scenario, 'balancer');
  const replayS = Number(process.hrtime.bigint() - start) / 1e9;
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  stepTiming(long); // warm-up
  const timing = stepTiming(long);
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  return { timing, replayS, heapPeakMB: heapPeak / 1048576, maxRssMB: process.resourceUsage().maxRSS / 1024, traceName: long.name };
}

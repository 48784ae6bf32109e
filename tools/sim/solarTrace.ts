/**
 * Solar traces for the simulator: a REAL household trace (what the house draws per phase without the EV) minus
 * a PV generation profile, so the house exports at midday. No real multi-hour per-phase trace with PV export
 * under MIT/Apache-2.0 was found (the bundled `hu_aux_solar_10s_9min` is a night capture: the meter's export
 * register does not move, no row exports), and no irradiance series under MIT/Apache-2.0 either (pvlib's example
 * data is BSD-3-Clause, which the house rules do not let us bundle). So the PV profile is COMPUTED:
 *
 * - clear sky: peak power × max(0, sin(solar elevation)) / sin(elevation at noon) for the trace's own day and
 *   place (2023-04-27, Hungary, 47.5° N 19° E, CEST): the textbook declination and hour-angle formulas;
 * - passing clouds: a seeded random sequence (tools/random.ts): on average one cloud every `cloudEveryS`, each
 *   lasting 20 s – 6 min and cutting the PV to 20–55 %, with 20 s edges — the flapping a PV controller must ride.
 *
 * The PV is fed on three phases evenly (a 3-phase inverter). `npx tsx tools/sim/solarTrace.ts` writes the two
 * bundled solar traces (docs/solar.md, test/fixtures/ATTRIBUTION.md).
 */
import { writeFileSync } from 'fs';
import path from 'path';
import type { Triple } from '../../lib/balancer/types';
import { seededRandom } from '../random';
import { loadTrace, makeTrace, traceToCsv, type Trace } from './trace';

export interface PvProfileOptions {
  peakW: number;
  /** Local clock time of the trace's first row (hours, e.g. 7.76 for 07:45:50). */
  startHour: number;
  /** Day of the year (1–366). */
  dayOfYear: number;
  latitudeDeg: number;
  longitudeDeg: number;
  /** Local time offset from UTC (hours). */
  utcOffsetH: number;
  seed: number;
  /** Mean time between clouds (s); Infinity = clear sky. */
  cloudEveryS: number;
}

const rad = (deg: number): number => (deg * Math.PI) / 180;

/** sin(solar elevation) at local clock hour `hour` (declination and hour angle, no equation of time). */
export function sinElevation(hour: number, o: Pick<PvProfileOptions, 'dayOfYear' | 'latitudeDeg' | 'longitudeDeg' | 'utcOffsetH'>): number {
  const decl = rad(23.44 * Math.sin(rad((360 / 365) * (284 + o.dayOfYear))));
  const solarHour = hour - o.utcOffsetH + o.longitudeDeg / 15;
  const h = rad(15 * (solarHour - 12));
  const lat = rad(o.latitudeDeg);
  return Math.sin(lat) * Math.sin(decl) + Math.cos(lat) * Math.cos(decl) * Math.cos(h);
}

/** PV power (W) at each of `timesS` (seconds after the first row). */
export function pvProfile(timesS: readonly number[], o: PvProfileOptions): number[] {
  const noonHour = 12 + o.utcOffsetH - o.longitudeDeg / 15;
  const noon = sinElevation(noonHour, o);
  const random = seededRandom(o.seed);
  const clouds: { startS: number; endS: number; depth: number }[] = [];
  const endS = timesS.length ? timesS[timesS.length - 1] : 0;
  for (let t = 0; Number.isFinite(o.cloudEveryS) && t < endS; ) {
    t += -Math.log(1 - random()) * o.cloudEveryS;
    const lengthS = 20 + random() * 340;
    clouds.push({ startS: t, endS: t + lengthS, depth: 0.2 + random() * 0.35 });
    t += lengthS;
  }
  let c = 0;
  return timesS.map((t) => {
    const clear = Math.max(0, sinElevation(o.startHour + t / 3600, o)) / noon;
    while (c < clouds.length && clouds[c].endS + 20 < t) c++;
    let factor = 1;
    const cl = clouds[c];
    if (cl && t > cl.startS - 20) {
      const edge = Math.min(1, Math.max(0, (t - cl.startS + 20) / 20), Math.max(0, (cl.endS + 20 - t) / 20));
      factor = 1 - edge * (1 - cl.depth);
    }
    return o.peakW * clear * factor;
  });
}

/** `household` minus `pvW` spread evenly on three phases (A per phase, signed; 230 V). */
export function withPv(household: Trace, pvW: readonly number[], name: string): Trace {
  const points = household.points.map((p, i) => ({
    timeS: p.timeS,
    currentsA: p.currentsA.map((a) => Math.round((a - pvW[i] / 3 / 230) * 100) / 100) as Triple<number>,
  }));
  return { ...makeTrace(name, points), durationS: household.durationS };
}

/** The hu_aux day trace's place and time (2023-04-27 07:45:50 CEST, Hungary). */
export const HU_AUX_DAY = { startHour: 7 + 45 / 60 + 50 / 3600, dayOfYear: 117, latitudeDeg: 47.5, longitudeDeg: 19, utcOffsetH: 2 } as const;

/** The two bundled solar scenarios: a big array with clouds, and one whose surplus sits between 1.4 and 4.1 kW. */
export const SOLAR_TRACES = [
  { file: 'solar_hu_aux_day_pv9kw_clouds.csv', peakW: 9000, seed: 14, cloudEveryS: 900 },
  { file: 'solar_hu_aux_day_pv4kw_clouds.csv', peakW: 4200, seed: 15, cloudEveryS: 1200 },
] as const;

export interface SolarTraceSpec {
  file: string;
  peakW: number;
  seed: number;
  cloudEveryS: number;
}

export function buildSolarTrace(household: Trace, spec: SolarTraceSpec): Trace {
  const pv = pvProfile(household.points.map((p) => p.timeS), { ...HU_AUX_DAY, peakW: spec.peakW, seed: spec.seed, cloudEveryS: spec.cloudEveryS });
  return withPv(household, pv, spec.file.replace(/\.csv$/, ''));
}

if (require.main === module) {
  const dir = path.join(__dirname, '..', '..', 'test', 'fixtures', 'traces');
  const household = loadTrace(path.join(dir, 'hu_aux_10s_day_6h50m.csv'));
  for (const spec of SOLAR_TRACES) {
    const trace = buildSolarTrace(household, spec);
    const header =
      `# household current without EV (A per phase, signed) = the real hu_aux_10s_day_6h50m.csv trace minus a COMPUTED PV profile ` +
      `(${spec.peakW} W peak, clear-sky geometry, seeded passing clouds seed ${spec.seed}); made by tools/sim/solarTrace.ts; see docs/solar.md\n`;
    writeFileSync(path.join(dir, spec.file), header + traceToCsv(trace));
    process.stdout.write(`wrote ${spec.file}\n`);
  }
}

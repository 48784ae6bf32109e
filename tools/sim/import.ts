/**
 * Importers that turn real meter captures into household traces (see trace.ts), and the script that
 * regenerates the bundled fixtures:
 *
 *   npx tsx tools/sim/import.ts [../shared/realdata/timeseries] [test/fixtures/traces]
 *
 * Only MIT/Apache-2.0 captures are bundled (gaborvar/P1_DSMR, nielsbasjes/dsmr-tools). The
 * hass-evse-load-balancer export has no licence: it can be imported from ../shared but never copied.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'fs';
import path from 'path';
import type { Triple } from '../../lib/balancer/types';
import { makeTrace, traceToCsv, type Trace, type TracePoint } from './trace';

/** A telegram whose time jumps further than this past the previous good one is line noise. */
const MAX_GAP_S = 300;

/**
 * Our `*.parsed.csv` conversions of raw DSMR telegram logs (gaborvar: 10 s, nielsbasjes: 1 s).
 * Columns used: `ts` (DSMR YYMMDDhhmmss + S/W), `i_l1_a..i_l3_a` (whole amps, unsigned), and for the
 * sign either per-phase `p_lN_import_kw`/`p_lN_export_kw` (nielsbasjes) or the total
 * `p_import_kw`/`p_export_kw` (gaborvar: a phase is counted as exporting when the house exports in
 * total — the only sign information that meter gives).
 * Rows damaged by line noise (unparseable time or current, time going backwards or jumping ahead)
 * are dropped: the previous row then simply holds for longer, as it would on a real P1 reader.
 */
export function importDsmrParsedCsv(text: string, name: string): { trace: Trace; dropped: number } {
  const [headerLine, ...rows] = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = headerLine.split(',');
  const col = (n: string): number => header.indexOf(n);
  const iCols = [1, 2, 3].map((k) => col(`i_l${k}_a`));
  if (col('ts') < 0 || iCols.some((c) => c < 0)) throw new Error(`${name}: not a parsed DSMR CSV (need ts, i_l1_a..i_l3_a)`);
  const perPhase = [1, 2, 3].map((k) => [col(`p_l${k}_import_kw`), col(`p_l${k}_export_kw`)]);
  const hasPerPhase = perPhase.every(([a, b]) => a >= 0 && b >= 0);
  const total = [col('p_import_kw'), col('p_export_kw')];

  const points: TracePoint[] = [];
  let dropped = 0;
  let lastSign: Triple<number> = [1, 1, 1];
  for (const row of rows) {
    const cells = row.split(',');
    const timeS = parseDsmrTime(cells[col('ts')]);
    const amps = iCols.map((c) => (/^\d{1,3}(\.\d+)?$/.test(cells[c] ?? '') ? Number(cells[c]) : NaN));
    const prev = points[points.length - 1];
    if (timeS === null || amps.some((a) => Number.isNaN(a)) || (prev && (timeS <= prev.timeS || timeS - prev.timeS > MAX_GAP_S))) {
      dropped++;
      continue;
    }
    const pairs = hasPerPhase ? perPhase : [total, total, total];
    const sign = pairs.map(([imp, exp], k) => {
      const pi = kw(cells[imp]);
      const pe = kw(cells[exp]);
      if (pi === null || pe === null) return lastSign[k];
      return pe > pi ? -1 : 1;
    }) as Triple<number>;
    lastSign = sign;
    points.push({ timeS, currentsA: amps.map((a, k) => (a === 0 ? 0 : a * sign[k])) as Triple<number> });
  }
  return { trace: makeTrace(name, points), dropped };
}

function kw(cell: string | undefined): number | null {
  return cell !== undefined && /^\d+\.\d+$/.test(cell) ? Number(cell) : null;
}

/** DSMR timestamp `YYMMDDhhmmssX` (X = S summer / W winter, local time) → epoch seconds, or null. */
export function parseDsmrTime(cell: string | undefined): number | null {
  const m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)([SW])$/.exec(cell ?? '');
  if (!m) return null;
  const [yy, mo, dd, hh, mi, ss] = m.slice(1, 7).map(Number);
  if (mo < 1 || mo > 12 || dd < 1 || dd > 31 || hh > 23 || mi > 59 || ss > 59) return null;
  const offsetH = m[7] === 'S' ? 2 : 1; // Central European time; only differences matter here
  return Date.UTC(2000 + yy, mo - 1, dd, hh - offsetH, mi, ss) / 1000;
}

/**
 * dirkgroenen/hass-evse-load-balancer `sim/simulation_data.csv` (HA history, 1 s rows, 25 A fuse).
 * `available_current_lN` = 25 − measured; `corrected_lN` = available + charger current, i.e. the
 * availability without the EV; so the household current without the EV is 25 − corrected.
 * Forward-filled rows that repeat the previous values are collapsed.
 */
export function importHassEvseCsv(text: string, name: string, fuseA = 25): Trace {
  const [headerLine, ...rows] = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = headerLine.split(',');
  const tCol = header.indexOf('last_changed');
  const cCols = [1, 2, 3].map((k) => header.indexOf(`corrected_l${k}`));
  if (tCol < 0 || cCols.some((c) => c < 0)) throw new Error(`${name}: not a hass-evse-load-balancer CSV (need last_changed, corrected_l1..3)`);
  const points: TracePoint[] = [];
  let lastS = NaN;
  for (const row of rows) {
    const cells = row.split(',');
    const timeS = Date.parse(cells[tCol].replace(' ', 'T')) / 1000;
    const amps = cCols.map((c) => Math.round((fuseA - Number(cells[c])) * 100) / 100) as Triple<number>;
    if (!Number.isFinite(timeS) || amps.some((a) => !Number.isFinite(a))) continue;
    const prev = points[points.length - 1];
    if (prev && timeS <= lastS) continue;
    lastS = timeS;
    if (prev && amps.every((a, k) => a === prev.currentsA[k])) continue;
    points.push({ timeS, currentsA: amps });
  }
  const trace = makeTrace(name, points);
  // Rows are 1 s apart: the trace lasts until one second after the last (possibly collapsed) row.
  return { ...trace, durationS: points.length ? lastS - points[0].timeS + 1 : 0 };
}

/** The bundled fixtures: source file in the shared realdata folder → fixture name. */
export const BUNDLED_SOURCES: { source: string; fixture: string }[] = [
  { source: 'nielsbasjes_dsmr-tools_NL_Iskra_AM550_DSMR5_1s_2019-03-24_9min.parsed.csv', fixture: 'nl_iskra_1s_9min.csv' },
  { source: 'gaborvar_P1_DSMR_HU_AUX_10s_2023-04-27_6h50m.parsed.csv', fixture: 'hu_aux_10s_day_6h50m.csv' },
  { source: 'gaborvar_P1_DSMR_HU_AUX_10s_2023-05-02_3h03m.parsed.csv', fixture: 'hu_aux_10s_evening_3h.csv' },
  { source: 'gaborvar_P1_DSMR_HU_AUX_solar_10s_2023-08-24_9min.parsed.csv', fixture: 'hu_aux_solar_10s_9min.csv' },
];

export const HASS_EVSE_SOURCE = 'hass-evse-load-balancer_sim_1Hz_available_current_easee_2025-04-27.csv';

/** Rewrite test/fixtures/traces/*.csv from the shared captures. Returns one line per file. */
export function regenerateFixtures(sharedDir: string, outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  return BUNDLED_SOURCES.map(({ source, fixture }) => {
    const { trace, dropped } = importDsmrParsedCsv(readFileSync(path.join(sharedDir, source), 'utf8'), fixture);
    const header = `# household current without EV (A per phase, signed), converted by tools/sim/import.ts from ${source}; see test/fixtures/ATTRIBUTION.md\n`;
    writeFileSync(path.join(outDir, fixture), header + traceToCsv(trace));
    return `${fixture}: ${trace.points.length} rows, ${(trace.durationS / 3600).toFixed(2)} h, ${dropped} noisy rows dropped`;
  });
}

if (require.main === module) {
  const sharedDir = process.argv[2] ?? path.join(__dirname, '..', '..', '..', 'shared', 'realdata', 'timeseries');
  const outDir = process.argv[3] ?? path.join(__dirname, '..', '..', 'test', 'fixtures', 'traces');
  for (const line of regenerateFixtures(sharedDir, outDir)) process.stdout.write(`${line}\n`);
}

import assert from 'assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import os from 'os';
import path from 'path';
import {
  BUNDLED_SOURCES,
  HASS_EVSE_SOURCE,
  importDsmrParsedCsv,
  importHassEvseCsv,
  parseDsmrTime,
  regenerateFixtures,
} from '../../../tools/sim/import';

const SHARED = path.join(__dirname, '..', '..', '..', '..', 'shared', 'realdata', 'timeseries');
const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'traces');

describe('tools/sim/import', () => {
  it('reads DSMR timestamps (S = summer, W = winter) and rejects noise', () => {
    assert.strictEqual(parseDsmrTime('230427074550S'), Date.UTC(2023, 3, 27, 5, 45, 50) / 1000);
    assert.strictEqual(parseDsmrTime('190324150519W'), Date.UTC(2019, 2, 24, 14, 5, 19) / 1000);
    assert.strictEqual(parseDsmrTime('230 27081350S'), null);
    assert.strictEqual(parseDsmrTime('231327081350S'), null);
  });

  it('signs per-phase currents from per-phase import/export power and drops noisy rows', () => {
    const csv = [
      'ts,p_import_kw,p_export_kw,i_l1_a,i_l2_a,i_l3_a,p_l1_import_kw,p_l2_import_kw,p_l3_import_kw,p_l1_export_kw,p_l2_export_kw,p_l3_export_kw',
      '190324150519W,00.378,00.000,003,000,002,00.600,00.000,00.300,00.000,00.000,00.000',
      '190324150520W,00.100,01.000,003,000,005,00.600,00.000,00.000,00.000,00.000,01.100',
      '190324150521W,00.100,01.000,0 3,000,005,00.600,00.000,00.000,00.000,00.000,01.100', // damaged current
      '190324110522W,00.100,01.000,003,000,005,00.600,00.000,00.000,00.000,00.000,01.100', // time jumps back
      '190324150523W,00.100,01.000,004,000,005,00.600,00.000,00.000,00.000,00.000,01.100',
    ].join('\n');
    const { trace, dropped } = importDsmrParsedCsv(csv, 'n');
    assert.strictEqual(dropped, 2);
    assert.deepStrictEqual(trace.points, [
      { timeS: 0, currentsA: [3, 0, 2] },
      { timeS: 1, currentsA: [3, 0, -5] },
      { timeS: 4, currentsA: [4, 0, -5] },
    ]);
  });

  it('falls back to the total import/export for the sign (gaborvar meters)', () => {
    const csv = ['ts,p_import_kw,p_export_kw,i_l1_a,i_l2_a,i_l3_a', '230824012130S,00.000,02.949,000,010,002', '230824012140S,02.000,00.000,001,010,002'].join('\n');
    assert.deepStrictEqual(importDsmrParsedCsv(csv, 'g').trace.points.map((p) => p.currentsA), [
      [0, -10, -2],
      [1, 10, 2],
    ]);
  });

  it('converts the hass-evse "corrected" availability to household current (25 A − corrected)', () => {
    const csv = [
      'last_changed,available_current_l1,available_current_l2,available_current_l3,easee_thuis_power,easee_thuis_current,corrected_l1,corrected_l2,corrected_l3',
      '2025-04-27 10:00:18+00:00,25,24,25,0.06,0.29,25.1,24.1,25.1',
      '2025-04-27 10:00:19+00:00,25,24,25,0.06,0.29,25.1,24.1,25.1',
      '2025-04-27 10:00:20+00:00,5,4,5,9,13,18,17,18',
    ].join('\n');
    const t = importHassEvseCsv(csv, 'h');
    assert.deepStrictEqual(t.points, [
      { timeS: 0, currentsA: [-0.1, 0.9, -0.1] },
      { timeS: 2, currentsA: [7, 8, 7] },
    ]);
    assert.strictEqual(t.durationS, 3);
  });

  describe('with the shared real captures', function () {
    before(function () {
      if (!existsSync(SHARED)) this.skip();
    });

    it('regenerates exactly the bundled fixtures', () => {
      const out = mkdtempSync(path.join(os.tmpdir(), 'traces-'));
      try {
        regenerateFixtures(SHARED, out);
        for (const { fixture } of BUNDLED_SOURCES) {
          assert.strictEqual(readFileSync(path.join(out, fixture), 'utf8'), readFileSync(path.join(FIXTURES, fixture), 'utf8'), fixture);
        }
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });

    it('imports the unlicensed hass-evse capture in place (never bundled)', () => {
      const t = importHassEvseCsv(readFileSync(path.join(SHARED, HASS_EVSE_SOURCE), 'utf8'), 'hass');
      assert.ok(t.durationS > 2 * 3600 && t.durationS < 2.3 * 3600, `${t.durationS}`);
      const peak = Math.max(...t.points.map((p) => Math.max(...p.currentsA)));
      assert.ok(peak >= 20 && peak <= 25, `household peak ${peak} A`);
      assert.ok(!existsSync(path.join(FIXTURES, HASS_EVSE_SOURCE)));
    });
  });
});

import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { crc16, dsmrSignedCurrents, dsmrToSample, parseDsmrTelegram, parseDsmrTime, splitDsmrTelegrams } from '../../../lib/meter/dsmr';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'meter');
const SHARED = path.join(__dirname, '..', '..', '..', '..', 'shared', 'realdata');
const read = (file: string): string => fs.readFileSync(file, 'latin1');

/** Telegram files in a folder, with what ../shared/realdata/INDEX.md says about their CRC. */
function telegramFiles(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.telegram.txt')).map((f) => path.join(dir, f)) : [];
}

/** The INDEX lists, per telegram file, "CRC ok" or "no CRC"; files marked "no CRC" have none (or an unpadded one). */
const NO_CRC_PER_INDEX = [
  'MT382_DSMR3', 'LandisGyr_DSMR22', 'ESY5Q3DA1004', 'ESY5Q3DB1024', 'UNPADDED_CRC', 'TELEGRAM_V2_2', 'TELEGRAM_V3',
];
const expectsCrc = (file: string): boolean => !NO_CRC_PER_INDEX.some((k) => file.includes(k));

function checkTelegram(file: string): void {
  const text = read(file);
  const r = parseDsmrTelegram(text);
  if (expectsCrc(file)) assert.strictEqual(r.crc, 'ok', `${path.basename(file)}: CRC`);
  else assert.notStrictEqual(r.crc, 'mismatch', `${path.basename(file)}: CRC`);
  assert.ok(r.header.length > 0);
  const signed = dsmrSignedCurrents(r);
  for (let p = 0; p < 3; p++) {
    const i = signed[p];
    if (i === null) {
      assert.strictEqual(r.currentA[p], null);
      continue;
    }
    assert.ok(Number.isFinite(i) && Math.abs(i) < 200, `${file} L${p + 1}: ${i}`);
    if (r.currentA[p] !== null) assert.ok(Math.abs(i) >= r.currentA[p]! - 1e-9, 'never below the reported current');
    const net = (r.importW[p] ?? 0) - (r.exportW[p] ?? 0);
    if (net !== 0 && i !== 0) assert.strictEqual(Math.sign(i), Math.sign(net), `${file} L${p + 1} sign follows import − export`);
  }
  // Every telegram with a per-phase current register yields that phase.
  if (/^1-0:31\.7\.0/m.test(text)) assert.notStrictEqual(signed[0], null);
  if (/^0-0:1\.0\.0\((?!0{12})\d{12}[SW]\)/m.test(text)) assert.ok(r.timestampMs !== null, `${file}: timestamp`);
}

describe('meter/dsmr', () => {
  it('computes CRC16/ARC (check value of "123456789" is 0xBB3D)', () => {
    assert.strictEqual(crc16('123456789'), 0xbb3d);
  });

  it('parses every MIT/Apache telegram in test/fixtures (CRC as the data index says)', () => {
    const files = telegramFiles(path.join(FIXTURES, 'dsmr'));
    assert.ok(files.length >= 20, `found ${files.length} telegrams`);
    files.forEach(checkTelegram);
  });

  it('parses the other real telegrams in ../shared (not redistributable)', function () {
    const files = telegramFiles(path.join(SHARED, 'dsmr_telegrams')).filter((f) => !fs.existsSync(path.join(FIXTURES, 'dsmr', path.basename(f))));
    if (files.length === 0) this.skip();
    files.forEach(checkTelegram);
  });

  it('reads units, decimals and OBIS suffixes (Fluvius decimals, EasyMeter *255 and W)', () => {
    const fluvius = parseDsmrTelegram(read(path.join(FIXTURES, 'dsmr', 'ndokter_dsmr_parser_TELEGRAM_FLUVIUS_V171_ALT.telegram.txt')));
    assert.deepStrictEqual(fluvius.currentA, [0.27, 0.88, 0.52]);
    const easy = read(path.join(FIXTURES, 'dsmr', 'ndokter_dsmr_parser_TELEGRAM_ESY5Q3DA1004_V304.telegram.txt'));
    const power = /^1-0:21\.7\.0\*255\((\d+\.\d+)\*W\)/m.exec(easy);
    assert.ok(power);
    assert.strictEqual(parseDsmrTelegram(easy).importW[0], Number(power[1]));
  });

  it('signs the current by import − export power (HomeWizard telegram: L1 exports)', () => {
    const r = parseDsmrTelegram(read(path.join(FIXTURES, 'homewizard', 'v1_api_v1_telegram_HWE-P1_ISKRA_AM550_DSMR5.txt')));
    assert.deepStrictEqual(r.currentA, [2, 0, 0]);
    assert.deepStrictEqual(r.exportW, [676, 0, 0]);
    const [l1, l2, l3] = dsmrSignedCurrents(r);
    assert.ok(l1! < -2 && l1! > -3, `L1 ${l1}`); // 676 W / 236 V = 2.86 A export, above the truncated 2 A
    assert.ok(l2! > 0 && l3! > 0);
    // This fixture's header was mangled by its publisher, so its CRC cannot match.
    assert.strictEqual(r.crc, 'mismatch');
  });

  it('detects a damaged telegram by its CRC', () => {
    const text = read(path.join(FIXTURES, 'dsmr', 'Wassasin_dsmr5_NL_Kaifa_DSMR42.telegram.txt'));
    assert.strictEqual(parseDsmrTelegram(text).crc, 'ok');
    const damaged = text.replace('1-0:31.7.0(001*A)', '1-0:31.7.0(007*A)');
    assert.notStrictEqual(damaged, text);
    assert.strictEqual(parseDsmrTelegram(damaged).crc, 'mismatch');
  });

  it('converts the meter timestamp (S = CEST, W = CET) and uses it for samples', () => {
    assert.strictEqual(parseDsmrTime('181106140429W'), Date.UTC(2018, 10, 6, 13, 4, 29));
    assert.strictEqual(parseDsmrTime('190707120000S'), Date.UTC(2019, 6, 7, 10, 0, 0));
    assert.strictEqual(parseDsmrTime('000000000000W'), null);
    assert.strictEqual(parseDsmrTime('garbage'), null);
    const r = parseDsmrTelegram(read(path.join(FIXTURES, 'dsmr', 'Wassasin_dsmr5_NL_Kaifa_DSMR42.telegram.txt')));
    assert.strictEqual(dsmrToSample(r, 5).timeMs, r.timestampMs);
    assert.strictEqual(dsmrToSample({ ...r, timestampMs: null }, 5).timeMs, 5);
  });

  it('refuses text without a telegram and skips damaged lines', () => {
    assert.throws(() => parseDsmrTelegram('hello'), /no "\/"/);
    const r = parseDsmrTelegram('/XXX5\r\n\r\n1-0:31.7.0(0x2*A)\r\n1-0:51.7.0(003*A)\r\n-0:71.7.0(004*A)\r\n!');
    assert.deepStrictEqual(r.currentA, [null, 3, null]);
    assert.strictEqual(r.crc, 'absent');
  });

  it('validates all 566 telegrams of the real 1 s capture (../shared, Apache-2.0)', function () {
    const file = path.join(SHARED, 'timeseries', 'nielsbasjes_dsmr-tools_NL_Iskra_AM550_DSMR5_1s_2019-03-24_9min.telegrams.txt');
    if (!fs.existsSync(file)) this.skip();
    const telegrams = splitDsmrTelegrams(read(file));
    assert.strictEqual(telegrams.length, 566);
    let prev = -Infinity;
    for (const t of telegrams) {
      const r = parseDsmrTelegram(t);
      assert.strictEqual(r.crc, 'ok');
      assert.ok(r.timestampMs! > prev, 'timestamps increase');
      prev = r.timestampMs!;
      assert.ok(dsmrSignedCurrents(r).every((c) => c !== null));
    }
  });

  it('survives a real capture with line noise (../shared, HU AUX meter): no throw, damage flagged', function () {
    const file = path.join(SHARED, 'timeseries', 'gaborvar_P1_DSMR_HU_AUX_solar_10s_2023-08-24_9min.telegrams.log');
    if (!fs.existsSync(file)) this.skip();
    const telegrams = splitDsmrTelegrams(read(file));
    assert.ok(telegrams.length >= 50);
    const readings = telegrams.map(parseDsmrTelegram);
    assert.ok(readings.every((r) => r.crc !== 'ok'), 'the index says no telegram of this capture validates');
    assert.ok(readings.filter((r) => r.currentA.every((c) => c !== null)).length > telegrams.length / 2);
  });
});

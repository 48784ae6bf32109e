import assert from 'assert';
import fs from 'fs';
import path from 'path';
import {
  DsmrStreamSplitter,
  crc16,
  dsmrSignedCurrents,
  parseDsmrTelegram,
  parseDsmrTime,
  splitDsmrTelegrams,
  type DsmrReading,
} from '../../../lib/meter/dsmr';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'meter');
const DSMR = path.join(FIXTURES, 'dsmr');
/** ../shared/realdata next to the repository: real data we may test with but not redistribute. */
const SHARED = path.join(__dirname, '..', '..', '..', '..', 'shared', 'realdata');
const read = (file: string): string => fs.readFileSync(file, 'latin1');

/** Skip the running test, saying why, when a file of ../shared/realdata is not there. */
function needShared(ctx: Mocha.Context, file: string): void {
  if (fs.existsSync(file)) return;
  ctx.test!.title += ` — skipped: ../shared/realdata/${path.relative(SHARED, file)} is absent (real data kept outside the repository)`;
  ctx.skip();
}

/** The real telegram with line noise (HU AUX meter, MIT): its CRC cannot validate (id redacted). */
const NOISY = 'gaborvar_P1_DSMR_HU_AUX_line_noise_2023-04-27T082710.telegram.txt';
/** 30 consecutive telegrams of a real NL Iskra AM550 (Apache-2.0). */
const ISKRA_30 = 'nielsbasjes_dsmr-tools_NL_Iskra_AM550_DSMR5_1s_30telegrams.telegrams.txt';

function telegramFiles(dir: string): string[] {
  return fs.existsSync(dir)
    ? fs.readdirSync(dir).filter((f) => f.endsWith('.telegram.txt') && f !== NOISY).map((f) => path.join(dir, f))
    : [];
}

/** Per ../shared/realdata/INDEX.md: the files without a CRC (DSMR 2.2/3, EasyMeter); all others carry one. */
const NO_CRC_PER_INDEX = ['MT382_DSMR3', 'LandisGyr_DSMR22', 'ESY5Q3DA1004', 'ESY5Q3DB1024', 'TELEGRAM_V2_2', 'TELEGRAM_V3.'];

const REGISTERS: [keyof Pick<DsmrReading, 'currentA' | 'importW' | 'exportW' | 'voltageV'>, string[], RegExp][] = [
  ['currentA', ['31', '51', '71'], /^A$/],
  ['importW', ['21', '41', '61'], /^k?W$/],
  ['exportW', ['22', '42', '62'], /^k?W$/],
  ['voltageV', ['32', '52', '72'], /^V$/],
];

/** The value a telegram states for a register (independently of the parser), null when it has none. */
function statedValue(text: string, code: string, unit: RegExp): number | null {
  const m = new RegExp(`^1-0:${code}\\.7\\.0(?:\\*255)?\\((\\d+(?:\\.\\d+)?)\\*(\\w+)\\)\\r?$`, 'm').exec(text);
  if (!m || !unit.test(m[2])) return null;
  return Number(m[1]) * (m[2] === 'kW' ? 1000 : 1);
}

function checkTelegram(file: string): void {
  const name = path.basename(file);
  const text = read(file);
  const r = parseDsmrTelegram(text);
  assert.strictEqual(r.problem, null, `${name}: ${r.problem}`);
  assert.ok(r.complete && r.header.length > 0, name);
  if (NO_CRC_PER_INDEX.some((k) => name.includes(k))) {
    assert.strictEqual(r.crc, 'absent', `${name}: no CRC`);
    assert.strictEqual(r.crcRequired, false, `${name}: DSMR 2.2/3 needs no CRC`);
  } else {
    assert.strictEqual(r.crc, 'ok', `${name}: CRC`);
    assert.strictEqual(r.crcRequired, true, `${name}: DSMR 4+ needs a CRC`);
  }
  // The parser reads exactly what the telegram states, register by register.
  for (const [key, codes, unit] of REGISTERS) {
    codes.forEach((code, p) => assert.strictEqual(r[key][p], statedValue(text, code, unit), `${name} 1-0:${code}.7.0`));
  }
  assert.deepStrictEqual(r.unreadable, [], name);
  const signed = dsmrSignedCurrents(r);
  for (let p = 0; p < 3; p++) {
    const i = signed[p];
    if (i === null) continue;
    if (r.currentA[p] !== null) assert.ok(Math.abs(i) >= r.currentA[p]! - 1e-9, 'never below the reported current');
    const net = (r.importW[p] ?? 0) - (r.exportW[p] ?? 0);
    if (net !== 0 && i !== 0) assert.strictEqual(Math.sign(i), Math.sign(net), `${name} L${p + 1} sign follows import − export`);
  }
  const stamp = /^0-0:1\.0\.0\((\d{12}[SW])\)/m.exec(text);
  if (stamp && !stamp[1].startsWith('000000')) assert.strictEqual(r.timestampMs, parseDsmrTime(stamp[1]), `${name}: timestamp`);
}

/** A telegram up to and including its '!' (the CRC cut off), and one cut in the middle of its body. */
const cutBeforeCrc = (text: string): string => text.slice(0, text.indexOf('!') + 1);
const cutMidway = (text: string): string => text.slice(0, Math.floor(text.indexOf('!') / 2));

describe('meter/dsmr', () => {
  it('computes CRC16/ARC (check value of "123456789" is 0xBB3D)', () => {
    assert.strictEqual(crc16('123456789'), 0xbb3d);
  });

  it('reads every bundled MIT/Apache telegram as it states its values (CRC as the data index says)', () => {
    const files = telegramFiles(DSMR);
    assert.ok(files.length >= 20, `found ${files.length} telegrams`);
    files.forEach(checkTelegram);
  });

  it('reads the other real telegrams in ../shared the same way (not redistributable)', function () {
    needShared(this, path.join(SHARED, 'dsmr_telegrams'));
    const files = telegramFiles(path.join(SHARED, 'dsmr_telegrams')).filter((f) => !fs.existsSync(path.join(DSMR, path.basename(f))));
    assert.ok(files.length >= 10, `${files.length} telegrams`);
    files.forEach(checkTelegram);
  });

  it('agrees with the values the data index names (L3 6 A, decimal 0.48 A, Fluvius decimals, the unpadded CRC)', () => {
    const r = (f: string): DsmrReading => parseDsmrTelegram(read(path.join(DSMR, f)));
    assert.strictEqual(r('jvandenaardweg_hwe-api_NL_Iskra_AM550_DSMR5_3phase_2019-12-29.telegram.txt').currentA[2], 6);
    assert.deepStrictEqual(r('ndokter_dsmr_parser_TELEGRAM_V5.telegram.txt').currentA, [0.48, 0.44, 0.86]);
    assert.deepStrictEqual(r('ndokter_dsmr_parser_TELEGRAM_FLUVIUS_V171_ALT.telegram.txt').currentA, [0.27, 0.88, 0.52]);
    // INDEX lists it as "no CRC"; it carries "!B9F", a CRC without its leading zero, which validates (ndokter reads 1-4 digits too).
    const unpadded = r('ndokter_dsmr_parser_TELEGRAM_UNPADDED_CRC.telegram.txt');
    assert.deepStrictEqual([unpadded.crc, unpadded.problem], ['ok', null]);
    const easy = read(path.join(DSMR, 'ndokter_dsmr_parser_TELEGRAM_ESY5Q3DA1004_V304.telegram.txt'));
    const power = /^1-0:21\.7\.0\*255\((\d+\.\d+)\*W\)/m.exec(easy);
    assert.ok(power);
    assert.strictEqual(parseDsmrTelegram(easy).importW[0], Number(power[1]));
  });

  it('refuses a DSMR 4/5 telegram cut off before its CRC, and any telegram cut mid-way', () => {
    const files = telegramFiles(DSMR);
    const withCrc = files.filter((f) => parseDsmrTelegram(read(f)).crcRequired);
    assert.ok(withCrc.length >= 15);
    for (const f of withCrc) {
      const cut = parseDsmrTelegram(cutBeforeCrc(read(f)));
      assert.deepStrictEqual([cut.complete, cut.crc, cut.crcRequired], [true, 'absent', true], path.basename(f));
      assert.match(cut.problem ?? '', /no CRC after "!"/, path.basename(f));
    }
    const v50 = parseDsmrTelegram(cutBeforeCrc(read(path.join(DSMR, 'ndokter_dsmr_parser_TELEGRAM_V5.telegram.txt'))));
    assert.strictEqual(v50.problem, 'no CRC after "!", which DSMR version 50 must carry (cut off?)');
    for (const f of files) {
      const mid = parseDsmrTelegram(cutMidway(read(f)));
      assert.strictEqual(mid.complete, false);
      assert.strictEqual(mid.problem, 'telegram cut off before its "!" end line', path.basename(f));
    }
    // DSMR 2.2 and 3 have no CRC: complete, they are fine.
    for (const f of files.filter((x) => /V2_2|TELEGRAM_V3\.|DSMR22/.test(x))) assert.strictEqual(parseDsmrTelegram(read(f)).problem, null);
  });

  it('reads a noisy value such as "( 37.0*V)" as unreadable, like ndokter/dsmr_parser (real HU AUX telegram)', () => {
    const text = read(path.join(DSMR, NOISY));
    assert.ok(text.includes('1-0:72.7.0( 37.0*V)') && text.includes('1-0:52.7.0(229.9*V\r\n'));
    const r = parseDsmrTelegram(text);
    assert.deepStrictEqual(r.voltageV, [235.6, null, null]);
    assert.deepStrictEqual(r.unreadable, ['1-0:52.7.0', '1-0:72.7.0']);
    assert.deepStrictEqual(r.currentA, [1, 0, 0]);
    assert.strictEqual(r.timestampMs, Date.UTC(2023, 3, 27, 6, 27, 10));
    assert.strictEqual(r.crcRequired, true); // a DSMR 5 variant: it has the 0-0:1.0.0 timestamp
    assert.strictEqual(r.crc, 'mismatch'); // the id was redacted before publication
    assert.match(r.problem ?? '', /CRC mismatch/);
  });

  it('refuses other damaged values: a missing unit or ")", a wrong unit, a register sent twice with different values', () => {
    const r = parseDsmrTelegram(
      '/XXX5\r\n\r\n1-0:31.7.0(0x2*A)\r\n1-0:51.7.0(003*A)\r\n-0:71.7.0(004*A)\r\n1-0:32.7.0(233.0*)\r\n1-0:52.7.0(231.0*V\r\n' +
        '1-0:72.7.0(232*A)\r\n1-0:21.7.0(00.100*kWh)\r\n1-0:41.7.0(00.100*kW)\r\n1-0:41.7.0(00.900*kW)\r\n1-0:61.7.0(-0.1*kW)\r\n!',
    );
    assert.deepStrictEqual(r.currentA, [null, 3, null]);
    assert.deepStrictEqual(r.voltageV, [null, null, null]);
    assert.deepStrictEqual(r.importW, [null, null, null]);
    assert.deepStrictEqual(r.unreadable, ['1-0:31.7.0', '1-0:32.7.0', '1-0:52.7.0', '1-0:72.7.0', '1-0:21.7.0', '1-0:41.7.0', '1-0:61.7.0']);
    assert.deepStrictEqual([r.crc, r.crcRequired, r.problem], ['absent', false, null]);
    assert.throws(() => parseDsmrTelegram('hello'), /no "\/"/);
  });

  it('detects a damaged telegram by its CRC', () => {
    const text = read(path.join(DSMR, 'Wassasin_dsmr5_NL_Kaifa_DSMR42.telegram.txt'));
    assert.strictEqual(parseDsmrTelegram(text).crc, 'ok');
    const damaged = text.replace('1-0:31.7.0(001*A)', '1-0:31.7.0(007*A)');
    assert.notStrictEqual(damaged, text);
    const r = parseDsmrTelegram(damaged);
    assert.deepStrictEqual([r.crc, r.problem], ['mismatch', 'CRC mismatch (damaged telegram)']);
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

  describe('meter time', () => {
    it('reads local time in the meter\'s zone; S and W pick the summer or winter instant of the repeated hour', () => {
      assert.strictEqual(parseDsmrTime('181106140429W'), Date.UTC(2018, 10, 6, 13, 4, 29));
      assert.strictEqual(parseDsmrTime('190707120000S'), Date.UTC(2019, 6, 7, 10, 0, 0));
      // the hour that occurs twice (2023-10-29 02:00-03:00 in Amsterdam): the flag tells which
      assert.strictEqual(parseDsmrTime('231029023000S'), Date.UTC(2023, 9, 29, 0, 30));
      assert.strictEqual(parseDsmrTime('231029023000W'), Date.UTC(2023, 9, 29, 1, 30));
      assert.strictEqual(parseDsmrTime('230101120000W', 'Europe/London'), Date.UTC(2023, 0, 1, 12));
      // outside that hour the zone's rules decide, as in ndokter/dsmr_parser: a real Irish meter sends S in February
      assert.strictEqual(parseDsmrTime('230202132747S', 'Europe/Dublin'), Date.UTC(2023, 1, 2, 13, 27, 47));
      assert.strictEqual(parseDsmrTime('230701120000S', 'UTC'), Date.UTC(2023, 6, 1, 12));
    });

    it('does not take a timestamp without the flag for winter time: the zone decides, unknown when it cannot', () => {
      assert.strictEqual(parseDsmrTime('230427082710'), Date.UTC(2023, 3, 27, 6, 27, 10)); // CEST
      assert.strictEqual(parseDsmrTime('230127082710'), Date.UTC(2023, 0, 27, 7, 27, 10)); // CET
      assert.strictEqual(parseDsmrTime('231029023000'), null); // the repeated hour: ambiguous
      assert.strictEqual(parseDsmrTime('230326023000'), null); // the skipped hour: does not exist
      assert.strictEqual(parseDsmrTime('230427082710', 'Europe/Helsinki'), Date.UTC(2023, 3, 27, 5, 27, 10));
      assert.strictEqual(parseDsmrTime('230427082710', 'Mars/Olympus'), null);
    });

    it('refuses impossible dates', () => {
      for (const v of ['000000000000W', '230431120000S', '230230120000W', '231301120000W', '230101246000W', 'garbage', '2301011200W']) {
        assert.strictEqual(parseDsmrTime(v), null, v);
      }
    });

    it('reads the real telegrams\' timestamps the same with the flag stripped, outside the repeated hour', () => {
      for (const f of [path.join(DSMR, NOISY), ...telegramFiles(DSMR)]) {
        const text = read(f);
        const stamp = /^0-0:1\.0\.0\((\d{12})[SW]\)/m.exec(text);
        if (!stamp || stamp[1].startsWith('000000')) continue;
        const flagged = parseDsmrTelegram(text);
        const bare = parseDsmrTelegram(text.replace(/^(0-0:1\.0\.0\(\d{12})[SW]\)/m, '$1)'), { timeZone: 'Europe/Amsterdam' });
        assert.ok(flagged.timestampMs !== null, path.basename(f));
        assert.strictEqual(bare.timestampMs, flagged.timestampMs, path.basename(f));
      }
    });
  });

  describe('stream splitter', () => {
    const telegrams = splitDsmrTelegrams(read(path.join(DSMR, ISKRA_30))).map((t) => t.replace(/\r?\n/g, '\r\n'));

    it('yields the complete telegrams of a stream fed byte by byte, skipping noise and a telegram cut by the next "/"', () => {
      assert.strictEqual(telegrams.length, 30);
      const noise = 'x!\u00ff\u0000AB\r\n';
      const stream = `${noise}${telegrams[0]}\r\n${telegrams[1].slice(0, 300)}${telegrams[2]}\r\n${noise}${telegrams[3]}\r\n`;
      const s = new DsmrStreamSplitter();
      const out: string[] = [];
      for (const ch of stream) out.push(...s.push(ch));
      assert.deepStrictEqual(out, [telegrams[0], telegrams[2], telegrams[3]]);
      assert.deepStrictEqual(s.counts, { noiseBytes: 2 * (noise.length - 2), cut: 1, oversized: 0 });
      assert.ok(out.every((t) => parseDsmrTelegram(t).problem === null));
    });

    it('ends a telegram at its 4th CRC digit, a DSMR 3 one at the line end; a cut at the end of the stream counts on reset', () => {
      const s = new DsmrStreamSplitter();
      assert.deepStrictEqual(s.push(telegrams[0].slice(0, -1)), []);
      assert.deepStrictEqual(s.push(telegrams[0].slice(-1)), [telegrams[0]]);
      const v3 = read(path.join(DSMR, 'ndokter_dsmr_parser_TELEGRAM_V3.telegram.txt'));
      const body = v3.slice(0, v3.indexOf('!') + 1);
      assert.deepStrictEqual(s.push(body), []);
      assert.deepStrictEqual(s.push('\r\n'), [body]);
      s.push(telegrams[1].slice(0, 100));
      s.reset();
      assert.strictEqual(s.counts.cut, 1);
    });

    it('drops an endless telegram without "!" once it exceeds the limit', () => {
      const s = new DsmrStreamSplitter(1000);
      assert.deepStrictEqual(s.push(`/${'y'.repeat(2000)}`), []);
      assert.strictEqual(s.counts.oversized, 1);
      assert.deepStrictEqual(s.push(telegrams[4]), [telegrams[4]]);
    });
  });

  describe('real captures in ../shared (skipped when absent)', () => {
    const TS = path.join(SHARED, 'timeseries');

    it('validates all 566 telegrams of the NL Iskra 1 s capture and agrees with its parsed CSV (Apache-2.0)', function () {
      const base = path.join(TS, 'nielsbasjes_dsmr-tools_NL_Iskra_AM550_DSMR5_1s_2019-03-24_9min');
      needShared(this, `${base}.telegrams.txt`);
      const telegrams = splitDsmrTelegrams(read(`${base}.telegrams.txt`));
      assert.strictEqual(telegrams.length, 566);
      const { agree, disagree } = compareWithCsv(telegrams, `${base}.parsed.csv`);
      assert.strictEqual(disagree.length, 0, disagree.slice(0, 3).join('; '));
      assert.strictEqual(agree, 566 * 12);
      let prev = -Infinity;
      for (const t of telegrams) {
        const r = parseDsmrTelegram(t);
        assert.deepStrictEqual([r.crc, r.problem], ['ok', null]);
        assert.ok(r.timestampMs! > prev, 'timestamps increase');
        prev = r.timestampMs!;
      }
    });

    for (const capture of ['10s_2023-04-27_6h50m', '10s_2023-05-02_3h03m', 'solar_10s_2023-08-24_9min']) {
      it(`agrees with the HU AUX capture ${capture} wherever a value is readable; noisy values are null (MIT)`, function () {
        const base = path.join(TS, `gaborvar_P1_DSMR_HU_AUX_${capture}`);
        needShared(this, `${base}.telegrams.log`);
        const telegrams = splitDsmrTelegrams(read(`${base}.telegrams.log`));
        const { agree, disagree, unreadableButClean } = compareWithCsv(telegrams, `${base}.parsed.csv`);
        assert.strictEqual(disagree.length, 0, disagree.slice(0, 3).join('; '));
        assert.ok(agree > telegrams.length * 5, `${agree} values agree`);
        // where the CSV copied a clean-looking number the parser left null, the line itself is damaged, or two
        // telegrams ran into each other (a lost "!" line) and the register says two different things, or a
        // noise "!" ended the telegram before the register
        for (const [t, code] of unreadableButClean) {
          const values = [...t.matchAll(new RegExp(`^1-0:${code}\\.7\\.0(\\(.*)$`, 'gm'))].map((m) => m[1]);
          const damaged = values.some((v) => !/^\(\d+(\.\d+)?\*(A|V)\)\r$/.test(v));
          assert.ok(values.length === 0 || damaged || new Set(values).size > 1, `1-0:${code}.7.0 in ${JSON.stringify(t.slice(0, 60))}`);
        }
        const readings = telegrams.map((t) => parseDsmrTelegram(t));
        assert.ok(readings.every((r) => r.problem !== null), 'the index says no telegram of these captures validates');
      });
    }
  });
});

/** Every current and voltage (and per-phase power where the CSV has it) against the CSV row of the same timestamp. */
function compareWithCsv(telegrams: string[], csvFile: string): { agree: number; disagree: string[]; unreadableButClean: [string, string][] } {
  const lines = read(csvFile).split('\n');
  const head = lines[0].split(',');
  const rows = new Map(lines.slice(1).map((l) => l.split(',')).filter((c) => c.length === head.length).map((c) => [c[0], c]));
  let agree = 0;
  const disagree: string[] = [];
  const unreadableButClean: [string, string][] = [];
  for (const t of telegrams) {
    const row = rows.get(/^0-0:1\.0\.0\((\d{12}[SW])\)/m.exec(t)?.[1] ?? '');
    if (!row) continue;
    const r = parseDsmrTelegram(t);
    const cols: [string, string, number | null][] = [];
    for (let p = 0; p < 3; p++) {
      cols.push([`i_l${p + 1}_a`, ['31', '51', '71'][p], r.currentA[p]], [`u_l${p + 1}_v`, ['32', '52', '72'][p], r.voltageV[p]]);
      if (head.includes('p_l1_import_kw')) {
        cols.push([`p_l${p + 1}_import_kw`, ['21', '41', '61'][p], r.importW[p] === null ? null : r.importW[p]! / 1000]);
        cols.push([`p_l${p + 1}_export_kw`, ['22', '42', '62'][p], r.exportW[p] === null ? null : r.exportW[p]! / 1000]);
      }
    }
    for (const [name, code, value] of cols) {
      const text = row[head.indexOf(name)];
      const clean = /^\d+(\.\d+)?$/.test(text);
      if (value === null) {
        if (clean) unreadableButClean.push([t, code]);
      } else if (clean && Math.abs(Number(text) - value) < 1e-9) agree++;
      else disagree.push(`${row[0]} ${name}: CSV ${JSON.stringify(text)}, parser ${value}`);
    }
  }
  return { agree, disagree, unreadableButClean };
}

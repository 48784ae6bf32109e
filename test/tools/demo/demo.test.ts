import assert from 'assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { runDemo } from '../../../tools/demo/demo';
import { main, MainIo } from '../../../tools/demo/main';
import { renderDemoReport, summaryLines } from '../../../tools/demo/report';

function captureIo(env: Record<string, string | undefined> = {}): MainIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l), env, stopSignal: new Promise(() => undefined) };
}

describe('tools/demo (npm start)', () => {
  it('balances two emulated chargers over HTTP on a real trace and keeps the meter under the fuse', async () => {
    const r = await runDemo({ durationS: 4 * 3600 });
    assert.strictEqual(r.durationS, 4 * 3600);
    assert.ok(r.unbalancedOverloadAmpSeconds > 10_000, 'the scenario really needs balancing');
    assert.ok(r.overloadAmpSeconds < 0.01 * r.unbalancedOverloadAmpSeconds, `overload ${r.overloadAmpSeconds} A·s`);
    assert.strictEqual(r.chargers.length, 2);
    for (const c of r.chargers) {
      assert.ok(c.energyKWh > 1, `${c.name} charged ${c.energyKWh} kWh`);
      assert.ok(c.writes > 0 && c.writes < 100, `${c.name} writes ${c.writes}`);
    }
    // both cars share L3: neither is starved; the go-e (local, cut within seconds) may take the amps the
    // Charge Amps (cloud, ~20 s to act) is not raised into
    const last = r.series.simS.length - 1;
    const [goeId, caId] = r.chargers.map((c) => c.id);
    const [goeA, caA] = [r.series.allowedA[goeId][last], r.series.allowedA[caId][last]];
    assert.ok(caA >= 6 && goeA >= caA && goeA - caA <= 3, `go-e ${goeA} A, Charge Amps ${caA} A`);
    assert.ok(r.events.some((e) => e.type === 'reduced'));
    // the figures the report's summary is made of
    assert.strictEqual(r.fuse.unbalanced.overloadAmpSeconds, r.unbalancedOverloadAmpSeconds);
    assert.ok(r.fuse.unbalanced.overS > 3600 && r.fuse.unbalanced.tripAtS !== null, 'unbalanced, the fuse would trip');
    assert.ok(r.fuse.balanced.overS <= 10 && r.fuse.balanced.tripStress < 0.05, `balanced: ${r.fuse.balanced.overS} s over, stress ${r.fuse.balanced.tripStress}`);
    assert.ok(r.energyKWh <= r.possibleEnergyKWh * 1.01 && r.energyKWh > 0.7 * r.possibleEnergyKWh, `${r.energyKWh} of ${r.possibleEnergyKWh} kWh`);
    assert.ok(r.possibleEnergyKWh < r.fullSpeedEnergyKWh);
    assert.ok(r.events.every((e) => e.chargerId === undefined || r.chargers.some((c) => c.id === e.chargerId)));
    const html = renderDemoReport(r);
    assert.strictEqual((html.match(/<figure class="chart-block"/g) ?? []).length, 5);
    assert.match(html, /<h3>Phase L3<\/h3>/);
    assert.ok(summaryLines(r).some((l) => /^- Main fuse: /.test(l)));
  });

  it('writes the report and a summary, and ends by itself', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-'));
    const io = captureIo();
    assert.strictEqual(await main(['--duration', '600', '--out', out, '--fuse', '20'], io), 0);
    assert.ok(fs.existsSync(path.join(out, 'demo-report.html')));
    assert.ok(io.lines.some((l) => /main fuse 20 A/.test(l)));
    assert.ok(io.lines.some((l) => /^\[100%\]/.test(l)));
    assert.deepStrictEqual(io.errors, []);
  });

  it('answers bad flags with one line and exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--fuse', 'abc'], /--fuse: expected a number/],
      [['--fuse', '3'], /--fuse: expected the main fuse in A from 6 to 100/],
      [['--bogus'], /--bogus: unknown flag/],
      [['--duration', '-5'], /--duration/],
      [['--trace', '/nonexistent/trace.csv'], /trace\.csv/],
      [['--meter', 'http://x'], /--meter: expected homewizard:\/\/HOST/],
      [['--meter', 'homewizard://127.0.0.1'], /--goe: name at least one charger/],
      [['--meter', 'homewizard://127.0.0.1', '--chargeamps'], /^error: credentials: CHARGEAMPS_EMAIL is not set; set it in the environment \(or run in a terminal to be asked\)$/],
    ];
    for (const [argv, re] of cases) {
      const io = captureIo();
      const code = await main(argv, io);
      assert.strictEqual(code, 2, `${argv.join(' ')} → ${code} ${io.errors.join('|')}`);
      assert.strictEqual(io.errors.length, 1, argv.join(' '));
      assert.match(io.errors[0], re);
      assert.ok(!/\n|at .*\(/.test(io.errors[0]), 'no stack trace');
    }
  });

  it('checks --out before the run: a file there is one line and exit 2, at once', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-out-'));
    const file = path.join(dir, 'report.html');
    fs.writeFileSync(file, 'not a directory');
    const cases: [string, RegExp][] = [
      [file, /^error: --out: ".*report\.html" is a file; name a directory \(the report is written into it as demo-report\.html\)$/],
      [path.join(file, 'sub'), /^error: --out: cannot create the directory ".*report\.html\/sub" \((ENOTDIR|EEXIST)\); name a directory you can write to$/],
    ];
    for (const [out, re] of cases) {
      const io = captureIo();
      const started = Date.now();
      assert.strictEqual(await main(['--out', out], io), 2, io.errors.join('|'));
      assert.ok(Date.now() - started < 1000, 'refused before the simulation');
      assert.deepStrictEqual(io.lines, [], 'nothing ran');
      assert.strictEqual(io.errors.length, 1);
      assert.match(io.errors[0], re);
    }
    assert.strictEqual(fs.readFileSync(file, 'utf8'), 'not a directory');
  });

  it('--help lists every flag of the demo and live mode', async () => {
    const io = captureIo();
    assert.strictEqual(await main(['--help'], io), 0);
    const text = io.lines.join('\n');
    assert.match(text, /^usage: npm start -- \[flags\]/);
    for (const flag of ['--fuse A', '--trace FILE', '--duration S', '--out DIR', '--meter homewizard://HOST', '--goe HOST', '--chargeamps', '--chargeamps-base-url URL', '--help']) {
      assert.match(text, new RegExp(`^  ${flag.replace(/[/]/g, '\\/')} +\\S`, 'm'), flag);
    }
    assert.doesNotMatch(text, /--(password|api-key|token|email)\b/);
    assert.deepStrictEqual(io.errors, []);
  });
});

import assert from 'assert';
import { execFile } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import os from 'os';
import path from 'path';
import { POLICY_NAMES } from '../../../tools/sim/policies';
import { ROOT, run } from './runCli';

const TRACE = path.join(ROOT, 'test', 'fixtures', 'traces', 'nl_iskra_1s_9min.csv');
const RESULT_KEYS = [
  'policy',
  'overloadAmpSeconds',
  'secondsOverFuse',
  'maxOverloadA',
  'energyKWh',
  'energyRatio',
  'chargerWrites',
  'writesPerHour',
  'pauses',
  'durationHours',
  'tripStressMcbC',
  'tripStressGg',
  'startOverloadAmpSeconds',
  'secondsPaused',
];

describe('tools/sim/cli', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'simcli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--json prints exactly the scenario and one result per policy', () => {
    const r = run(['--trace', TRACE, '--fuse', '16', '--json']);
    assert.strictEqual(r.code, 0, r.err.join('\n'));
    assert.strictEqual(r.out.length, 1);
    const doc = JSON.parse(r.out[0]);
    assert.deepStrictEqual(Object.keys(doc), ['scenario', 'results']);
    assert.strictEqual(doc.scenario.fuseA, 16);
    assert.deepStrictEqual(doc.results.map((x: { policy: string }) => x.policy), [...POLICY_NAMES]);
    for (const res of doc.results) assert.deepStrictEqual(Object.keys(res), RESULT_KEYS);
    const ideal = doc.results.find((x: { policy: string }) => x.policy === 'ideal');
    assert.strictEqual(ideal.overloadAmpSeconds, 0);
    assert.strictEqual(ideal.tripStressMcbC, 0);
    assert.strictEqual(doc.scenario.plugInAfterS, 60, 'the charger stands 60 s without a car by default, as in the bench');
    const none = doc.results.find((x: { policy: string }) => x.policy === 'none');
    assert.ok(none.tripStressMcbC > 0 && none.tripStressGg >= 0, JSON.stringify(none));
  });

  it('takes whole-amp margins and the time without a car', () => {
    const r = run(['--trace', TRACE, '--fuse', '16', '--margin', '0', '--plug-in-after', '0', '--policy', 'balancer', '--json']);
    assert.strictEqual(r.code, 0, r.err.join('\n'));
    const doc = JSON.parse(r.out[0]);
    assert.deepStrictEqual([doc.scenario.marginA, doc.scenario.plugInAfterS], [0, 0]);
  });

  it('prints a readable table and writes an SVG plot', () => {
    const svg = path.join(dir, 'run.svg');
    const r = run(['--trace', TRACE, '--fuse', '20', '--car-phases', '1', '--car-phase', 'L3', '--policy', 'reactive-oracle', '--charger', 'chargeamps', '--meter-interval', '10', '--plot', svg]);
    assert.strictEqual(r.code, 0, r.err.join('\n'));
    const lines = r.out.join('\n').split('\n');
    assert.match(lines[0], /carPhases=1 carPhase=L3 .*charger=chargeamps chargerLatencyS=15/);
    assert.match(lines[1], /^policy\s+overload A·s\s+s over fuse\s+max over A\s+trip MCB C\s+trip gG\s+first 120 s A·s/);
    assert.match(lines[3], /^reactive-oracle\s/);
    assert.strictEqual(lines.length, 5);
    const text = readFileSync(svg, 'utf8');
    assert.match(text, /^<svg /);
    assert.match(text, /fuse 20 A/);
  });

  const bad: [string, string[], RegExp][] = [
    ['unknown flag', ['--trace', TRACE, '--fuse', '16', '--speed', '2'], /^error: --speed: unknown flag/],
    ['unknown policy', ['--trace', TRACE, '--fuse', '16', '--policy', 'magic'], /^error: --policy: unknown policy "magic"/],
    ['negative fuse', ['--trace', TRACE, '--fuse', '-16'], /^error: --fuse: must be a positive current/],
    ['missing fuse', ['--trace', TRACE], /^error: --fuse: is required/],
    ['bad phases', ['--trace', TRACE, '--fuse', '16', '--car-phases', '2'], /^error: --car-phases: must be 1 or 3/],
    ['bad charger', ['--trace', TRACE, '--fuse', '16', '--charger', 'tesla'], /^error: --charger: must be goe or chargeamps/],
    ['fractional margin', ['--trace', TRACE, '--fuse', '16', '--margin', '0.5'], /^error: --margin: must be whole amps \(0, 1, 2, …\), got 0\.5: .*so 0\.5 A acts as 1 A$/],
    ['negative margin', ['--trace', TRACE, '--fuse', '16', '--margin', '-1'], /^error: --margin: must be ≥ 0/],
    ['negative plug-in time', ['--trace', TRACE, '--fuse', '16', '--plug-in-after', '-5'], /^error: --plug-in-after: must be ≥ 0/],
    ['missing file', ['--trace', '/nonexistent.csv', '--fuse', '16'], /^error: \/nonexistent\.csv: file not found/],
  ];
  for (const [what, argv, re] of bad) {
    it(`exits 2 with one line for ${what}`, () => {
      const r = run(argv);
      assert.strictEqual(r.code, 2);
      assert.deepStrictEqual(r.out, []);
      assert.strictEqual(r.err.length, 1);
      assert.match(r.err[0], re);
    });
  }

  it('exits 2 naming file, line and field for a bad trace', () => {
    const cases: [string, RegExp][] = [
      ['time,l1,l2\n0,1,2\n', /:1: missing column "l3"/],
      ['time,l1,l2,l3\n0,1,2,3\n1,1,2,oops\n', /:3 l3: "oops" is not a number/],
      ['time,l1,l2,l3\n10,1,2,3\n9,1,2,3\n', /:3 time: time goes backwards/],
      ['', /: empty file/],
    ];
    cases.forEach(([text, re], i) => {
      const file = path.join(dir, `bad${i}.csv`);
      writeFileSync(file, text);
      const r = run(['--trace', file, '--fuse', '16']);
      assert.strictEqual(r.code, 2);
      assert.match(r.err[0], re);
      assert.ok(r.err[0].includes(file));
    });
  });

  it('runs as `tsx tools/sim/cli.ts` with the documented exit codes', function (done) {
    this.timeout(30_000);
    const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
    execFile(tsx, ['tools/sim/cli.ts', '--trace', TRACE, '--fuse', '16', '--policy', 'none', '--json'], { cwd: ROOT }, (err, stdout) => {
      assert.ifError(err);
      assert.strictEqual(JSON.parse(stdout).results[0].policy, 'none');
      execFile(tsx, ['tools/sim/cli.ts', '--fuse', 'x'], { cwd: ROOT }, (err2, _out, stderr) => {
        assert.strictEqual(err2?.code, 2);
        assert.strictEqual(stderr.trim().split('\n').length, 1);
        done();
      });
    });
  });
});

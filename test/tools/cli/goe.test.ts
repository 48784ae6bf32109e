import assert from 'assert';
import { ManualClock } from '../../../lib/clock';
import { runCli, CliIo } from '../../../tools/cli/main';
import { GoeEmulator } from '../../../tools/emulators/goe/emulator';

function captured(env: Record<string, string> = {}): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), env };
}

describe('tools/cli/goe', () => {
  let emu: GoeEmulator;
  afterEach(async () => emu?.stop());

  it('status prints a readable summary and --json the normalised status', async () => {
    emu = new GoeEmulator({ profile: 'v1-042', clock: new ManualClock(), startDelayMs: 0 });
    await emu.start();
    emu.plugIn({ maxCurrentA: 16, phases: 3 });
    const io = captured();
    assert.strictEqual(await runCli(['goe', 'status', '--host', emu.url], io), 0);
    const text = io.stdout.join('\n');
    assert.match(text, new RegExp(`serial ${emu.serial}, firmware 042.0, API v1`));
    assert.match(text, /current limit: 16 A/);
    const json = captured();
    assert.strictEqual(await runCli(['goe', 'status', '--host', emu.url.replace('http://', ''), '--api', 'v1', '--json'], json), 0);
    const status = JSON.parse(json.stdout.join('\n'));
    assert.strictEqual(status.brand, 'goe');
    assert.strictEqual(status.id, emu.serial);
    assert.strictEqual(status.currentLimitA, 16);
    assert.strictEqual(status.phases.length, 3);
  });

  it('set-current writes the limit; bad input exits 2 before any request, peer failures exit 1 with one line', async () => {
    emu = new GoeEmulator({ profile: 'v2-055', clock: new ManualClock(), amaA: 16 });
    await emu.start();
    const io = captured();
    assert.strictEqual(await runCli(['goe', 'set-current', '--host', emu.url, '--amps', '10'], io), 0);
    assert.match(io.stdout.join('\n'), /current limit now 10 A/);
    assert.strictEqual(emu.ampPersisted, 10);

    const cases: [string[], number, RegExp][] = [
      [['goe', 'set-current', '--host', emu.url, '--amps', '40'], 2, /current: 40 A is outside 6–32 A/],
      [['goe', 'set-current', '--host', emu.url, '--amps', '20'], 2, /above 16 A allowed by the charger maximum/],
      [['goe', 'set-current', '--host', emu.url], 2, /--amps: is required/],
      [['goe', 'status'], 2, /--host: is required/],
      [['goe', 'status', '--host', emu.url, '--api', 'v9'], 2, /api: "v9" is not one of/],
      [['goe', 'status', '--hots', 'x'], 2, /--hots: unknown flag/],
      [['goe', 'nope'], 2, /unknown command "nope"/],
      [['goe', 'cloud-status', '--serial', '1'], 2, /^error: credentials: GOE_CLOUD_TOKEN is not set; set it in the environment \(or run in a terminal to be asked\)$/],
      [['goe', 'set-current', '--host', emu.url, '--amps', '10.5'], 2, /^error: --amps: expected a whole number, got 10\.5$/],
      [['goe', 'set-current', '--host', emu.url, '--amps', '0'], 2, /--amps: 0 A is below the 6 A a charger can offer; to stop charging: npm run --silent cli -- goe pause --host http/],
    ];
    for (const [argv, code, pattern] of cases) {
      const e = captured();
      assert.strictEqual(await runCli(argv, e), code, argv.join(' '));
      assert.strictEqual(e.stderr.length, 1, argv.join(' '));
      assert.match(e.stderr[0], pattern);
    }
    assert.strictEqual(emu.requests.filter((r) => r.path === '/api/set').length, 1);

    emu.faults.garbage = true;
    const bad = captured();
    assert.strictEqual(await runCli(['goe', 'status', '--host', emu.url], bad), 1);
    assert.match(bad.stderr[0], /^error: .*does not answer like a go-e charger/);
    emu.faults.garbage = false;
    emu.faults.delayMs = 500;
    const slow = captured();
    assert.strictEqual(await runCli(['goe', 'status', '--host', emu.url, '--timeout', '100'], slow), 1);
    assert.match(slow.stderr[0], /no answer within 100 ms/);
    const port = emu.url.split(':').pop();
    await emu.stop();
    const down = captured();
    assert.strictEqual(await runCli(['goe', 'status', '--host', `127.0.0.1:${port}`], down), 1);
    assert.match(down.stderr[0], /cannot connect/);
  });

  it('cloud-status reads through the cloud and never prints the token', async () => {
    const token = 'very-secret-cloud-token';
    emu = new GoeEmulator({ profile: 'v2-055', clock: new ManualClock(), cloudToken: token });
    await emu.start();
    const io = captured({ GOE_CLOUD_TOKEN: token });
    assert.strictEqual(await runCli(['goe', 'cloud-status', '--serial', emu.serial, '--base-url', emu.url, '--json'], io), 0);
    assert.strictEqual(JSON.parse(io.stdout.join('\n')).api, 'cloud-v2');
    const wrong = captured({ GOE_CLOUD_TOKEN: 'other-token-999' });
    assert.strictEqual(await runCli(['goe', 'cloud-status', '--serial', emu.serial, '--base-url', emu.url], wrong), 1);
    assert.match(wrong.stderr[0], /token was rejected/);
    // no token in the environment: a terminal is asked (without echo), never a flag suggested
    const asked: { question: string; secret: boolean }[] = [];
    const prompted: CliIo & { stdout: string[]; stderr: string[] } = {
      ...captured(),
      prompt: async (question, opts) => (asked.push({ question, ...opts }), token),
    };
    prompted.out = (l) => prompted.stdout.push(l);
    prompted.err = (l) => prompted.stderr.push(l);
    assert.strictEqual(await runCli(['goe', 'cloud-status', '--serial', emu.serial, '--base-url', emu.url, '--json'], prompted), 0);
    assert.deepStrictEqual(asked, [{ question: 'go-e cloud API token: ', secret: true }]);
    assert.strictEqual(JSON.parse(prompted.stdout.join('\n')).api, 'cloud-v2');
    // a token given as a flag is refused before any request, and not echoed
    const before = emu.requests.length;
    for (const argv of [['--token', 'flag-token-123'], ['--token=flag-token-123']]) {
      const flag = captured({ GOE_CLOUD_TOKEN: token });
      assert.strictEqual(await runCli(['goe', 'cloud-status', '--serial', emu.serial, '--base-url', emu.url, ...argv], flag), 2);
      assert.deepStrictEqual(flag.stderr, ['error: credentials: --token is not taken as a flag (it would stay in the shell history); set GOE_CLOUD_TOKEN, or run in a terminal to be asked']);
    }
    assert.strictEqual(emu.requests.length, before);
    const all = [...io.stdout, ...io.stderr, ...wrong.stderr, ...prompted.stdout, ...prompted.stderr];
    assert.ok(!all.some((l) => l.includes(token) || l.includes('other-token-999')));
  });

  for (const profile of ['v1-042', 'v2-055'] as const) {
    it(`pause and resume (${profile}): charging not allowed, then allowed again at the same limit`, async () => {
      emu = new GoeEmulator({ profile, clock: new ManualClock(), startDelayMs: 0 });
      await emu.start();
      emu.plugIn({ maxCurrentA: 16, phases: 3 });
      const paused = captured();
      assert.strictEqual(await runCli(['goe', 'pause', '--host', emu.url], paused), 0, paused.stderr.join('|'));
      assert.match(paused.stdout.join('\n'), /: paused \(charging not allowed\)$/);
      const status = captured();
      await runCli(['goe', 'status', '--host', emu.url, '--json'], status);
      assert.strictEqual(JSON.parse(status.stdout.join('\n')).chargingAllowed, false);
      const resumed = captured();
      assert.strictEqual(await runCli(['goe', 'resume', '--host', emu.url], resumed), 0, resumed.stderr.join('|'));
      assert.match(resumed.stdout.join('\n'), /: charging allowed at 16 A$/);
      assert.strictEqual(emu.requests.filter((r) => r.path === (profile === 'v1-042' ? '/mqtt' : '/api/set')).length, 2);
    });
  }
});

import assert from 'assert';
import { ManualClock } from '../../../lib/clock';
import { HttpTransport, nodeFetchTransport } from '../../../lib/http';
import { CliIo, runCli } from '../../../tools/cli/main';
import { makeCommands } from '../../../tools/cli/chargeamps';
import { AURA_ID, ChargeAmpsEmulator, EMULATOR_API_KEY, EMULATOR_EMAIL, EMULATOR_PASSWORD, HALO_ID } from '../../../tools/emulators/chargeamps/emulator';
import { drive } from '../../lib/chargeamps/helpers';

const ENV = { CHARGEAMPS_EMAIL: EMULATOR_EMAIL, CHARGEAMPS_PASSWORD: EMULATOR_PASSWORD, CHARGEAMPS_API_KEY: EMULATOR_API_KEY };

function captured(env: Record<string, string> = ENV): CliIo & { stdout: string[]; stderr: string[]; all(): string } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), env, all: () => [...stdout, ...stderr].join('\n') };
}

describe('tools/cli/chargeamps', () => {
  let emu: ChargeAmpsEmulator;
  let base: string;
  const outputs: string[] = [];
  beforeEach(async () => {
    emu = new ChargeAmpsEmulator();
    base = await emu.start();
  });
  afterEach(() => emu.stop());
  const run = async (argv: string[], io = captured()) => {
    const code = await runCli(['chargeamps', ...argv, '--base-url', base], io);
    outputs.push(io.all());
    return { code, io };
  };

  it('status --json prints one normalised entry per connector', async () => {
    emu.plugIn(AURA_ID, 2, { phases: 1, maxCurrentA: 10 });
    const { code, io } = await run(['status', '--json']);
    assert.strictEqual(code, 0);
    const list = JSON.parse(io.stdout.join('\n'));
    assert.deepStrictEqual(list.map((s: { id: string }) => s.id), [`${HALO_ID}:1`, `${HALO_ID}:2`, `${AURA_ID}:1`, `${AURA_ID}:2`]);
    const aura2 = list[3];
    assert.deepStrictEqual([aura2.brand, aura2.api, aura2.connector, aura2.state, aura2.powerW], ['chargeamps', 'eapi', 2, 'charging', 2300]);
    const text = await run(['status']);
    assert.match(text.io.stdout.join('\n'), /AURA_037142M Type 2 \(2\): charging, limit 32 A, 2300 W, L1\/L2\/L3 10\.0\/0\.0\/0\.0 A/);
    assert.strictEqual(emu.counters.logins, 2, 'one login per run');
  });

  it('set-current writes by read-modify-write and reports the new limit', async () => {
    const { code, io } = await run(['set-current', '--chargepoint', AURA_ID, '--connector', '1', '--amps', '10']);
    assert.strictEqual(code, 0, io.all());
    assert.match(io.stdout[0], /current limit of AURA_037142M Type 2 \(1\) \(2106037142M:1\) now 10 A/);
    assert.strictEqual(emu.snapshot(AURA_ID, 1).maxCurrent, 10);
  });

  it('usage errors exit 2 with one line; range errors before any write', async () => {
    const cases: [string[], RegExp][] = [
      [['set-current', '--chargepoint', HALO_ID, '--connector', '1', '--amps', '4'], /current limit: expected 0 or 6 to 32 A, got 4 A/],
      [['set-current', '--chargepoint', HALO_ID, '--amps', '10'], /--connector: is required/],
      [['set-current', '--chargepoint', HALO_ID, '--connector', '0', '--amps', '10'], /--connector: expected a connector number/],
      [['watch', '--count', '0'], /--count: expected a whole number/],
      [['status', '--bogus'], /--bogus: unknown flag/],
      [['set-current', '--chargepoint', HALO_ID, '--connector', '1', '--amps', '10.5'], /^error: --amps: expected a whole number, got 10\.5$/],
      [['set-current', '--chargepoint', HALO_ID, '--connector', '1.5', '--amps', '10'], /--connector: expected a whole number, got 1\.5/],
    ];
    for (const [argv, re] of cases) {
      const { code, io } = await run(argv);
      assert.strictEqual(code, 2, argv.join(' '));
      assert.strictEqual(io.stderr.length, 1);
      assert.match(io.stderr[0], re);
    }
    assert.strictEqual(emu.counters.puts, 0);
  });

  it('missing credentials name the environment variable, never a flag (exit 2)', async () => {
    const { code, io } = await run(['status'], captured({ CHARGEAMPS_EMAIL: EMULATOR_EMAIL }));
    assert.strictEqual(code, 2);
    assert.deepStrictEqual(io.stderr, ['error: credentials: CHARGEAMPS_PASSWORD is not set; set it in the environment (or run in a terminal to be asked)']);
    assert.strictEqual(emu.counters.logins, 0);
  });

  it('credentials given as flags are refused before any request, and not echoed', async () => {
    for (const [flag, env] of [['--password', 'CHARGEAMPS_PASSWORD'], ['--api-key', 'CHARGEAMPS_API_KEY'], ['--email', 'CHARGEAMPS_EMAIL']]) {
      for (const argv of [[flag, 'Fl4g-Secret!'], [`${flag}=Fl4g-Secret!`]]) {
        const { code, io } = await run(['status', ...argv]);
        assert.strictEqual(code, 2);
        assert.deepStrictEqual(io.stderr, [`error: credentials: ${flag} is not taken as a flag (it would stay in the shell history); set ${env}, or run in a terminal to be asked`]);
        assert.ok(!io.all().includes('Fl4g-Secret!'));
      }
    }
    assert.strictEqual(emu.counters.logins, 0);
  });

  it('in a terminal, missing credentials are asked for (password and API key without echo)', async () => {
    const asked: string[] = [];
    const answers: Record<string, string> = { 'Charge Amps password: ': EMULATOR_PASSWORD, 'Charge Amps API key: ': EMULATOR_API_KEY };
    const io: CliIo & { stdout: string[]; stderr: string[]; all(): string } = {
      ...captured({ CHARGEAMPS_EMAIL: EMULATOR_EMAIL }),
      prompt: async (question, { secret }) => (asked.push(`${question}${secret ? '(secret)' : ''}`), answers[question] ?? null),
    };
    const stdout: string[] = [];
    io.out = (l) => stdout.push(l);
    const { code } = await run(['status', '--json'], io);
    assert.strictEqual(code, 0, io.all());
    assert.deepStrictEqual(asked, ['Charge Amps password: (secret)', 'Charge Amps API key: (secret)']);
    assert.strictEqual(JSON.parse(stdout.join('\n')).length, 4);
    const nobody: CliIo = { ...captured({}), prompt: async () => null };
    const refused = await run(['status'], nobody as ReturnType<typeof captured>);
    assert.strictEqual(refused.code, 2);
  });

  it('wrong credentials: one line "authentication failed", exit 1, password not echoed', async () => {
    const wrong = 'Wr0ng-Passw0rd!';
    for (const io of [captured({ ...ENV, CHARGEAMPS_PASSWORD: wrong }), captured({ ...ENV, CHARGEAMPS_API_KEY: 'not-the-key-42' })]) {
      const { code } = await run(['status'], io);
      assert.strictEqual(code, 1);
      assert.deepStrictEqual(io.stdout, []);
      assert.strictEqual(io.stderr.length, 1);
      assert.match(io.stderr[0], /^error: authentication failed/);
      assert.ok(!io.all().includes(wrong) && !io.all().includes('not-the-key-42'));
    }
  });

  it('watch polls with one session, clamps a short interval and keeps going after a failed poll', async () => {
    await emu.stop();
    const clock = new ManualClock();
    emu = new ChargeAmpsEmulator({ clock, tokenLifetimeS: 60 });
    base = await emu.start();
    emu.plugIn(HALO_ID, 1);
    let statusCalls = 0;
    const transport: HttpTransport = async (req) => {
      if (req.url.endsWith('/status') && ++statusCalls === 3) return { status: 503, headers: {}, text: '' };
      return nodeFetchTransport(req);
    };
    const { watch } = makeCommands({ clock, transport });
    const io = captured();
    const p = watch.run(['--base-url', base, '--interval', '5', '--count', '4', '--json'], io);
    const code = await drive(clock, p, 5000);
    outputs.push(io.all());
    assert.strictEqual(code, 0);
    assert.match(io.stderr[0], /poll interval 5 s is below the 15 s minimum/);
    assert.match(io.stderr[1], /poll failed: GET chargepoints\/\w+\/status: Charge Amps cloud error \(HTTP 503\)/);
    const lines = io.stdout.map((l) => JSON.parse(l));
    assert.strictEqual(lines.length, 3);
    assert.ok(lines.every((l) => l.statuses.length === 4));
    assert.ok(Date.parse(lines[1].time) - Date.parse(lines[0].time) >= 15_000);
    assert.strictEqual(emu.counters.logins, 1);
    assert.strictEqual(emu.counters.evictions, 0);
  });

  it('no secret appears in any output of these tests', () => {
    const text = outputs.join('\n');
    assert.ok(outputs.length > 5);
    for (const secret of [EMULATOR_PASSWORD, EMULATOR_API_KEY, 'Wr0ng-Passw0rd!', 'eyJ']) assert.ok(!text.includes(secret), secret);
  });
});

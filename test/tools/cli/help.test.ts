import assert from 'assert';
import { commands as chargeAmpsCommands } from '../../../tools/cli/chargeamps';
import { commands as goeCommands } from '../../../tools/cli/goe';
import { CliIo, runCli } from '../../../tools/cli/main';

function captured(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), env: {} };
}

async function help(argv: string[]): Promise<string> {
  const io = captured();
  assert.strictEqual(await runCli(argv, io), 0, argv.join(' '));
  assert.deepStrictEqual(io.stderr, [], argv.join(' '));
  return io.stdout.join('\n');
}

describe('tools/cli --help', () => {
  it('lists the brands, and each brand its commands', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const text = await help(argv);
      assert.match(text, /^usage: npm run --silent cli -- <brand> <command> \[flags\]/);
      assert.match(text, /^ {2}goe +a go-e charger/m);
      assert.match(text, /^ {2}chargeamps +Charge Amps chargers/m);
    }
    for (const [brand, commands] of [['goe', goeCommands], ['chargeamps', chargeAmpsCommands]] as const) {
      const text = await help([brand, '--help']);
      for (const name of Object.keys(commands)) assert.match(text, new RegExp(`^ {2}${name} +\\S`, 'm'), `${brand} ${name}`);
    }
    assert.deepStrictEqual(Object.keys(goeCommands), ['status', 'set-current', 'pause', 'resume', 'cloud-status']);
  });

  it('every command lists each of its flags with what it means, and no credential flag', async () => {
    for (const [brand, commands] of [['goe', goeCommands], ['chargeamps', chargeAmpsCommands]] as const) {
      for (const [name, command] of Object.entries(commands)) {
        for (const where of [['--help'], ['--host', 'x', '--help'], ['-h']]) {
          const text = await help([brand, name, ...where]);
          assert.match(text, new RegExp(`^usage: npm run --silent cli -- ${brand} ${name}`), `${brand} ${name}`);
          for (const [flag, doc] of Object.entries(command.flags)) {
            const line = text.split('\n').find((l) => l.startsWith(`  --${flag} `) || l === `  --${flag}`);
            assert.ok(line, `${brand} ${name}: --${flag} listed`);
            assert.ok(line.includes(doc.help), `${brand} ${name} --${flag}: ${line}`);
            if (doc.required) assert.ok(text.split('\n')[0].includes(`--${flag}`), `${brand} ${name}: required --${flag} in the usage line`);
          }
          assert.match(text, /^ {2}--help +show this help$/m);
          assert.doesNotMatch(text, /--(password|token|api-key|email)\b/, `${brand} ${name} suggests no credential flag`);
        }
      }
    }
    const cloud = await help(['goe', 'cloud-status', '--help']);
    assert.match(cloud, /^ {2}GOE_CLOUD_TOKEN +the cloud API token/m);
    const ca = await help(['chargeamps', 'status', '--help']);
    for (const v of ['CHARGEAMPS_EMAIL', 'CHARGEAMPS_PASSWORD', 'CHARGEAMPS_API_KEY']) assert.match(ca, new RegExp(`^ {2}${v} `, 'm'));
  });

  it('an unknown brand or command says where the list is (exit 2)', async () => {
    for (const argv of [['nope'], ['goe', 'nope'], []]) {
      const io = captured();
      assert.strictEqual(await runCli(argv, io), 2);
      assert.strictEqual(io.stderr.length, 1);
      assert.match(io.stderr[0], /--help lists them$/);
    }
  });
});

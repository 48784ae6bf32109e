/**
 * Secrets scan: representative flows with distinctive secrets (Charge Amps pairing with a wrong and a
 * right password, token refresh, a password changed elsewhere, the CLI with bad and good credentials,
 * the go-e cloud with a wrong and a right token, the app balancing), then EVERYTHING that was logged or
 * shown is scanned: the stand-in's raw log lines (before its own redaction), device unavailable/warning
 * messages, thrown error messages, CLI output, flow trigger tokens, Insights titles, realtime payloads,
 * app and device settings. No password, API key, cloud token or session token may appear.
 */
import assert from 'assert';
import PhaseGuardApp from '../../app';
import ChargeAmpsDevice from '../../drivers/chargeamps/device';
import ChargeAmpsDriver from '../../drivers/chargeamps/driver';
import { ChargeAmpsEmulator, EMULATOR_EMAIL } from '../../tools/emulators/chargeamps/emulator';
import { runCli, type CliIo } from '../../tools/cli/main';
import { describeError } from '../../lib/errors';
import { GoeClient } from '../../lib/goe/client';
import { GoeEmulator } from '../../tools/emulators/goe/emulator';
import { createHomey, standin, startApp, startDriver, startPairSession, teardown, type StandinHomey } from '../homey-standin';
import { watchProcess } from './rig';

const SECRET = {
  password: 'pw-Kx9-SECRET-PASSWORD-7141',
  wrongPassword: 'pw-WRONG-SECRET-8812',
  changedPassword: 'pw-CHANGED-SECRET-5520',
  apiKey: 'ak-SECRET-APIKEY-4f2e9b',
  goeToken: 'goe-SECRET-TOKEN-c0ffee42',
  goeWrongToken: 'goe-WRONG-SECRET-dead01',
};

describe('faults: secrets never reach logs, errors, flows, Insights or realtime', () => {
  let homey: StandinHomey;
  let ca: ChargeAmpsEmulator;
  let goe: GoeEmulator;
  let watch: ReturnType<typeof watchProcess>;
  const shown: string[] = [];

  before(async () => {
    watch = watchProcess();
    ca = new ChargeAmpsEmulator({ apiKey: SECRET.apiKey, users: [{ email: EMULATOR_EMAIL, password: SECRET.password }] });
    await ca.start();
    goe = new GoeEmulator({ cloudToken: SECRET.goeToken, startDelayMs: 0 });
    await goe.start();
  });

  after(async () => {
    if (homey) await teardown(homey);
    await ca.stop();
    await goe.stop();
    watch.stop();
  });

  const thrown = async (p: Promise<unknown>): Promise<void> => {
    try {
      await p;
    } catch (err) {
      shown.push(describeError(err), (err as Error).message ?? '', String((err as Error).stack ?? '').split('\n')[0]);
    }
  };

  function cliIo(env: Record<string, string> = {}): CliIo {
    return { out: (l) => shown.push(l), err: (l) => shown.push(l), env };
  }

  it('runs pairing, refresh, a changed password and the app with the Charge Amps emulator', async () => {
    homey = createHomey();
    const app = await startApp(PhaseGuardApp, homey);
    const driver = await startDriver(ChargeAmpsDriver, ChargeAmpsDevice, { homey, id: 'chargeamps' });
    const session = startPairSession(driver);
    await session.call('api_key', { apiKey: SECRET.apiKey, baseUrl: ca.baseUrl });
    await thrown(session.call('login', { username: EMULATOR_EMAIL, password: SECRET.wrongPassword }));
    assert.strictEqual(await session.call('login', { username: EMULATOR_EMAIL, password: SECRET.password }), true);
    const list = (await session.call('list_devices')) as unknown[];
    const devices: ChargeAmpsDevice[] = [];
    for (const entry of list.slice(0, 2)) devices.push(await session.addDevice<ChargeAmpsDevice>(entry));
    await session.close();
    for (const d of devices) await d.poll();
    await app.tick();
    ca.revokeTokens(); // 401 → refresh
    for (const d of devices) await d.poll();
    await app.tick();
    ca.setPassword(EMULATOR_EMAIL, SECRET.changedPassword);
    ca.revokeTokens(EMULATOR_EMAIL, true); // refresh fails, login refused
    for (const d of devices) await d.poll();
    await app.tick();
    assert.ok(devices.every((d) => !d.getAvailable()), 'the refused login made the devices unavailable');
    await thrown(homey.flow.runAction('chargeamps_set_current_limit', { device: devices[0], current: 10 }));
    for (const d of devices) shown.push(standin(d).unavailableMessage ?? '', standin(d).warning ?? '', JSON.stringify(d.getSettings()));
    watch.check();
  });

  it('runs the CLI with bad and good credentials, and the go-e cloud with a bad and a good token', async () => {
    const base = ['--base-url', ca.baseUrl];
    // a credential given as a flag is refused (exit 2) without being echoed; from the environment it is used
    assert.strictEqual(await runCli(['chargeamps', 'status', ...base, '--password', SECRET.wrongPassword], cliIo()), 2);
    assert.strictEqual(await runCli(['chargeamps', 'status', ...base], cliIo({ CHARGEAMPS_EMAIL: EMULATOR_EMAIL, CHARGEAMPS_PASSWORD: SECRET.wrongPassword, CHARGEAMPS_API_KEY: SECRET.apiKey })), 1);
    assert.strictEqual(await runCli(['chargeamps', 'status', ...base], cliIo({ CHARGEAMPS_EMAIL: EMULATOR_EMAIL, CHARGEAMPS_PASSWORD: SECRET.changedPassword, CHARGEAMPS_API_KEY: SECRET.apiKey })), 0);
    const goeBase = ['--serial', goe.serial, '--base-url', goe.url, '--timeout', '2000'];
    assert.strictEqual(await runCli(['goe', 'cloud-status', ...goeBase, '--token', SECRET.goeWrongToken], cliIo()), 2);
    assert.strictEqual(await runCli(['goe', 'cloud-status', ...goeBase], cliIo({ GOE_CLOUD_TOKEN: SECRET.goeWrongToken })), 1);
    assert.strictEqual(await runCli(['goe', 'cloud-status', ...goeBase], cliIo({ GOE_CLOUD_TOKEN: SECRET.goeToken })), 0);
    goe.faults.cloudOffline = true;
    const client = new GoeClient({ kind: 'cloud', serial: goe.serial, token: SECRET.goeToken, baseUrl: goe.url }, { minGapMs: 0, timeoutMs: 2000 });
    await thrown(client.getSnapshot());
    await thrown(client.setCurrentLimit(10));
    goe.faults.cloudOffline = false;
    // the cloud v1 API carries the token in the query string
    const v1 = new GoeClient({ kind: 'cloud', serial: goe.serial, token: SECRET.goeWrongToken, baseUrl: goe.url, api: 'v1' }, { minGapMs: 0, timeoutMs: 2000 });
    await thrown(v1.getSnapshot());
    watch.check();
  });

  it('nothing logged or shown contains a secret', async () => {
    const sessionTokens = [...((ca as unknown as { tokens: Map<string, { access: string; refresh: string }[]> }).tokens.values())]
      .flat()
      .flatMap((t) => [t.access, t.refresh]);
    assert.ok(sessionTokens.length > 0, 'the emulator issued session tokens');
    const insights = await homey.insights.getLogs();
    const everything = [
      ...homey.logs.flatMap((l) => [l.raw, l.line]),
      ...shown,
      JSON.stringify(homey.flow.triggered.map((t) => t.tokens)),
      JSON.stringify(insights.map((l) => l.toJSON())),
      JSON.stringify(homey.api.realtimeEvents),
      JSON.stringify(homey.settings.getKeys().map((k) => [k, homey.settings.get(k)])),
      JSON.stringify(homey.notifications.sent),
    ].join('\n');
    assert.ok(everything.length > 1000, 'the scan saw real output');
    assert.match(everything, /authentication failed/, 'the failures were reported');
    for (const [name, value] of [...Object.entries(SECRET), ...sessionTokens.map((t, i) => [`session token ${i}`, t] as const)]) {
      assert.ok(!everything.includes(value), `${name} leaked`);
    }
    assert.doesNotMatch(everything, /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\./, 'a JWT leaked');
  });
});

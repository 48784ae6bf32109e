/**
 * Hostile input: oversized answers are refused (lib/http.ts `maxBytes`), ids a peer sends never become
 * a path, and bad CLI and flow arguments are refused with one line. Unit tests of each parser live
 * next to it (test/tools/cli/*, test/lib/goe/client.test.ts, test/app.test.ts); these are spot checks
 * of what those do not cover.
 */
import assert from 'assert';
import http from 'http';
import type { AddressInfo } from 'net';
import PhaseGuardApp from '../../app';
import { ChargeAmpsClient } from '../../lib/chargeamps/client';
import { ManualClock } from '../../lib/clock';
import { runCli } from '../../tools/cli/main';
import { PeerError } from '../../lib/errors';
import { GoeClient } from '../../lib/goe/client';
import { HttpRequest, nodeFetchTransport } from '../../lib/http';
import { createHomey, startApp, teardown, type StandinHomey } from '../homey-standin';
import { watchProcess } from './rig';

/** A server answering every request with `body` (200, JSON). */
async function serve(body: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const oneLine = (s: string): void => assert.ok(s.length > 0 && !s.includes('\n') && !/\s+at\s+\S+\s+\(/.test(s), `not one line: ${s}`);

describe('faults: hostile input', () => {
  let watch: ReturnType<typeof watchProcess>;
  beforeEach(() => {
    watch = watchProcess();
  });
  afterEach(() => {
    watch.check();
    watch.stop();
  });

  it('a go-e answer larger than 256 KiB is refused with one line', async () => {
    const huge = await serve(JSON.stringify({ sse: '012345', fwv: '60.3', car: 1, amp: 16, pad: 'x'.repeat(400 * 1024) }));
    try {
      const client = new GoeClient({ kind: 'local', host: huge.url, api: 'v2' }, { minGapMs: 0, timeoutMs: 2000 });
      await assert.rejects(client.getSnapshot(), (err: Error) => {
        assert.ok(err instanceof PeerError);
        assert.match(err.message, /answer larger than 262144 bytes refused/);
        oneLine(err.message);
        return true;
      });
    } finally {
      await huge.close();
    }
  });

  it('a Charge Amps answer larger than 1 MiB is refused with one line', async () => {
    const huge = await serve(JSON.stringify({ token: 'x', refreshToken: 'y', pad: 'x'.repeat(1100 * 1024) }));
    try {
      const client = new ChargeAmpsClient({ baseUrl: huge.url, credentials: { email: 'a@b.c', password: 'pw-hostile-1', apiKey: 'key-hostile-1' }, clock: new ManualClock(), transport: nodeFetchTransport, timeoutMs: 2000 });
      await assert.rejects(client.listChargePoints(), /answer larger than 1048576 bytes refused/);
    } finally {
      await huge.close();
    }
  });

  it('a charge point id from the cloud never becomes a path: it is one encoded URL segment', async () => {
    const urls: string[] = [];
    const transport = async (req: HttpRequest) => {
      urls.push(req.url);
      if (req.url.endsWith('/auth/login')) return { status: 200, headers: {}, text: JSON.stringify({ token: 'tok-hostile-12345', refreshToken: 'ref-hostile-12345' }) };
      return { status: 200, headers: {}, text: '{"id":"x","status":"Online","connectorStatuses":[]}' };
    };
    const client = new ChargeAmpsClient({ baseUrl: 'http://127.0.0.1:9', credentials: { email: 'a@b.c', password: 'pw-hostile-2', apiKey: 'key-hostile-2' }, clock: new ManualClock(), transport });
    await client.getStatus('../../auth/login?x=1#y');
    const last = new URL(urls[urls.length - 1]);
    assert.ok(!urls[urls.length - 1].includes('../'), urls[urls.length - 1]);
    assert.match(last.pathname, /\/chargepoints\/..%2F..%2Fauth%2Flogin%3Fx%3D1%23y\/status$/);
    assert.strictEqual(last.search, '');
  });

  for (const [argv, pattern] of [
    [['goe', 'status', '--host', 'ftp://charger'], /host: "ftp:\/\/charger": only http:\/\/ and https:\/\/ are supported/],
    [['goe', 'status', '--host', 'http://user:pw@charger'], /host: must not contain a user name or password/],
    [['goe', 'set-current', '--host', '127.0.0.1:9', '--amps', 'lots'], /--amps: expected a number, got "lots"/],
    [['goe', 'set-current', '--host', '127.0.0.1:9', '--amps', '99'], /99 A is outside 6–32 A/],
    [['goe', 'cloud-status', '--serial', '12ab'], /serial: "12ab" is not a go-e serial number/],
    [['goe', 'cloud-status', '--serial', '12', '--token', 'tok-hostile-3'], /^error: credentials: --token is not taken as a flag/],
    [['chargeamps', 'status', '--timeout', 'NaN'], /--timeout: expected a number, got "NaN"/],
    [['chargeamps', 'status', '--bogus'], /--bogus: unknown flag/],
  ] as const) {
    it(`CLI ${argv.join(' ')}: exit 2 with one line`, async () => {
      const lines: string[] = [];
      const code = await runCli([...argv], { out: (l) => lines.push(l), err: (l) => lines.push(l), env: {} });
      assert.strictEqual(code, 2, lines.join('\n'));
      assert.strictEqual(lines.length, 1, lines.join('\n'));
      assert.match(lines[0], pattern);
      oneLine(lines[0]);
    });
  }

  describe('flow arguments', () => {
    let homey: StandinHomey;
    const originalClock = PhaseGuardApp.clockFactory;
    beforeEach(async () => {
      PhaseGuardApp.clockFactory = () => new ManualClock(Date.UTC(2025, 5, 1, 12));
      homey = createHomey();
      await startApp(PhaseGuardApp, homey);
    });
    afterEach(async () => {
      PhaseGuardApp.clockFactory = originalClock;
      await teardown(homey);
    });

    for (const [card, args] of [
      ['balancer_set_fuse', { fuse: Number.NaN }],
      ['balancer_set_fuse', { fuse: -16 }],
      ['balancer_set_margin', { margin: 1e9 }],
      ['balancer_set_margin', { margin: 2.5 }],
      ['balancer_report_phase_currents', { l1: Number.NaN, l2: 1, l3: 1 }],
      ['balancer_report_phase_currents', { l1: 1e6, l2: 1, l3: 1 }],
    ] as const) {
      it(`${card} ${JSON.stringify(args)}: refused with one line, nothing changed`, async () => {
        const before = JSON.stringify(homey.settings.get('config'));
        await assert.rejects(homey.flow.runAction(card, args), (err: Error) => {
          oneLine(err.message);
          // the line names the card's own argument (a card's margin, not the setting's marginA)
          const name = Object.keys(args)[0];
          assert.match(err.message, new RegExp(`^${name}\\b|argument "${name}"`), err.message.slice(0, 160));
          return true;
        });
        assert.strictEqual(JSON.stringify(homey.settings.get('config')), before);
      });
    }

    // Homey checks a number argument's type before the app's listener runs; the listener still never echoes a
    // huge value whole (defence in depth: what a listener is handed is not the app's to trust)
    for (const [card, args] of [
      ['balancer_set_fuse', { fuse: 'x'.repeat(100_000) }],
      ['capacity_set_cap', { cap: 'y'.repeat(50_000) }],
    ] as const) {
      it(`${card}'s own listener given a 50–100 kB text: one short line naming the argument`, async () => {
        const listener = homey.flow.getActionCard(card).__runListener!;
        await assert.rejects(Promise.resolve().then(() => listener(args, {})), (err: Error) => {
          oneLine(err.message);
          assert.ok(err.message.length < 200, `a short line, not the input echoed: ${err.message.length} characters`);
          assert.match(err.message, new RegExp(`^${Object.keys(args)[0]}: expected a number`));
          return true;
        });
      });
    }
  });
});

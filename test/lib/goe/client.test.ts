import assert from 'assert';
import http from 'http';
import type { AddressInfo } from 'net';
import { ManualClock } from '../../../lib/clock';
import { PeerError, UserInputError, describeError } from '../../../lib/errors';
import { HttpTransport } from '../../../lib/http';
import { GoeCharger } from '../../../lib/goe/charger';
import { GoeClient, GoeConnection, normaliseHost, normaliseSerial } from '../../../lib/goe/client';
import { GoeEmulator, GoeProfile } from '../../../tools/emulators/goe/emulator';
import { emulator, local, running, sets } from './harness';

async function rejects<T extends Error>(p: Promise<unknown>, type: new (...a: never[]) => T, pattern: RegExp): Promise<T> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof type, `expected ${type.name}, got ${String(err)}`);
    assert.match((err as Error).message, pattern);
    assert.ok(!(err as Error).message.includes('\n'));
    return err as T;
  }
  assert.fail(`expected a ${type.name} matching ${pattern}`);
}

describe('lib/goe/client', () => {
  afterEach(async () => {
    while (running.length) await running.pop()?.stop();
  });

  describe('auto-detection per firmware profile', () => {
    const expected: [GoeProfile, 'v1' | 'v2', string][] = [
      ['v1-020', 'v1', 'amp'],
      ['v1-040', 'v1', 'amx'],
      ['v1-042', 'v1', 'amx'],
      ['v3-051', 'v2', 'amp'],
      ['v2-055', 'v2', 'amp'],
      ['v2-060', 'v2', 'amp'],
    ];
    for (const [profile, api, currentKey] of expected) {
      it(`${profile}: speaks ${api}, sets the current with ${currentKey}, never writes ama, writes on every call`, async () => {
        const emu = await emulator({ profile, amaA: 20 });
        const client = local(emu);
        const snap = await client.getSnapshot();
        assert.strictEqual(client.api, api);
        assert.strictEqual(snap.status.id, emu.serial);
        assert.strictEqual(snap.status.firmware, emu.spec.fwv);
        assert.strictEqual(snap.status.currentLimitA, 16);
        assert.strictEqual(snap.detail.absoluteMaxA, 20);
        await client.setCurrentLimit(10);
        await client.setCurrentLimit(10);
        assert.strictEqual(emu.offeredA, 10);
        assert.deepStrictEqual(sets(emu), [`${currentKey}=10`, `${currentKey}=10`], 'no de-duplication: the caller decides what to repeat');
        assert.strictEqual((await client.getSnapshot()).status.currentLimitA, 10);
        await client.setCurrentLimit(10);
        assert.strictEqual(sets(emu).length, 3);
        assert.ok(!sets(emu).some((s) => s.startsWith('ama=')));
      });
    }

    it('uses the legacy v1 API of a V3 when told to (amx, string values)', async () => {
      const emu = await emulator({ profile: 'v3-051' });
      const client = local(emu, 'v1');
      await client.setCurrentLimit(12);
      assert.strictEqual(client.api, 'v1');
      assert.deepStrictEqual(sets(emu), ['amx=12']);
      assert.ok(emu.requests.every((r) => !r.path.startsWith('/api')));
    });

    it('reads a 60.x status answered with HTTP 400 because a filtered key (cbl) does not exist', async () => {
      const emu = await emulator({ profile: 'v2-060' });
      const snap = await local(emu, 'v2').getSnapshot();
      assert.strictEqual(snap.status.currentLimitA, 16);
      assert.strictEqual(snap.detail.cableEncodingA, null);
    });

    it('talks to a charger at an IPv6 address (bare, bracketed with a port, or as a URL)', async () => {
      const emu = new GoeEmulator({ clock: new ManualClock(), profile: 'v2-060' });
      running.push(emu);
      const url = await emu.start('::1');
      const port = new URL(url).port;
      for (const host of [`[::1]:${port}`, `http://[::1]:${port}/api`]) {
        const client = new GoeClient({ kind: 'local', host, api: 'auto' }, { clock: emu.clock, minGapMs: 0 });
        assert.strictEqual(client.where, `http://[::1]:${port}`);
        assert.strictEqual((await client.getSnapshot()).status.id, emu.serial);
        await client.setCurrentLimit(9);
        assert.strictEqual(emu.offeredA, 9);
      }
      // A bare IPv6 address is accepted (port 80).
      const bare = new GoeClient({ kind: 'local', host: '::1', api: 'v2' }, { minGapMs: 0, timeoutMs: 500 });
      assert.strictEqual(bare.where, 'http://[::1]');
      await emu.stop();
      const gone = new GoeClient({ kind: 'local', host: `[::1]:${port}`, api: 'v2' }, { minGapMs: 0, timeoutMs: 500 });
      await rejects(gone.getSnapshot(), PeerError, new RegExp(`^GET http://\\[::1\\]:${port}/api/status: cannot connect`));
    });

    it('says clearly when the peer is not a go-e charger, and when nothing listens', async () => {
      const server = http.createServer((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"hello":"world"}');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      const port = (server.address() as AddressInfo).port;
      try {
        await rejects(new GoeClient({ kind: 'local', host: `127.0.0.1:${port}` }, { minGapMs: 0 }).getSnapshot(), PeerError, /not answer like a go-e charger/);
      } finally {
        await new Promise<void>((r) => server.close(() => r()));
      }
      const err = await rejects(new GoeClient({ kind: 'local', host: `http://127.0.0.1:${port}` }, { minGapMs: 0 }).getSnapshot(), PeerError, /cannot connect/);
      assert.strictEqual(err.kind, 'unreachable');
    });
  });

  describe('validation before any request', () => {
    it('rejects currents outside 6–32 A, above ama, the cable and the installation maximum', async () => {
      const emu = await emulator({ profile: 'v2-055', amaA: 20 });
      const client = local(emu, 'v2', { installationMaxA: 25 });
      await rejects(client.setCurrentLimit(5), UserInputError, /outside 6–32 A.*pause/);
      await rejects(client.setCurrentLimit(33), UserInputError, /outside 6–32 A/);
      await rejects(client.setCurrentLimit(Number.NaN), UserInputError, /expected a number/);
      assert.strictEqual(emu.requests.length, 0);
      await rejects(client.setCurrentLimit(26), UserInputError, /installation maximum of 25 A/);
      await rejects(client.setCurrentLimit(21), UserInputError, /above 20 A allowed by the charger maximum/);
      emu.plugIn({}, 13);
      await client.getSnapshot();
      await rejects(client.setCurrentLimit(16), UserInputError, /above 13 A allowed by the cable/);
      assert.strictEqual(client.maxCurrentA(), 13);
      assert.deepStrictEqual(sets(emu), []);
      assert.throws(() => new GoeClient({ kind: 'local', host: '' }), /host: is empty/);
      assert.throws(() => new GoeClient({ kind: 'local', host: 'ftp://x' }), /only http/);
      assert.throws(() => new GoeClient({ kind: 'local', host: '1.2.3.4', api: 'v3' as never }), /api: "v3" is not one of/);
      assert.throws(() => client.setInstallationMax(40), /installation maximum: expected 6–32 A/);
    });

    it('regression: the 16 A adapter (adi) caps what a write may ask for, v1 and v2, even where ama says 32 A', async () => {
      for (const [profile, api] of [['v1-020', 'v1'], ['v2-055', 'v2']] as const) {
        const emu = await emulator({ profile, amaA: 32, adapter16A: true });
        const client = local(emu, api);
        emu.plugIn({ maxCurrentA: 32 }, 32);
        await client.getSnapshot();
        assert.strictEqual(client.maxCurrentA(), 16, profile);
        assert.strictEqual(new GoeCharger(client).maxCurrentA, 16, `${profile}: the balancer's maximum for it`);
        await rejects(client.setCurrentLimit(20), UserInputError, /above 16 A allowed by the 16 A adapter/);
        await client.setCurrentLimit(16);
        assert.strictEqual(sets(emu).length, 1, profile);
        const plain = await emulator({ profile, amaA: 32 });
        const other = local(plain, api);
        await other.getSnapshot();
        assert.strictEqual(other.maxCurrentA(), 32, `${profile} without the adapter`);
      }
    });

    it('normalises hosts (through lib/host.ts, IPv6 in brackets) and serials', () => {
      assert.strictEqual(normaliseHost('192.168.1.20'), 'http://192.168.1.20');
      assert.strictEqual(normaliseHost(' http://go-echarger/api/ '), 'http://go-echarger');
      assert.strictEqual(normaliseHost('http://127.0.0.1:8080/'), 'http://127.0.0.1:8080');
      assert.strictEqual(normaliseHost('HTTPS://go-e.example.com'), 'https://go-e.example.com');
      assert.strictEqual(normaliseHost('fd00::20'), 'http://[fd00::20]');
      assert.strictEqual(normaliseHost('[FD00::20]:8080'), 'http://[fd00::20]:8080');
      assert.strictEqual(normaliseHost('http://[::1]:8080/api'), 'http://[::1]:8080');
      assert.throws(() => normaliseHost(''), /^UserInputError: host: is empty/);
      assert.throws(() => normaliseHost('ftp://charger'), /host: "ftp:\/\/charger": only http:\/\/ and https:\/\/ are supported/);
      assert.throws(() => normaliseHost('http://user:secret-pw@charger'), (e: Error) => /must not contain a user name or password/.test(e.message) && !e.message.includes('secret-pw'));
      assert.throws(() => normaliseHost('fe80::1%eth0'), /host: an IPv6 zone/);
      assert.throws(() => normaliseHost('charger/status'), /host: enter only the host name or IP address of the go-e charger, without a path/);
      assert.throws(() => normaliseHost('192.168.1.300'), /host: "192.168.1.300" is not a valid IPv4 address/);
      assert.throws(() => normaliseHost(`${'x'.repeat(300)}.local`), (e: Error) => e.message.length < 200);
      assert.strictEqual(normaliseSerial('1234'), '001234');
      assert.throws(() => normaliseSerial('12a'), /serial: "12a" is not a go-e serial/);
    });
  });

  describe('commands', () => {
    it('pauses and resumes: v1 alw, v2 frc 1/0', async () => {
      const v1 = await emulator({ profile: 'v1-042' });
      const c1 = local(v1);
      await c1.pause();
      assert.strictEqual(v1.allowed, false);
      assert.strictEqual((await c1.getSnapshot()).status.chargingAllowed, false);
      await c1.resume();
      await c1.resume();
      assert.deepStrictEqual(sets(v1), ['alw=0', 'alw=1', 'alw=1']);

      const v2 = await emulator({ profile: 'v2-055' });
      const c2 = local(v2);
      await c2.pause();
      await c2.pause();
      assert.strictEqual((await c2.getSnapshot()).status.chargingAllowed, false);
      await c2.resume();
      assert.deepStrictEqual(sets(v2), ['frc=1', 'frc=1', 'frc=0']);
      assert.strictEqual(v2.allowed, true);
    });

    it('charges a car and converts v1 and v2 readings to the same normalised values', async () => {
      for (const profile of ['v1-042', 'v2-055'] as GoeProfile[]) {
        const emu = await emulator({ profile, startDelayMs: 2000 });
        const clock = emu.clock as ManualClock;
        const client = local(emu);
        emu.plugIn({ maxCurrentA: 16, phases: 3, needWh: 50_000 });
        assert.strictEqual((await client.getSnapshot()).status.state, 'connected');
        await client.setCurrentLimit(10);
        await clock.advance(2000);
        let s = (await client.getSnapshot()).status;
        assert.strictEqual(s.state, 'charging', profile);
        assert.deepStrictEqual(s.phases.map((p) => p.currentA), [10, 10, 10]);
        assert.deepStrictEqual(s.phases.map((p) => p.powerW), [2300, 2300, 2300]);
        assert.strictEqual(s.powerW, 6900);
        assert.strictEqual(s.activePhases, 3);
        await clock.advance(3_600_000);
        s = (await client.getSnapshot()).status;
        assert.ok(Math.abs((s.sessionEnergyWh ?? 0) - 6900) < 1, `${profile} session ${s.sessionEnergyWh}`);
        assert.ok(Math.abs((s.totalEnergyWh ?? 0) - emu.totalWh) <= 50, `${profile} total ${s.totalEnergyWh}`);
      }
    });

    it('sets a session energy limit: v1 dwo in 0.1 kWh with stp, v2 dwo in Wh; the car stops there', async () => {
      const v1 = await emulator({ profile: 'v1-020' });
      const c1 = local(v1);
      await c1.setSessionEnergyLimit(10_500);
      assert.deepStrictEqual(sets(v1), ['dwo=105', 'stp=2']);
      const d1 = (await c1.getSnapshot()).detail;
      assert.strictEqual(d1.sessionChargeConsumptionLimitWh, 10_500);
      assert.strictEqual(d1.stopState, true);
      await c1.setSessionEnergyLimit(null);
      assert.deepStrictEqual(sets(v1).slice(2), ['dwo=0', 'stp=0']);

      const v2 = await emulator({ profile: 'v2-055', startDelayMs: 0 });
      const c2 = local(v2);
      await c2.setSessionEnergyLimit(2000);
      assert.deepStrictEqual(sets(v2), ['dwo=2000']);
      v2.plugIn({ needWh: 40_000 });
      await (v2.clock as ManualClock).advance(3_600_000);
      const s = await c2.getSnapshot();
      assert.strictEqual(s.status.sessionEnergyWh, 2000);
      assert.strictEqual(s.status.chargingAllowed, false);
      assert.strictEqual(s.status.state, 'connected');
      await rejects(c2.setSessionEnergyLimit(-1), UserInputError, /session energy limit/);
    });

    it('switches phases with psm where the firmware has it', async () => {
      const emu = await emulator({ profile: 'v2-055', startDelayMs: 0 });
      const client = local(emu);
      emu.plugIn({ phases: 3 });
      await (emu.clock as ManualClock).advance(1000);
      assert.strictEqual((await client.getSnapshot()).status.activePhases, 3);
      await client.setPhaseMode('1');
      await (emu.clock as ManualClock).advance(1000);
      assert.strictEqual((await client.getSnapshot()).status.activePhases, 0, 'the firmware stops for the switch');
      await (emu.clock as ManualClock).advance(10_000);
      const s = await client.getSnapshot();
      assert.strictEqual(s.status.activePhases, 1);
      assert.strictEqual(s.detail.phaseMode, '1');
      assert.deepStrictEqual(sets(emu), ['psm=1']);
      const old = await emulator({ profile: 'v3-051' });
      await rejects(local(old).setPhaseMode('3'), UserInputError, /cannot switch phases/);
      const v1 = await emulator({ profile: 'v1-042' });
      await rejects(local(v1).setPhaseMode('3'), UserInputError, /cannot switch phases/);
    });

    it('pushes PV data with ids every time (the charger forgets it after 5 s), v2 only', async () => {
      const emu = await emulator({ profile: 'v2-055' });
      const client = local(emu);
      await client.pushPvData({ gridW: -1200, pvW: 3400 });
      await client.pushPvData({ gridW: -1200, pvW: 3400 });
      assert.strictEqual(sets(emu).length, 2);
      assert.deepStrictEqual(JSON.parse(emu.requests.filter((r) => r.path === '/api/set')[0].query.ids), { pGrid: -1200, pPv: 3400 });
      assert.strictEqual(emu.v2Status().pgrid, -1200);
      await rejects(client.pushPvData({ gridW: Number.POSITIVE_INFINITY }), UserInputError, /gridW: expected watts/);
      await rejects(local(await emulator({ profile: 'v1-020' })).pushPvData({ gridW: 1 }), UserInputError, /needs API v2/);
    });
  });

  describe('peer errors', () => {
    function fake(status: number, text: string): HttpTransport {
      return async (req) => {
        if (req.url.includes('/api/status')) return { status: 200, headers: {}, text: JSON.stringify({ sse: '000001', car: 1, amp: 16, fwv: '055.5', nrg: [] }) };
        return { status, headers: {}, text };
      };
    }

    it('turns v2 set errors (JSON 500, plain text 500) into one readable line', async () => {
      const json = new GoeClient({ kind: 'local', host: 'x', api: 'v2' }, { transport: fake(500, '{"amp":"amp: failed: Value 7 exceeds range 6 to 32 (7)"}'), minGapMs: 0 });
      const e1 = await rejects(json.setCurrentLimit(7), PeerError, /go-e refused amp=7: amp: failed: Value 7 exceeds range/);
      assert.strictEqual(e1.status, 500);
      const emu = await emulator({ profile: 'v3-051' });
      const text = new GoeClient({ kind: 'local', host: emu.url, api: 'v2' }, { transport: fake(500, '0 succeeded and 1 failed'), minGapMs: 0 });
      await rejects(text.setCurrentLimit(8), PeerError, /go-e refused amp=8 \(HTTP 500: 0 succeeded and 1 failed\)/);
    });

    it('reports 500, garbage, dropped connections and timeouts, then recovers and re-probes the API', async () => {
      const emu = await emulator({ profile: 'v1-020' });
      const client = local(emu, 'auto', { timeoutMs: 150 });
      await client.getSnapshot();
      assert.strictEqual(client.api, 'v1');
      emu.faults.http500 = true;
      await rejects(client.getSnapshot(), PeerError, /HTTP 500 "couldn't take api lock/);
      emu.faults.http500 = false;
      emu.faults.garbage = true;
      await rejects(client.getSnapshot(), PeerError, /expected JSON, got "<html>|not answer like a go-e/);
      emu.faults.garbage = false;
      emu.faults.drop = true;
      const dropped = await rejects(client.getSnapshot(), PeerError, /cannot connect|socket hang up|ECONNRESET/);
      assert.strictEqual(dropped.kind, 'unreachable');
      emu.faults.drop = false;
      emu.faults.delayMs = 600;
      const slow = await rejects(client.getSnapshot(), PeerError, /no answer within 150 ms/);
      assert.strictEqual(slow.kind, 'timeout');
      assert.strictEqual(client.api, null); // forgotten: probe again
      emu.faults.delayMs = 0;
      const before = emu.requests.length;
      await client.getSnapshot();
      assert.deepStrictEqual(emu.requests.slice(before).map((r) => r.path), ['/api/status', '/status']);
      assert.strictEqual(client.api, 'v1');
    });

    it('a 200 answer to /api/set that is not JSON (an HTML page) fails as a protocol error, once, and changes nothing', async () => {
      for (const cloud of [false, true]) {
        const emu = await emulator({ profile: 'v2-055', ampA: 16, ...(cloud ? { cloudToken: 'cloud-secret-token-123' } : {}) });
        const client = cloud
          ? new GoeClient({ kind: 'cloud', serial: emu.serial, token: 'cloud-secret-token-123', baseUrl: emu.url }, { clock: emu.clock, minGapMs: 0 })
          : local(emu, 'v2');
        await client.getSnapshot();
        emu.faults.garbage = true;
        const err = await rejects(client.setCurrentLimit(6), PeerError, /\/api\/set: expected JSON, got "<html><body>.*" \(HTTP 200\)$/);
        assert.strictEqual(err.kind, 'protocol', cloud ? 'cloud' : 'local');
        assert.ok(err.message.length < 160 && !err.message.includes('\u0000'), err.message);
        emu.faults.garbage = false;
        assert.strictEqual(sets(emu).length, 1, 'tried once');
        assert.strictEqual(emu.ampPersisted, 16);
        await client.setCurrentLimit(6);
        assert.strictEqual(emu.offeredA, 6);
      }
    });

    it('no write is retried or skipped by the client: one request per call, failed or not', async () => {
      const emu = await emulator({ profile: 'v2-055' });
      const client = local(emu, 'v2', { timeoutMs: 150 });
      await client.getSnapshot();
      for (const fault of ['http500', 'drop', 'truncated'] as const) {
        emu.faults[fault] = true;
        await rejects(client.setCurrentLimit(8), PeerError, /./);
        emu.faults[fault] = false;
        await client.getSnapshot();
      }
      emu.faults.delayMs = 400;
      await rejects(client.pause(), PeerError, /no answer within 150 ms/);
      emu.faults.delayMs = 0;
      await new Promise((r) => setTimeout(r, 500)); // the late answer arrives; nothing is sent again
      await client.getSnapshot();
      assert.deepStrictEqual(sets(emu), ['amp=8', 'amp=8', 'amp=8', 'frc=1']);
    });

    it('writes again after a reboot reset the volatile amx', async () => {
      const emu = await emulator({ profile: 'v1-042', ampA: 16 });
      const client = local(emu);
      await client.setCurrentLimit(10);
      emu.reboot();
      assert.strictEqual((await client.getSnapshot()).status.currentLimitA, 16);
      await client.setCurrentLimit(10);
      assert.deepStrictEqual(sets(emu), ['amx=10', 'amx=10']);
      assert.strictEqual(emu.offeredA, 10);
    });

    it('spaces requests by minGapMs on the injected clock', async () => {
      const emu = await emulator({ profile: 'v2-055' });
      const clock = emu.clock as ManualClock;
      const client = local(emu, 'v2', { minGapMs: 1000 });
      await client.getSnapshot();
      const second = client.setCurrentLimit(8);
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      assert.strictEqual(emu.requests.length, 1);
      await clock.advance(999);
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      assert.strictEqual(emu.requests.length, 1);
      await clock.advance(1);
      await second;
      assert.strictEqual(emu.requests.length, 2);
    });
  });

  describe('cloud', () => {
    const token = 'cloud-secret-token-123';

    it('v2: reads and writes with a bearer token; a wrong token is an auth error without the token', async () => {
      const emu = await emulator({ profile: 'v2-055', cloudToken: token });
      const conn: GoeConnection = { kind: 'cloud', serial: emu.serial, token, baseUrl: emu.url };
      const client = new GoeClient(conn, { minGapMs: 0 });
      const snap = await client.getSnapshot();
      assert.strictEqual(snap.status.api, 'cloud-v2');
      await client.setCurrentLimit(11);
      assert.strictEqual(emu.offeredA, 11);
      assert.ok(emu.requests.every((r) => !JSON.stringify(r.query).includes(token)), 'token only in the header');
      const charger = new GoeCharger(client);
      assert.strictEqual(charger.latencyClass, 'cloud');
      const wrong = new GoeClient({ ...conn, token: 'wrong-token-456' }, { minGapMs: 0 });
      const err = await rejects(wrong.getSnapshot(), PeerError, /token was rejected \(HTTP 401\)/);
      assert.strictEqual(err.kind, 'auth');
      emu.faults.cloudOffline = true;
      await rejects(client.getSnapshot(), PeerError, /offline or cloud API not enabled/);
    });

    it('v1: api_status / api with the token in the query, never in an error', async () => {
      const emu = await emulator({ profile: 'v1-042', cloudToken: token });
      const client = new GoeClient({ kind: 'cloud', serial: emu.serial, token, api: 'v1', baseUrl: emu.url }, { minGapMs: 0 });
      assert.strictEqual((await client.getSnapshot()).status.api, 'cloud-v1');
      await client.setCurrentLimit(9);
      assert.strictEqual(emu.offeredA, 9);
      assert.deepStrictEqual(sets(emu), ['amx=9']);
      emu.faults.http500 = true;
      const err = await rejects(client.getSnapshot(), PeerError, /api_status/);
      assert.ok(!describeError(err).includes(token));
      emu.faults.http500 = false;
      const wrong = new GoeClient({ kind: 'cloud', serial: '1', token: 'nope-nope', api: 'v1', baseUrl: emu.url }, { minGapMs: 0 });
      await rejects(wrong.getSnapshot(), PeerError, /wrong token/);
    });
  });

  describe('GoeCharger', () => {
    it('implements Charger: id, limits from ama/cable/installation, commands reach the charger', async () => {
      const emu = await emulator({ profile: 'v2-055', amaA: 16 });
      const charger = new GoeCharger(local(emu, 'auto', { installationMaxA: 32 }));
      const status = await charger.getStatus();
      assert.strictEqual(charger.id, emu.serial);
      assert.strictEqual(status.brand, 'goe');
      assert.strictEqual(charger.latencyClass, 'local');
      assert.strictEqual(charger.minCurrentA, 6);
      assert.strictEqual(charger.maxCurrentA, 16);
      await charger.setCurrentLimit(6);
      await charger.pause();
      await charger.resume();
      assert.deepStrictEqual(sets(emu), ['amp=6', 'frc=1', 'frc=0']);
      charger.client.setInstallationMax(10);
      assert.strictEqual(charger.maxCurrentA, 10);
    });
  });
});

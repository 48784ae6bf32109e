/**
 * Each go-e API dialect (local v1, local v2, cloud v2, cloud v1, and the automatic local choice) is the
 * one the connection asks for, and the one every read and write goes through: the URLs (and headers)
 * that reach the emulator.
 */
import assert from 'assert';
import { HttpRequest, HttpTransport, nodeFetchTransport } from '../../../lib/http';
import { ManualClock } from '../../../lib/clock';
import { GoeClient } from '../../../lib/goe/client';
import { CloudV1Api, CloudV2Api } from '../../../lib/goe/cloud';
import { type GoeConnection, openGoe } from '../../../lib/goe/connection';
import { LocalV1Api } from '../../../lib/goe/localV1';
import { LocalV2Api } from '../../../lib/goe/localV2';
import { GoeEmulator, GoeProfile } from '../../../tools/emulators/goe/emulator';
import { emulator, local, sets, stopEmulators } from './harness';

describe('lib/goe dialects: one API per dialect, chosen from the connection and used for reads and writes', () => {
  afterEach(() => stopEmulators());

  const token = 'cloud-secret-token-789';
  /** Each request's path and Authorization header, as the client sent them. */
  function recording(): { transport: HttpTransport; seen: { path: string; auth?: string }[] } {
    const seen: { path: string; auth?: string }[] = [];
    const transport: HttpTransport = (req: HttpRequest) => {
      seen.push({ path: new URL(req.url).pathname, auth: req.headers?.Authorization });
      return nodeFetchTransport(req);
    };
    return { transport, seen };
  }
  const paths = (emu: GoeEmulator): string[] => emu.requests.map((r) => r.path);

  it('the factory picks the API class from the connection (auto: none until the charger answered)', () => {
    const wire = { transport: nodeFetchTransport, clock: new ManualClock(), timeoutMs: 1000 };
    const cases: [GoeConnection, unknown][] = [
      [{ kind: 'local', host: '192.168.1.20', api: 'v1' }, LocalV1Api],
      [{ kind: 'local', host: '192.168.1.20', api: 'v2' }, LocalV2Api],
      [{ kind: 'local', host: '192.168.1.20' }, undefined],
      [{ kind: 'cloud', serial: '12', token }, CloudV2Api],
      [{ kind: 'cloud', serial: '12', token, api: 'v1' }, CloudV1Api],
    ];
    for (const [connection, type] of cases) {
      const chosen = openGoe(connection, wire).choice.chosen;
      assert.strictEqual(chosen?.constructor, type, JSON.stringify(connection));
    }
    assert.strictEqual(openGoe({ kind: 'cloud', serial: '12', token }, wire).http.base, 'https://000012.api.v3.go-e.io');
    assert.strictEqual(openGoe({ kind: 'cloud', serial: '12', token, api: 'v1' }, wire).http.base, 'https://api.go-e.co');
  });

  const locals: ['v1' | 'v2', GoeProfile, string[], string[]][] = [
    ['v1', 'v1-042', ['/status', '/mqtt', '/mqtt'], ['amx=8', 'alw=0']],
    ['v2', 'v2-055', ['/api/status', '/api/set', '/api/set'], ['amp=8', 'frc=1']],
  ];
  for (const [api, profile, wantPaths, wantSets] of locals) {
    it(`local ${api}: ${wantPaths[0]} and ${wantPaths[1]}`, async () => {
      const emu = await emulator({ profile });
      const client = local(emu, api);
      assert.strictEqual(client.api, api);
      await client.setCurrentLimit(8);
      await client.pause();
      assert.deepStrictEqual(paths(emu), wantPaths);
      assert.deepStrictEqual(sets(emu), wantSets);
      if (api === 'v2') assert.ok(emu.requests[0].query.filter.split(',').includes('amp'));
    });
  }

  it('auto: v2 when the charger answers it, else v1 after one /api/status', async () => {
    const v2 = await emulator({ profile: 'v2-060' });
    const c2 = local(v2);
    assert.strictEqual(c2.api, null);
    await c2.resume();
    assert.strictEqual(c2.api, 'v2');
    assert.deepStrictEqual(paths(v2), ['/api/status', '/api/set']);
    const v1 = await emulator({ profile: 'v1-020' });
    const c1 = local(v1);
    await c1.resume();
    assert.strictEqual(c1.api, 'v1');
    assert.deepStrictEqual(paths(v1), ['/api/status', '/status', '/mqtt']);
  });

  it('cloud v2: /api/status and /api/set with the token as a bearer header', async () => {
    const emu = await emulator({ profile: 'v2-055', cloudToken: token });
    const { transport, seen } = recording();
    const client = new GoeClient({ kind: 'cloud', serial: emu.serial, token, baseUrl: emu.url }, { transport, minGapMs: 0 });
    assert.strictEqual(client.api, 'cloud-v2');
    await client.setCurrentLimit(7);
    assert.deepStrictEqual(seen, [
      { path: '/api/status', auth: `Bearer ${token}` },
      { path: '/api/set', auth: `Bearer ${token}` },
    ]);
    assert.deepStrictEqual(sets(emu), ['amp=7']);
  });

  it('cloud v1: /api_status and /api?payload= with the token in the query, no header', async () => {
    const emu = await emulator({ profile: 'v1-042', cloudToken: token });
    const { transport, seen } = recording();
    const client = new GoeClient({ kind: 'cloud', serial: emu.serial, token, api: 'v1', baseUrl: emu.url }, { transport, minGapMs: 0 });
    assert.strictEqual(client.api, 'cloud-v1');
    await client.pause();
    assert.deepStrictEqual(seen, [{ path: '/api_status', auth: undefined }, { path: '/api', auth: undefined }]);
    assert.ok(emu.requests.every((r) => r.query.token === token));
    assert.deepStrictEqual(sets(emu), ['alw=0']);
    assert.throws(() => new GoeClient({ kind: 'cloud', serial: '1', token, api: 'v3' as never }), /api: "v3" is not one of v1, v2 for the cloud/);
  });
});

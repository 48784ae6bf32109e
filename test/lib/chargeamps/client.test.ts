import assert from 'assert';
import { PeerError } from '../../../lib/errors';
import { CHARGEAMPS_POLL, ChargeAmpsClient, ChargeAmpsClientRegistry, PRIORITY_DECREASE, PRIORITY_NORMAL } from '../../../lib/chargeamps/client';
import { clampPollInterval } from '../../../lib/pollInterval';
import { parseJsonAnswer, parseRetryAfterMs } from '../../../lib/chargeamps/types';
import { jwtExpiryMs } from '../../../lib/chargeamps/auth';
import { AURA_ID, FOREIGN_ID, HALO_ID } from '../../../tools/emulators/chargeamps/emulator';
import { CREDENTIALS, Rig, rig } from './helpers';

describe('lib/chargeamps/client', () => {
  let r: Rig;
  afterEach(async () => r?.stop());

  it('logs in once with the API key and reuses the token', async () => {
    r = await rig();
    const list = await r.client.listChargePoints();
    assert.deepStrictEqual(list.map((cp) => cp.id).sort(), [AURA_ID, HALO_ID].sort());
    await r.client.getStatus(HALO_ID);
    await r.clock.advance(10_000);
    await r.client.getStatus(AURA_ID);
    assert.strictEqual(r.emu.counters.logins, 1);
    assert.strictEqual(r.sent.filter((s) => s === 'POST auth/login').length, 1);
  });

  it('reads the token expiry from the JWT', async () => {
    r = await rig({ tokenLifetimeS: 600 });
    const token = await r.client.auth.getToken();
    assert.strictEqual(jwtExpiryMs(token), r.clock.nowMs() + 600_000);
    assert.strictEqual(jwtExpiryMs('not-a-jwt'), null);
  });

  it('refreshes short-lived tokens before they expire, rotating both, and never logs in again', async () => {
    r = await rig({ tokenLifetimeS: 300 });
    for (let i = 0; i < 40; i++) {
      await r.client.getStatus(HALO_ID);
      await r.clock.advance(60_000);
    }
    assert.strictEqual(r.emu.counters.logins, 1);
    assert.ok(r.emu.counters.refreshes >= 7, `refreshes ${r.emu.counters.refreshes}`);
    assert.strictEqual(r.emu.counters.unauthorised, 0, 'a request went out with an expired token');
    assert.strictEqual(r.emu.activeTokens(), 1);
  });

  it('logs in again when the refresh is refused', async () => {
    r = await rig({ tokenLifetimeS: 300, refreshLifetimeS: 400 });
    await r.client.getStatus(HALO_ID);
    await r.clock.advance(3600_000); // both the token and the refresh token are dead
    await r.client.getStatus(HALO_ID);
    assert.strictEqual(r.emu.counters.failedRefreshes, 1);
    assert.strictEqual(r.emu.counters.logins, 2);
    assert.strictEqual(r.client.auth.counters.failedRefreshes, 1);
  });

  it('a maintenance page answering the token refresh keeps the session: refreshed later, no new login', async () => {
    r = await rig({ tokenLifetimeS: 300 });
    await r.client.getStatus(HALO_ID);
    await r.clock.advance(200_000); // within the refresh margin
    r.emu.failNext('html200');
    await assert.rejects(r.client.getStatus(HALO_ID), (e: PeerError) => e.kind === 'protocol' && e.message.startsWith('token refresh (POST auth/refreshtoken): expected JSON or an empty answer, got text/html'));
    assert.strictEqual((await r.client.getStatus(HALO_ID)).status, 'Online');
    assert.deepStrictEqual([r.emu.counters.logins, r.emu.counters.refreshes, r.client.auth.counters.failedRefreshes], [1, 1, 0]);
  });

  it('on a 401 renews by refresh and retries the request once', async () => {
    r = await rig();
    await r.client.getStatus(HALO_ID);
    r.emu.revokeTokens(); // the access token is dead, the refresh token still works
    await r.clock.advance(6000);
    const s = await r.client.getStatus(HALO_ID);
    assert.strictEqual(s.status, 'Online');
    assert.strictEqual(r.emu.counters.unauthorised, 1);
    assert.strictEqual(r.emu.counters.refreshes, 1);
    assert.strictEqual(r.emu.counters.logins, 1);
  });

  it('gives up after one retry when the renewed token is refused too', async () => {
    r = await rig();
    await r.client.getStatus(HALO_ID);
    r.emu.revokeTokens(undefined, true);
    r.emu.setPassword(CREDENTIALS.email, 'changed-by-owner');
    await r.clock.advance(6000);
    await assert.rejects(r.client.getStatus(HALO_ID), (e: PeerError) => e.kind === 'auth' && /authentication failed/.test(e.message));
    // The refused login is remembered: no further login attempts until the credentials change.
    await assert.rejects(r.client.listChargePoints(), /authentication failed/);
    assert.strictEqual(r.emu.counters.failedLogins, 1);
    r.client.auth.updateCredentials({ ...CREDENTIALS, password: 'changed-by-owner' });
    assert.strictEqual((await r.client.listChargePoints()).length, 2);
  });

  it('concurrent callers share one login and one refresh', async () => {
    r = await rig({ tokenLifetimeS: 300 });
    await Promise.all([r.client.listChargePoints(), r.client.getConnectorSettings(HALO_ID, 1), r.client.getConnectorSettings(AURA_ID, 2)]);
    assert.strictEqual(r.emu.counters.logins, 1);
    await r.clock.advance(290_000);
    await Promise.all([1, 2].flatMap((n) => [r.client.getConnectorSettings(HALO_ID, n), r.client.getConnectorSettings(AURA_ID, n)]));
    assert.strictEqual(r.emu.counters.refreshes, 1);
    r.emu.revokeTokens();
    await Promise.all([r.client.listChargePoints(), r.client.getConnectorSettings(AURA_ID, 1), r.client.getChargePointSettings(AURA_ID)]);
    assert.strictEqual(r.emu.counters.refreshes, 2, 'three 401s caused one refresh');
    assert.strictEqual(r.emu.counters.logins, 1);
  });

  it('wrong API key or password: one clear line without the secret', async () => {
    r = await rig();
    for (const creds of [{ ...CREDENTIALS, apiKey: 'wrong-api-key-123' }, { ...CREDENTIALS, password: 'wrong-password-123' }]) {
      const c = new ChargeAmpsClient({ baseUrl: r.emu.baseUrl, credentials: creds, clock: r.clock, transport: r.transport });
      await assert.rejects(c.listChargePoints(), (e: Error) => {
        assert.match(e.message, /^authentication failed/);
        assert.ok(!e.message.includes(creds.password) && !e.message.includes(creds.apiKey));
        return true;
      });
    }
  });

  it('maps 403, 404 and garbage to one-line peer errors', async () => {
    r = await rig();
    await assert.rejects(r.client.getStatus(FOREIGN_ID), (e: PeerError) => e.status === 403 && e.kind === 'auth');
    await assert.rejects(r.client.getStatus('NOPE0000000'), (e: PeerError) => e.status === 404);
    await assert.rejects(r.client.getConnectorSettings(HALO_ID, 7), (e: PeerError) => e.status === 404);
    r.emu.failNext('garbage');
    await assert.rejects(r.client.getConnectorSettings(HALO_ID, 1), (e: PeerError) => e.kind === 'protocol' && /expected JSON/.test(e.message));
  });

  it('backs off after 429/5xx: reads fail fast until the back-off has passed', async () => {
    r = await rig();
    await r.client.listChargePoints();
    r.emu.failNext('429');
    await assert.rejects(r.client.getConnectorSettings(HALO_ID, 1), (e: PeerError) => e.kind === 'rate-limit' && e.status === 429);
    const before = r.emu.counters.requests;
    await assert.rejects(r.client.getConnectorSettings(HALO_ID, 1), /backing off/);
    assert.strictEqual(r.emu.counters.requests, before, 'a request went out during the back-off');
    await r.clock.advance(r.client.backoffRemainingMs());
    await r.client.getConnectorSettings(HALO_ID, 1);
    r.emu.failNext('500', 2);
    await assert.rejects(r.client.getConnectorSettings(HALO_ID, 1), (e: PeerError) => e.status === 500);
    const first = r.client.backoffRemainingMs();
    await r.clock.advance(first);
    await assert.rejects(r.client.getConnectorSettings(HALO_ID, 1), (e: PeerError) => e.status === 500);
    assert.ok(r.client.backoffRemainingMs() > first, 'back-off grows while failures repeat');
  });

  it('a gated read during the back-off says how long is left; the back-off runs on the monotonic clock', async () => {
    r = await rig();
    await r.client.listChargePoints();
    r.emu.failNext('429', 1, { retryAfterS: 40 });
    await assert.rejects(r.client.getStatus(HALO_ID), (e: PeerError) => e.retryAfterMs === 40_000);
    r.clock.jump(3600_000); // the wall clock steps forward an hour: the back-off does not end
    await assert.rejects(r.client.getConnectorSettings(HALO_ID, 1), (e: PeerError) => e.kind === 'rate-limit' && e.retryAfterMs === 40_000);
    r.clock.jump(-7200_000); // ... nor grow when it steps back
    assert.strictEqual(r.client.backoffRemainingMs(), 40_000);
    await r.clock.advance(40_000);
    await r.client.getConnectorSettings(HALO_ID, 1);
  });

  it('a 429 with Retry-After (seconds or HTTP-date) rejects the write with retryAfterMs; the next write goes out at once', async () => {
    r = await rig();
    await r.client.listChargePoints();
    const puts = () => r.sent.filter((s) => s.startsWith('PUT')).length;
    r.emu.failNext('429', 1, { retryAfterS: 120 });
    await assert.rejects(r.client.updateConnectorSettings(HALO_ID, 1, { maxCurrent: 10 }), (e: PeerError) => {
      assert.deepStrictEqual([e.kind, e.status, e.retryAfterMs], ['rate-limit', 429, 120_000]);
      assert.match(e.message, /HTTP 429; asked to wait 120 s/);
      return true;
    });
    assert.ok(r.client.backoffRemainingMs() > 0, 'reads back off');
    // The fuse-protecting decrease is sent now, not after the back-off (the caller decides about Retry-After).
    const before = puts();
    const after = await r.client.updateConnectorSettings(HALO_ID, 1, { maxCurrent: 6 }, PRIORITY_DECREASE);
    assert.strictEqual(after.maxCurrent, 6);
    assert.strictEqual(puts(), before + 1);
    assert.strictEqual(r.emu.snapshot(HALO_ID, 1).maxCurrent, 6);
    r.emu.failNext('500', 1, { retryAfterS: 95, retryAfterAsDate: true });
    await assert.rejects(r.client.remoteStop(HALO_ID, 1), (e: PeerError) => e.status === 500 && e.retryAfterMs === 95_000);
    r.emu.failNext('429');
    await assert.rejects(r.client.remoteStop(HALO_ID, 1), (e: PeerError) => e.status === 429 && e.retryAfterMs === undefined);
  });

  /** A second client on the rig whose next PUT meets `kind` (the read before it goes through). */
  function putFaulting(): { client: ChargeAmpsClient; failNextPut: (kind: '429' | '500' | 'html200' | 'garbage') => void } {
    let pending: '429' | '500' | 'html200' | 'garbage' | null = null;
    const client = new ChargeAmpsClient({
      baseUrl: r.emu.baseUrl,
      credentials: CREDENTIALS,
      clock: r.clock,
      random: () => 0.5,
      transport: async (req) => {
        if ((req.method ?? 'GET') === 'PUT' && pending) {
          r.emu.failNext(pending);
          pending = null;
        }
        return r.transport(req);
      },
    });
    return { client, failNextPut: (kind) => (pending = kind) };
  }

  /** Give a retry that sleeps on the manual clock every chance to go out. */
  async function waitForStragglers(): Promise<void> {
    await r.clock.advance(125_000); // beyond the longest back-off (120 s)
    await new Promise((res) => setTimeout(res, 30));
    await r.clock.advance(125_000);
  }

  it('no write is retried by the client: one attempt per write, whatever the failure', async () => {
    r = await rig();
    const { client, failNextPut } = putFaulting();
    await client.getConnectorSettings(AURA_ID, 1);
    for (const kind of ['429', '500', 'html200', 'garbage'] as const) {
      // The read of the read-modify-write fails: one request, no PUT.
      let [requests, puts] = [r.emu.counters.requests, r.emu.counters.puts];
      r.emu.failNext(kind);
      await assert.rejects(client.updateConnectorSettings(AURA_ID, 1, { maxCurrent: 9 }), PeerError);
      await waitForStragglers();
      assert.deepStrictEqual([r.emu.counters.requests - requests, r.emu.counters.puts - puts], [1, 0], `${kind} on the read`);
      // The PUT fails: one read and one PUT.
      [requests, puts] = [r.emu.counters.requests, r.emu.counters.puts];
      failNextPut(kind);
      await assert.rejects(client.updateConnectorSettings(AURA_ID, 1, { maxCurrent: 9 }, PRIORITY_DECREASE), PeerError);
      await waitForStragglers();
      assert.deepStrictEqual([r.emu.counters.requests - requests, r.emu.counters.puts - puts], [2, 1], `${kind} on the PUT`);
    }
    assert.deepStrictEqual([client.counters.writes, client.counters.failedWrites], [0, 8]);
    assert.strictEqual(r.emu.snapshot(AURA_ID, 1).maxCurrent, 32, 'nothing was written');
  });

  it('a write answered 200 with an HTML maintenance page rejects: protocol error, one line, a short prefix of the page', async () => {
    r = await rig();
    const { client, failNextPut } = putFaulting();
    failNextPut('html200');
    await assert.rejects(client.updateConnectorSettings(HALO_ID, 1, { maxCurrent: 6 }, PRIORITY_DECREASE), (e: PeerError) => {
      assert.strictEqual(e.kind, 'protocol');
      assert.strictEqual(e.message, 'PUT chargepoints/2505090652M/connectors/1/settings: expected JSON or an empty answer, got text/html "<!DOCTYPE html> <html><head><tit…" (HTTP 200)');
      return true;
    });
    assert.strictEqual(r.emu.snapshot(HALO_ID, 1).maxCurrent, 16, 'the cut did not land');
    await client.updateConnectorSettings(HALO_ID, 1, { maxCurrent: 6 }, PRIORITY_DECREASE);
    assert.strictEqual(r.emu.snapshot(HALO_ID, 1).maxCurrent, 6);
  });

  it('reads Retry-After as seconds or an HTTP-date on the given wall time; the answer body only as JSON or empty', () => {
    const now = Date.UTC(2026, 0, 1, 12);
    assert.strictEqual(parseRetryAfterMs('120', now), 120_000);
    assert.strictEqual(parseRetryAfterMs(' 1.5 ', now), 1500);
    assert.strictEqual(parseRetryAfterMs('Thu, 01 Jan 2026 12:01:30 GMT', now), 90_000);
    assert.strictEqual(parseRetryAfterMs('Thu, 01 Jan 2026 11:00:00 GMT', now), 0, 'a date in the past: no wait');
    for (const bad of [undefined, '', '-5', 'soon', '12abc']) assert.strictEqual(parseRetryAfterMs(bad, now), undefined, String(bad));
    assert.strictEqual(parseRetryAfterMs('Thu, 01 Jan 2026 12:01:30 GMT', Number.NaN), undefined);
    const res = (text: string, type = 'application/json') => ({ status: 200, headers: { 'content-type': type }, text });
    assert.strictEqual(parseJsonAnswer(res(''), 'PUT x'), undefined);
    assert.deepStrictEqual(parseJsonAnswer(res('{"a":1}'), 'GET x'), { a: 1 });
    const big = `<html>${'x'.repeat(100_000)}\n${'y'.repeat(100)}</html>`;
    assert.throws(() => parseJsonAnswer(res(big, 'text/html'), 'PUT x'), (e: PeerError) => e.kind === 'protocol' && e.message.length < 120);
  });

  it('every write runs once, none merged: decreases first, writes to one connector in the order asked', async () => {
    r = await rig();
    const order: string[] = [];
    let release!: () => void;
    const blocker = r.client.write('other', PRIORITY_NORMAL, () => new Promise<void>((res) => (release = res)));
    const writes = [
      r.client.write('b', PRIORITY_NORMAL, async () => order.push('b raise')),
      r.client.write('a', PRIORITY_NORMAL, async () => order.push('a raise 1')),
      r.client.write('a', PRIORITY_NORMAL, async () => order.push('a raise 2')),
      r.client.write('c', PRIORITY_DECREASE, async () => order.push('c decrease')),
      r.client.write('a', PRIORITY_DECREASE, async () => order.push('a decrease')),
      r.client.write('b', PRIORITY_NORMAL, async () => {
        throw new PeerError('timeout', 'b: no answer');
      }),
    ];
    release();
    await blocker;
    const results = await Promise.allSettled(writes);
    // Decreases in the order asked; the older raises of 'a' go just before its decrease, so 'a' ends at the decrease.
    assert.deepStrictEqual(order, ['c decrease', 'a raise 1', 'a raise 2', 'a decrease', 'b raise']);
    assert.deepStrictEqual(results.map((x) => x.status), ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    assert.deepStrictEqual([r.client.counters.writes, r.client.counters.failedWrites], [6, 1]);
  });

  it('read-modify-write keeps the other connector settings', async () => {
    r = await rig();
    await r.client.updateConnectorSettings(AURA_ID, 2, { cableLock: true });
    await r.client.updateConnectorSettings(AURA_ID, 2, { mode: 'Schedule' });
    const after = await r.client.updateConnectorSettings(AURA_ID, 2, { maxCurrent: 10 });
    const snap = r.emu.snapshot(AURA_ID, 2);
    assert.deepStrictEqual([snap.maxCurrent, snap.mode, snap.cableLock, snap.rfidLock], [10, 'Schedule', true, false]);
    assert.strictEqual(after.installationCurrent, 32);
    assert.deepStrictEqual(r.sent.filter((s) => s.includes(`${AURA_ID}/connectors/2/settings`)).map((s) => s.split(' ')[0]), ['GET', 'PUT', 'GET', 'PUT', 'GET', 'PUT']);
  });

  it('changes the dimmer by read-modify-write of the charge point settings', async () => {
    r = await rig();
    await r.client.updateChargePointSettings(HALO_ID, { dimmer: 'High' });
    const s = await r.client.getChargePointSettings(HALO_ID);
    assert.deepStrictEqual([s.dimmer, s.downLight], ['High', true]);
  });

  it('remote stop answers false when nothing charges, true when it stopped a session', async () => {
    r = await rig();
    assert.strictEqual(await r.client.remoteStop(HALO_ID, 1), false);
    r.emu.plugIn(HALO_ID, 1);
    assert.strictEqual(await r.client.remoteStop(HALO_ID, 1), true);
    assert.strictEqual(r.emu.snapshot(HALO_ID, 1).status, 'Finishing');
    await assert.rejects(r.client.remoteStart(HALO_ID, 1, 'xyz'), /expected a hex RFID/);
  });

  it('shares status between connectors of one charge point for a few seconds', async () => {
    r = await rig();
    await Promise.all([r.client.getStatus(AURA_ID), r.client.getStatus(AURA_ID)]);
    await r.client.getStatus(AURA_ID);
    assert.strictEqual(r.sent.filter((s) => s.endsWith('/status')).length, 1);
    await r.clock.advance(6000);
    await r.client.getStatus(AURA_ID);
    assert.strictEqual(r.sent.filter((s) => s.endsWith('/status')).length, 2);
  });

  it('clamps the poll interval to 15 s with a message', () => {
    assert.deepStrictEqual(clampPollInterval(undefined, CHARGEAMPS_POLL), { intervalS: 30, warning: null });
    assert.deepStrictEqual(clampPollInterval(60, CHARGEAMPS_POLL), { intervalS: 60, warning: null });
    const c = clampPollInterval(5, CHARGEAMPS_POLL);
    assert.strictEqual(c.intervalS, 15);
    assert.match(c.warning ?? '', /5 s is below the 15 s minimum/);
  });

  it('registry: one client and session per (base URL, email)', async () => {
    r = await rig();
    const reg = new ChargeAmpsClientRegistry();
    const opts = { baseUrl: r.emu.baseUrl, credentials: CREDENTIALS, clock: r.clock, transport: r.transport };
    const a = reg.acquire(opts);
    const b = reg.acquire({ ...opts, baseUrl: `${r.emu.baseUrl}/`, credentials: { ...CREDENTIALS, email: CREDENTIALS.email.toUpperCase() } });
    assert.strictEqual(a, b);
    const other = reg.acquire({ ...opts, credentials: { ...CREDENTIALS, email: 'second@example.com' } });
    assert.notStrictEqual(a, other);
    await Promise.all([a.listChargePoints(), b.getStatus(HALO_ID)]);
    assert.strictEqual(r.emu.counters.logins, 1);
    reg.release(a);
    assert.strictEqual(reg.size, 2);
    reg.release(b);
    reg.release(other);
    assert.strictEqual(reg.size, 0);
  });
});

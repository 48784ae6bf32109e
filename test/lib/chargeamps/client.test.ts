import assert from 'assert';
import { PeerError } from '../../../lib/errors';
import { ChargeAmpsClient, ChargeAmpsClientRegistry, clampPollInterval, PRIORITY_DECREASE, PRIORITY_NORMAL } from '../../../lib/chargeamps/client';
import { jwtExpiryMs } from '../../../lib/chargeamps/auth';
import { AURA_ID, FOREIGN_ID, HALO_ID } from '../../../lib/chargeamps/emulator';
import { CREDENTIALS, Rig, drive, rig } from './helpers';

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

  it('retries writes through 429/500 with back-off, decreases first', async () => {
    r = await rig();
    await r.client.listChargePoints();
    r.emu.failNext('429');
    r.emu.failNext('500');
    const order: string[] = [];
    const up = r.client.write('a', PRIORITY_NORMAL, async () => {
      await r.client.request('GET', `chargepoints/${HALO_ID}/settings`);
      order.push('increase');
    });
    const down = r.client.write('b', PRIORITY_DECREASE, async () => {
      await r.client.request('GET', `chargepoints/${AURA_ID}/settings`);
      order.push('decrease');
    });
    await drive(r.clock, Promise.all([up, down]));
    assert.deepStrictEqual(order, ['decrease', 'increase']);
    assert.strictEqual(r.client.counters.retriedWrites, 2);
  });

  it('a queued write is replaced by a newer one for the same target', async () => {
    r = await rig();
    const seen: number[] = [];
    let release!: () => void;
    const blocker = r.client.write('x', PRIORITY_NORMAL, () => new Promise<void>((res) => (release = res)));
    const w1 = r.client.write('cur', PRIORITY_NORMAL, async () => seen.push(10));
    const w2 = r.client.write('cur', PRIORITY_NORMAL, async () => seen.push(12));
    release();
    await Promise.all([blocker, w1, w2]);
    assert.deepStrictEqual(seen, [12]);
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
    assert.deepStrictEqual(clampPollInterval(undefined), { intervalS: 30, warning: null });
    assert.deepStrictEqual(clampPollInterval(60), { intervalS: 60, warning: null });
    const c = clampPollInterval(5);
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

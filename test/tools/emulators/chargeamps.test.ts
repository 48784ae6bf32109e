import assert from 'assert';
import { ManualClock } from '../../../lib/clock';
import { HttpRequest, nodeFetchTransport } from '../../../lib/http';
import { AURA_ID, ChargeAmpsEmulator, EMULATOR_API_KEY, EMULATOR_EMAIL, EMULATOR_PASSWORD, FOREIGN_ID, HALO_ID } from '../../../tools/emulators/chargeamps/emulator';

describe('tools/emulators/chargeamps', () => {
  let emu: ChargeAmpsEmulator;
  let clock: ManualClock;
  let base: string;
  beforeEach(async () => {
    clock = new ManualClock();
    emu = new ChargeAmpsEmulator({ clock, tokenLifetimeS: 600 });
    base = await emu.start();
  });
  afterEach(() => emu.stop());

  const call = (method: HttpRequest['method'], path: string, body?: unknown, headers: Record<string, string> = {}) =>
    nodeFetchTransport({ method, url: `${base}/${path}`, body, headers });
  const login = async () => {
    const res = await call('POST', 'auth/login', { email: EMULATOR_EMAIL, password: EMULATOR_PASSWORD }, { apiKey: EMULATOR_API_KEY });
    assert.strictEqual(res.status, 200);
    return JSON.parse(res.text) as { token: string; refreshToken: string };
  };
  const authed = async (method: HttpRequest['method'], path: string, body?: unknown) => {
    const { token } = await login();
    return call(method, path, body, { Authorization: `Bearer ${token}` });
  };

  it('refuses a login without the API key or with a wrong password', async () => {
    assert.strictEqual((await call('POST', 'auth/login', { email: EMULATOR_EMAIL, password: EMULATOR_PASSWORD })).status, 401);
    assert.strictEqual((await call('POST', 'auth/login', { email: EMULATOR_EMAIL, password: 'nope' }, { apiKey: EMULATOR_API_KEY })).status, 401);
    assert.strictEqual(emu.counters.failedLogins, 2);
  });

  it('keeps ten tokens per account and evicts the oldest on the eleventh login', async () => {
    const first = await login();
    for (let i = 0; i < 9; i++) await login();
    assert.strictEqual((await call('GET', 'chargepoints/owned', undefined, { Authorization: `Bearer ${first.token}` })).status, 200);
    await login();
    assert.strictEqual(emu.counters.evictions, 1);
    assert.strictEqual(emu.activeTokens(), 10);
    assert.strictEqual((await call('GET', 'chargepoints/owned', undefined, { Authorization: `Bearer ${first.token}` })).status, 401);
  });

  it('expires tokens on its clock and rotates both on refresh (the old pair stops working)', async () => {
    const pair = await login();
    await clock.advance(601_000);
    assert.strictEqual((await call('GET', 'chargepoints/owned', undefined, { Authorization: `Bearer ${pair.token}` })).status, 401);
    const res = await call('POST', 'auth/refreshToken', pair);
    assert.strictEqual(res.status, 200);
    const next = JSON.parse(res.text) as { token: string; refreshToken: string };
    assert.notStrictEqual(next.refreshToken, pair.refreshToken);
    assert.strictEqual((await call('GET', 'chargepoints/owned', undefined, { Authorization: `Bearer ${next.token}` })).status, 200);
    const again = await call('POST', 'auth/refreshtoken', pair);
    assert.strictEqual(again.status, 400);
    assert.ok(JSON.parse(again.text).messageCode);
  });

  it('answers 401 without a token, 403 for a foreign charge point, 404 for unknown ones', async () => {
    assert.strictEqual((await call('GET', 'chargepoints/owned')).status, 401);
    assert.strictEqual((await authed('GET', `chargepoints/${FOREIGN_ID}/status`)).status, 403);
    assert.strictEqual((await authed('GET', 'chargepoints/UNKNOWN/status')).status, 404);
    assert.strictEqual((await authed('GET', `chargepoints/${HALO_ID}/connectors/3/settings`)).status, 404);
  });

  it('matches routes and enum values case-insensitively, enums also as numbers', async () => {
    const res = await authed('GET', `ChargePoints/${HALO_ID.toLowerCase()}/Connectors/1/Settings`);
    assert.strictEqual(res.status, 200);
    const s = JSON.parse(res.text);
    assert.strictEqual(s.installationCurrent, 16);
    assert.strictEqual((await authed('PUT', `chargepoints/${HALO_ID}/connectors/1/settings`, { ...s, mode: 'schedule' })).status, 200);
    assert.strictEqual(emu.snapshot(HALO_ID, 1).mode, 'Schedule');
    assert.strictEqual((await authed('PUT', `chargepoints/${HALO_ID}/connectors/1/settings`, { ...s, mode: 0 })).status, 200);
    assert.strictEqual(emu.snapshot(HALO_ID, 1).mode, 'Off');
    assert.strictEqual((await authed('PUT', `chargepoints/${HALO_ID}/settings`, { dimmer: 'HIGH', downLight: false })).status, 200);
    assert.strictEqual(emu.snapshot(HALO_ID, 1).dimmer, 'High');
    assert.strictEqual((await authed('PUT', `chargepoints/${HALO_ID}/settings`, { dimmer: 'Blinding' })).status, 400);
  });

  it('validates maxCurrent against 0, 6..32 and the installation current', async () => {
    const body = { chargePointId: HALO_ID, connectorId: 1, rfidLock: false, mode: 'On', cableLock: false };
    for (const [a, code] of [[0, 200], [6, 200], [16, 200], [5, 400], [17, 400], [40, 400]] as const) {
      assert.strictEqual((await authed('PUT', `chargepoints/${HALO_ID}/connectors/1/settings`, { ...body, maxCurrent: a })).status, code, `${a} A`);
    }
  });

  it('a partial connector settings body resets the missing fields to their defaults', async () => {
    await authed('PUT', `chargepoints/${AURA_ID}/connectors/1/settings`, { maxCurrent: 10, mode: 'On', cableLock: true, rfidLock: false });
    await authed('PUT', `chargepoints/${AURA_ID}/connectors/1/settings`, { maxCurrent: 12 });
    const snap = emu.snapshot(AURA_ID, 1);
    assert.deepStrictEqual([snap.maxCurrent, snap.mode, snap.cableLock], [12, 'Off', false]);
  });

  it('runs the OCPP state machine: Preparing with RFID lock, remote start, remote stop, unplug', async () => {
    const s = { chargePointId: HALO_ID, connectorId: 1, maxCurrent: 16, rfidLock: true, mode: 'On', cableLock: false };
    await authed('PUT', `chargepoints/${HALO_ID}/connectors/1/settings`, s);
    emu.plugIn(HALO_ID, 1);
    assert.strictEqual(emu.snapshot(HALO_ID, 1).status, 'Preparing');
    assert.strictEqual((await authed('PUT', `chargepoints/${HALO_ID}/connectors/1/remotestart`, { rfidLength: 4, rfidFormat: 'hex', rfid: 'zz' })).status, 400);
    assert.strictEqual((await authed('PUT', `chargepoints/${HALO_ID}/connectors/1/remotestart`, { rfidLength: 4, rfidFormat: 'hex', rfid: '7FFFFFF0' })).status, 200);
    assert.strictEqual(emu.snapshot(HALO_ID, 1).status, 'Charging');
    const status = JSON.parse((await authed('GET', `chargepoints/${HALO_ID}/status`)).text);
    assert.strictEqual(status.connectorStatuses[0].measurements.length, 3);
    assert.strictEqual(status.connectorStatuses[0].chargingPowerKw, 11.04);
    assert.strictEqual(status.connectorStatuses[1].measurements, null);
    assert.strictEqual((await authed('PUT', `chargepoints/${HALO_ID}/connectors/1/remotestop`)).status, 403, 'empty body');
    assert.strictEqual((await authed('PUT', `chargepoints/${HALO_ID}/connectors/1/remotestop`, {})).status, 200);
    assert.strictEqual(emu.snapshot(HALO_ID, 1).status, 'Finishing');
    assert.strictEqual((await authed('PUT', `chargepoints/${HALO_ID}/connectors/1/remotestop`, {})).status, 400, 'nothing charging');
    emu.unplug(HALO_ID, 1);
    assert.strictEqual(emu.snapshot(HALO_ID, 1).status, 'Available');
  });

  it('holds current back (SuspendedEVSE) at 0 A and keeps the session', async () => {
    emu.plugIn(HALO_ID, 1);
    await authed('PUT', `chargepoints/${HALO_ID}/connectors/1/settings`, { maxCurrent: 0, rfidLock: false, mode: 'On', cableLock: false });
    assert.deepStrictEqual([emu.snapshot(HALO_ID, 1).status, emu.snapshot(HALO_ID, 1).sessions], ['SuspendedEVSE', 0]);
  });

  it('with a command latency the cloud reports new settings at once and the car follows that much later', async () => {
    const slow = new ChargeAmpsEmulator({ clock, commandLatencyMs: 20_000 });
    const url = await slow.start();
    try {
      slow.plugIn(AURA_ID, 1, { phases: 3, maxCurrentA: 16 });
      const { token } = JSON.parse((await nodeFetchTransport({ method: 'POST', url: `${url}/auth/login`, body: { email: EMULATOR_EMAIL, password: EMULATOR_PASSWORD }, headers: { apiKey: EMULATOR_API_KEY } })).text);
      const put = (body: unknown) => nodeFetchTransport({ method: 'PUT', url: `${url}/chargepoints/${AURA_ID}/connectors/1/settings`, body, headers: { Authorization: `Bearer ${token}` } });
      assert.strictEqual(slow.snapshot(AURA_ID, 1).drawA, 16);
      await put({ maxCurrent: 8, rfidLock: false, mode: 'On', cableLock: false });
      assert.deepStrictEqual([slow.snapshot(AURA_ID, 1).maxCurrent, slow.snapshot(AURA_ID, 1).drawA], [8, 16], 'reported at once, not applied yet');
      await clock.advance(19_000);
      assert.strictEqual(slow.snapshot(AURA_ID, 1).drawA, 16);
      await clock.advance(1_000);
      assert.strictEqual(slow.snapshot(AURA_ID, 1).drawA, 8, 'the car follows after 20 s');
      await put({ maxCurrent: 8, rfidLock: false, mode: 'Off', cableLock: false });
      assert.strictEqual(slow.snapshot(AURA_ID, 1).drawA, 8, 'a pause takes as long');
      await clock.advance(20_000);
      assert.deepStrictEqual([slow.snapshot(AURA_ID, 1).drawA, slow.snapshot(AURA_ID, 1).status], [0, 'Connected']);
    } finally {
      await slow.stop();
    }
  });

  it('CAPI: mode Off ends the session (Connected), sessions are listed newest first', async () => {
    emu.plugIn(AURA_ID, 1, { phases: 3, maxCurrentA: 16 });
    await clock.advance(1800_000);
    await authed('PUT', `chargepoints/${AURA_ID}/connectors/1/settings`, { maxCurrent: 16, rfidLock: false, mode: 'Off', cableLock: false });
    assert.strictEqual(emu.snapshot(AURA_ID, 1).status, 'Connected');
    await authed('PUT', `chargepoints/${AURA_ID}/connectors/1/settings`, { maxCurrent: 16, rfidLock: false, mode: 'On', cableLock: false });
    const list = JSON.parse((await authed('GET', `chargepoints/${AURA_ID}/connectors/1/chargingsessions?maxCount=5`)).text);
    assert.strictEqual(list.length, 2);
    assert.ok(list[0].id > list[1].id);
    assert.strictEqual(list[0].endTime, null);
    assert.strictEqual(list[1].totalConsumptionKwh, 5.52);
  });

  it('fault switches: 429, 500, garbage, slow, offline', async () => {
    emu.failNext('429');
    emu.failNext('500');
    emu.failNext('garbage');
    assert.strictEqual((await call('GET', 'chargepoints/owned')).status, 429);
    assert.strictEqual((await call('GET', 'chargepoints/owned')).status, 500);
    assert.ok((await call('GET', 'chargepoints/owned')).text.startsWith('<html>'));
    emu.slowMs = 300;
    await assert.rejects(nodeFetchTransport({ url: `${base}/chargepoints/owned`, timeoutMs: 50 }), /no answer within 50 ms/);
    emu.slowMs = 0;
    emu.setOnline(AURA_ID, false);
    const status = JSON.parse((await authed('GET', `chargepoints/${AURA_ID}/status`)).text);
    assert.strictEqual(status.status, 'Offline');
  });

  it('failNext html200: 200 with an HTML maintenance page; 429 with Retry-After in seconds or as an HTTP-date', async () => {
    const { token } = await login();
    const auth = { Authorization: `Bearer ${token}` };
    const put = () => call('PUT', `chargepoints/${AURA_ID}/connectors/1/settings`, { maxCurrent: 8, rfidLock: false, mode: 'On', cableLock: false }, auth);
    emu.failNext('html200', 2);
    for (let i = 0; i < 2; i++) {
      const res = await put();
      assert.strictEqual(res.status, 200);
      assert.match(res.headers['content-type'], /^text\/html/);
      assert.ok(res.text.startsWith('<!DOCTYPE html>'));
    }
    assert.strictEqual(emu.snapshot(AURA_ID, 1).maxCurrent, 32, 'the maintenance page changed nothing');
    emu.failNext('429', 1, { retryAfterS: 30 });
    emu.failNext('429', 1, { retryAfterS: 90, retryAfterAsDate: true });
    emu.failNext('429');
    const a = await put();
    assert.deepStrictEqual([a.status, a.headers['retry-after']], [429, '30']);
    const b = await put();
    assert.strictEqual(b.status, 429);
    assert.strictEqual(Date.parse(b.headers['retry-after']), clock.nowMs() + 90_000);
    const c = await put();
    assert.deepStrictEqual([c.status, c.headers['retry-after']], [429, undefined]);
    assert.strictEqual(emu.counters.puts, 5);
    assert.strictEqual((await put()).status, 200);
    assert.strictEqual(emu.snapshot(AURA_ID, 1).maxCurrent, 8);
  });

  describe('device fault switches (over HTTP)', () => {
    const settings = (connector: number, change: Record<string, unknown>) =>
      authed('PUT', `chargepoints/${AURA_ID}/connectors/${connector}/settings`, { maxCurrent: 16, rfidLock: false, mode: 'On', cableLock: false, ...change });
    const measured = async (cp: string, connector: number): Promise<number[]> => {
      const status = JSON.parse((await authed('GET', `chargepoints/${cp}/status`)).text);
      const c = status.connectorStatuses.find((x: { connectorId: number }) => x.connectorId === connector);
      return (c.measurements ?? []).map((m: { current: number }) => m.current);
    };
    const connectorSettings = async (cp: string, connector: number) => JSON.parse((await authed('GET', `chargepoints/${cp}/connectors/${connector}/settings`)).text);

    it('setIgnoreLimit: a new maxCurrent is accepted and reported, the measured current stays', async () => {
      emu.plugIn(AURA_ID, 1, { phases: 3, maxCurrentA: 16 });
      await settings(1, { maxCurrent: 16 });
      emu.setIgnoreLimit(AURA_ID, 1, true);
      assert.strictEqual((await settings(1, { maxCurrent: 6 })).status, 200);
      await clock.advance(60_000);
      assert.strictEqual((await connectorSettings(AURA_ID, 1)).maxCurrent, 6);
      assert.deepStrictEqual(await measured(AURA_ID, 1), [16, 16, 16]);
      assert.strictEqual(emu.snapshot(AURA_ID, 1).drawA, 16);
      emu.setIgnoreLimit(AURA_ID, 1, false);
      assert.deepStrictEqual(await measured(AURA_ID, 1), [6, 6, 6]);
    });

    it('setIgnorePause (CAPI): mode Off is accepted and reported, the session keeps charging', async () => {
      emu.plugIn(AURA_ID, 2, { phases: 1, maxCurrentA: 16 });
      await settings(2, { maxCurrent: 10 });
      emu.setIgnorePause(AURA_ID, 2, true);
      assert.strictEqual((await settings(2, { maxCurrent: 10, mode: 'Off' })).status, 200);
      await clock.advance(60_000);
      assert.strictEqual((await connectorSettings(AURA_ID, 2)).mode, 'Off');
      assert.deepStrictEqual(await measured(AURA_ID, 2), [10, 0, 0]);
      assert.deepStrictEqual([emu.snapshot(AURA_ID, 2).status, emu.snapshot(AURA_ID, 2).sessions], ['Charging', 0]);
      emu.setIgnorePause(AURA_ID, 2, false);
      assert.deepStrictEqual([emu.snapshot(AURA_ID, 2).drawA, emu.snapshot(AURA_ID, 2).status], [0, 'Connected']);
    });

    it('setIgnorePause (OCPP): a remote stop answers OK and changes nothing', async () => {
      const off = new ChargeAmpsEmulator({ clock, ocppModeOffKeepsCharging: false });
      const offBase = await off.start();
      try {
        off.plugIn(HALO_ID, 1, { phases: 3, maxCurrentA: 16 });
        off.setIgnorePause(HALO_ID, 1, true);
        const { token } = JSON.parse((await nodeFetchTransport({ method: 'POST', url: `${offBase}/auth/login`, body: { email: EMULATOR_EMAIL, password: EMULATOR_PASSWORD }, headers: { apiKey: EMULATOR_API_KEY } })).text);
        const auth = { Authorization: `Bearer ${token}` };
        const body = { maxCurrent: 16, rfidLock: false, mode: 'Off', cableLock: false };
        assert.strictEqual((await nodeFetchTransport({ method: 'PUT', url: `${offBase}/chargepoints/${HALO_ID}/connectors/1/settings`, body, headers: auth })).status, 200);
        assert.strictEqual((await nodeFetchTransport({ method: 'PUT', url: `${offBase}/chargepoints/${HALO_ID}/connectors/1/remotestop`, body: {}, headers: auth })).status, 200);
        assert.deepStrictEqual([off.snapshot(HALO_ID, 1).status, off.snapshot(HALO_ID, 1).drawA, off.snapshot(HALO_ID, 1).mode], ['Charging', 16, 'Off']);
        off.setIgnorePause(HALO_ID, 1, false);
        assert.strictEqual(off.snapshot(HALO_ID, 1).drawA, 0, 'mode Off holds once the fault is gone');
      } finally {
        await off.stop();
      }
    });
  });
});

import assert from 'assert';
import { ChargeAmpsConnectorCharger, listConnectors, validateCurrent } from '../../../lib/chargeamps/charger';
import { CAPI_STATUSES, OCPP_STATUSES, connectorState } from '../../../lib/chargeamps/status';
import { AURA_ID, HALO_ID } from '../../../tools/emulators/chargeamps/emulator';
import { PeerError } from '../../../lib/errors';
import { PRIORITY_NORMAL } from '../../../lib/chargeamps/client';
import { Rig, drive, rig } from './helpers';

describe('lib/chargeamps/charger', () => {
  let r: Rig;
  afterEach(async () => r?.stop());
  const charger = (cp: string, n: number) => new ChargeAmpsConnectorCharger({ client: r.client, chargePointId: cp, connectorId: n });

  it('lists one entry per connector: Halo Type 2 + Schuko, Aura two Type 2', async () => {
    r = await rig();
    const list = await listConnectors(r.client);
    assert.deepStrictEqual(
      list.map((c) => [c.id, c.name, c.schuko]),
      [
        [`${HALO_ID}:1`, 'HALO_090652M Type 2', false],
        [`${HALO_ID}:2`, 'HALO_090652M Schuko', true],
        [`${AURA_ID}:1`, 'AURA_037142M Type 2 (1)', false],
        [`${AURA_ID}:2`, 'AURA_037142M Type 2 (2)', false],
      ],
    );
  });

  it('a charge point read-only for the account (ownerReadOnly): listed as such; a write says so instead of "no access"', async () => {
    r = await rig({
      chargePoints: [
        { id: HALO_ID, name: 'HALO_090652M', model: 'HALO', protocol: 'ocpp', readOnly: true },
        { id: AURA_ID, name: 'AURA_037142M', model: 'AURA', protocol: 'capi' },
      ],
    });
    const list = await listConnectors(r.client);
    assert.deepStrictEqual(list.map((c) => [c.id, c.readOnly]), [[`${HALO_ID}:1`, true], [`${HALO_ID}:2`, true], [`${AURA_ID}:1`, false], [`${AURA_ID}:2`, false]]);
    const halo = charger(HALO_ID, 1);
    await halo.getStatus();
    await assert.rejects(drive(r.clock, halo.setCurrentLimit(8)), (err: Error) => {
      assert.ok(err instanceof PeerError && err.kind === 'auth' && err.status === 403);
      assert.match(err.message, new RegExp(`^Charge point ${HALO_ID} is read-only for this account \\(an organisation setting of Charge Amps\\)`));
      return true;
    });
    const aura = charger(AURA_ID, 1);
    await aura.getStatus();
    await drive(r.clock, aura.setCurrentLimit(8));
  });

  it('regression: a limit set before the first poll (a cut, for all it knows) goes before queued raises', async () => {
    r = await rig();
    let release!: () => void;
    const blocker = r.client.write('other', PRIORITY_NORMAL, () => new Promise<void>((res) => (release = res)));
    const raise = r.client.updateConnectorSettings(AURA_ID, 1, { maxCurrent: 16 }, PRIORITY_NORMAL);
    const cut = charger(HALO_ID, 1).setCurrentLimit(6);
    release();
    await Promise.all([blocker, drive(r.clock, Promise.all([raise, cut]))]);
    const puts = r.sent.filter((s) => s.startsWith('PUT '));
    assert.deepStrictEqual(puts, [`PUT chargepoints/${HALO_ID}/connectors/1/settings`, `PUT chargepoints/${AURA_ID}/connectors/1/settings`]);
  });

  it('charges a 3-phase car at the offered current and follows maxCurrent', async () => {
    r = await rig();
    const c = charger(HALO_ID, 1);
    assert.deepStrictEqual([c.id, c.brand, c.latencyClass, c.minCurrentA], [`${HALO_ID}:1`, 'chargeamps', 'cloud', 6]);
    r.emu.plugIn(HALO_ID, 1, { phases: 3, maxCurrentA: 16 });
    let s = await c.getStatus();
    assert.deepStrictEqual([s.state, s.activePhases, s.currentLimitA], ['charging', 3, 16]);
    assert.strictEqual(c.maxCurrentA, 16, 'installation current of the Halo');
    await c.setCurrentLimit(8);
    await r.clock.advance(6000);
    s = await c.getStatus();
    assert.deepStrictEqual(s.phases.map((p) => p.currentA), [8, 8, 8]);
    assert.strictEqual(s.powerW, 3 * 8 * 230);
  });

  it('a 1-phase car on an Aura connector draws on L1 only, capped by the car', async () => {
    r = await rig();
    r.emu.plugIn(AURA_ID, 2, { phases: 1, maxCurrentA: 13 });
    const s = await charger(AURA_ID, 2).getStatus();
    assert.deepStrictEqual(s.phases.map((p) => p.currentA), [13, 0, 0]);
    assert.strictEqual(s.activePhases, 1);
    assert.strictEqual((await charger(AURA_ID, 1).getStatus()).state, 'idle');
  });

  it('rejects out-of-range currents before any request', async () => {
    r = await rig();
    const c = charger(HALO_ID, 1);
    for (const bad of [3, 33, -1, NaN]) {
      await assert.rejects(c.setCurrentLimit(bad), /current limit: expected/);
    }
    assert.strictEqual(r.sent.length, 0);
    await c.getStatus();
    const before = r.sent.length;
    await assert.rejects(c.setCurrentLimit(20), /20 A is above the installation current of 16 A/);
    assert.strictEqual(r.sent.length, before);
    assert.throws(() => validateCurrent(5.5), /expected 0 or 6 to 32 A/);
    assert.strictEqual(validateCurrent(0), 0);
    assert.strictEqual(validateCurrent(10.7), 10);
  });

  it('checks the installation current inside the read-modify-write when not known yet', async () => {
    r = await rig();
    await assert.rejects(charger(HALO_ID, 1).setCurrentLimit(20), /installation current of 16 A/);
    assert.ok(!r.sent.some((s) => s.startsWith('PUT')));
  });

  it('every command writes, even a value that looks already set (what to repeat is the caller\'s call)', async () => {
    r = await rig();
    const c = charger(AURA_ID, 1);
    r.emu.plugIn(AURA_ID, 1);
    await c.getStatus();
    const puts = () => r.sent.filter((s) => s.startsWith('PUT')).length;
    await c.setCurrentLimit(12);
    await c.setCurrentLimit(12);
    assert.strictEqual(puts(), 2);
    await c.pause();
    await c.pause();
    assert.strictEqual(puts(), 4);
    await c.resume();
    await c.resume();
    await c.setCableLock(true);
    await c.setCableLock(true);
    assert.strictEqual(puts(), 8);
    const snap = r.emu.snapshot(AURA_ID, 1);
    assert.deepStrictEqual([snap.maxCurrent, snap.mode, snap.cableLock, snap.status], [12, 'On', true, 'Charging']);
  });

  it('a decrease right after a 429 with Retry-After goes out at once; the error carries the server\'s delay', async () => {
    r = await rig();
    const c = charger(HALO_ID, 1);
    r.emu.plugIn(HALO_ID, 1, { phases: 3, maxCurrentA: 16 });
    await c.getStatus();
    r.emu.failNext('429', 1, { retryAfterS: 120 });
    await assert.rejects(c.setCurrentLimit(10), (e: PeerError) => e.status === 429 && e.retryAfterMs === 120_000);
    const startMs = r.clock.monoMs();
    await c.setCurrentLimit(6); // no clock time passes: it is not held back by the read back-off
    assert.strictEqual(r.clock.monoMs(), startMs);
    assert.deepStrictEqual([r.emu.snapshot(HALO_ID, 1).maxCurrent, r.emu.snapshot(HALO_ID, 1).drawA], [6, 6]);
  });

  it('a cut answered by a 200 HTML maintenance page fails and is not taken as landed; the same cut again writes', async () => {
    r = await rig();
    const c = charger(AURA_ID, 1);
    r.emu.plugIn(AURA_ID, 1);
    await c.getStatus();
    r.emu.failNext('html200');
    await assert.rejects(c.setCurrentLimit(6), (e: PeerError) => e.kind === 'protocol');
    assert.strictEqual(r.emu.snapshot(AURA_ID, 1).maxCurrent, 32);
    await c.setCurrentLimit(6);
    assert.strictEqual(r.emu.snapshot(AURA_ID, 1).drawA, 6);
  });

  it('0 A holds a session back without ending it', async () => {
    r = await rig();
    const c = charger(AURA_ID, 1);
    r.emu.plugIn(AURA_ID, 1);
    await c.setCurrentLimit(0);
    await r.clock.advance(6000);
    const s = await c.getStatus();
    assert.deepStrictEqual([s.state, s.chargingAllowed, s.powerW], ['connected', false, 0]);
    assert.strictEqual(r.emu.snapshot(AURA_ID, 1).sessions, 0, 'session ended');
  });

  it('pause/resume on a CAPI charger uses the mode and keeps the other settings', async () => {
    r = await rig();
    const c = charger(AURA_ID, 1);
    r.emu.plugIn(AURA_ID, 1);
    await c.setCableLock(true);
    await c.getStatus();
    await c.pause();
    assert.deepStrictEqual([r.emu.snapshot(AURA_ID, 1).mode, r.emu.snapshot(AURA_ID, 1).cableLock, r.emu.snapshot(AURA_ID, 1).drawA], ['Off', true, 0]);
    assert.ok(!r.sent.some((s) => s.includes('remotestop')));
    await c.resume();
    assert.deepStrictEqual([r.emu.snapshot(AURA_ID, 1).mode, r.emu.snapshot(AURA_ID, 1).status], ['On', 'Charging']);
  });

  it('pause on an OCPP charger that keeps charging after mode Off also stops remotely; resume charges again', async () => {
    r = await rig();
    const c = charger(HALO_ID, 1);
    r.emu.plugIn(HALO_ID, 1);
    await c.getStatus();
    await c.pause();
    const snap = r.emu.snapshot(HALO_ID, 1);
    assert.deepStrictEqual([snap.mode, snap.drawA, snap.status], ['Off', 0, 'Finishing']);
    assert.ok(r.sent.some((s) => s.includes('remotestop')));
    await c.resume();
    assert.strictEqual(r.emu.snapshot(HALO_ID, 1).status, 'Charging');
  });

  it('pause on OCPP stops a session that started after the last poll (the poll showed no car)', async () => {
    r = await rig();
    const c = charger(HALO_ID, 1);
    assert.strictEqual((await c.getStatus()).state, 'idle');
    r.emu.plugIn(HALO_ID, 1); // the car arrives between two polls
    await c.pause();
    const snap = r.emu.snapshot(HALO_ID, 1);
    assert.deepStrictEqual([snap.mode, snap.drawA], ['Off', 0]);
    assert.ok(r.sent.some((s) => s.includes('remotestop')));
  });

  it('pause on OCPP with no session at all switches Off; the cloud\'s "no session" answer is not an error', async () => {
    r = await rig();
    const c = charger(HALO_ID, 1);
    await c.getStatus();
    await c.pause();
    assert.strictEqual(r.emu.snapshot(HALO_ID, 1).mode, 'Off');
  });

  it('resume restores Schedule when that was the mode before the pause', async () => {
    r = await rig();
    await r.client.updateConnectorSettings(AURA_ID, 2, { mode: 'Schedule' });
    const c = charger(AURA_ID, 2);
    await c.getStatus();
    await c.pause();
    await c.resume();
    assert.strictEqual(r.emu.snapshot(AURA_ID, 2).mode, 'Schedule');
  });

  it('a pause before the first poll still remembers Schedule and resume restores it', async () => {
    r = await rig();
    await r.client.updateConnectorSettings(AURA_ID, 2, { mode: 'Schedule' });
    const c = charger(AURA_ID, 2);
    await c.pause();
    assert.strictEqual(r.emu.snapshot(AURA_ID, 2).mode, 'Off');
    await c.resume();
    assert.strictEqual(r.emu.snapshot(AURA_ID, 2).mode, 'Schedule');
  });

  it('a Schedule paused before an app restart is resumed to Schedule (the mode lives in the store)', async () => {
    r = await rig();
    await r.client.updateConnectorSettings(AURA_ID, 1, { mode: 'Schedule' });
    const kept: { mode?: unknown } = {};
    const resumeMode = { load: () => kept.mode, save: async (m: unknown) => void (kept.mode = m) };
    const before = new ChargeAmpsConnectorCharger({ client: r.client, chargePointId: AURA_ID, connectorId: 1, resumeMode });
    await before.getStatus();
    await before.pause();
    assert.strictEqual(r.emu.snapshot(AURA_ID, 1).mode, 'Off');
    const after = new ChargeAmpsConnectorCharger({ client: r.client, chargePointId: AURA_ID, connectorId: 1, resumeMode }); // app restarted
    await after.getStatus();
    await after.pause(); // a repeated pause (mode already Off) keeps Schedule
    await after.resume();
    assert.deepStrictEqual([r.emu.snapshot(AURA_ID, 1).mode, kept.mode], ['Schedule', null]);
  });

  it('reports every status string the emulator is told to send', async () => {
    r = await rig();
    for (const [cp, names, proto] of [[HALO_ID, OCPP_STATUSES, 'ocpp'], [AURA_ID, CAPI_STATUSES, 'capi']] as const) {
      const c = charger(cp, 1);
      for (const name of names) {
        r.emu.forceStatus(cp, 1, name);
        await r.clock.advance(6000);
        const s = await c.getStatus();
        assert.strictEqual(s.state, connectorState(name, proto).state, `${cp} ${name}`);
      }
    }
  });

  it('a charge point going offline and back is reported per connector', async () => {
    r = await rig();
    const [c1, c2] = [charger(HALO_ID, 1), charger(HALO_ID, 2)];
    r.emu.plugIn(HALO_ID, 2, { phases: 1, maxCurrentA: 8 });
    assert.strictEqual((await c2.getStatus()).powerW, 8 * 230);
    r.emu.setOnline(HALO_ID, false);
    await r.clock.advance(6000);
    for (const c of [c1, c2]) assert.deepStrictEqual([(await c.getStatus()).online, (await c.getStatus()).state], [false, 'unknown']);
    r.emu.setOnline(HALO_ID, true);
    await r.clock.advance(6000);
    assert.deepStrictEqual([(await c2.getStatus()).online, (await c2.getStatus()).state], [true, 'charging']);
  });

  it('a faulted connector reports an error', async () => {
    r = await rig();
    r.emu.setFault(AURA_ID, 1, true);
    const s = await charger(AURA_ID, 1).getStatus();
    assert.strictEqual(s.state, 'error');
    assert.ok(s.error);
  });

  it('builds a lifetime meter from history and the live session that never goes backwards', async () => {
    r = await rig();
    r.emu.addHistory(AURA_ID, 1, 12.5, r.clock.nowMs() - 86_400_000, r.clock.nowMs() - 80_000_000);
    const c = charger(AURA_ID, 1);
    assert.strictEqual((await c.getStatus()).totalEnergyWh, 12_500);
    r.emu.plugIn(AURA_ID, 1, { phases: 3, maxCurrentA: 16 });
    await r.clock.advance(3600_000);
    const during = await c.getStatus();
    assert.ok(during.sessionEnergyWh! > 10_000, `session ${during.sessionEnergyWh}`);
    assert.strictEqual(during.totalEnergyWh, 12_500 + during.sessionEnergyWh!);
    await r.clock.advance(60_000);
    r.emu.unplug(AURA_ID, 1);
    await r.clock.advance(6000);
    const after = await c.getStatus();
    assert.strictEqual(after.sessionEnergyWh, 0);
    assert.ok(after.totalEnergyWh! >= during.totalEnergyWh!);
    assert.strictEqual(after.totalEnergyWh, 12_500 + Math.round((16 * 3 * 230 * 3660) / 3600)); // 16 A on 3 phases for 61 min
  });

  it('a car that is full is reported complete (SuspendedEV)', async () => {
    r = await rig();
    r.emu.plugIn(HALO_ID, 1, { phases: 3, maxCurrentA: 16, capacityKwh: 1 });
    await r.clock.advance(3600_000);
    assert.strictEqual((await charger(HALO_ID, 1).getStatus()).state, 'complete');
  });

  it('many devices polling with short-lived tokens never evict a token', async () => {
    r = await rig({ tokenLifetimeS: 120 });
    const chargers = [charger(HALO_ID, 1), charger(HALO_ID, 2), charger(AURA_ID, 1), charger(AURA_ID, 2)];
    r.emu.plugIn(AURA_ID, 2);
    for (let i = 0; i < 30; i++) {
      await drive(r.clock, Promise.all(chargers.map((c) => c.getStatus())));
      if (i % 5 === 0) await drive(r.clock, chargers[2].setCurrentLimit(6 + i / 5));
      await r.clock.advance(30_000);
    }
    assert.strictEqual(r.emu.counters.logins, 1);
    assert.strictEqual(r.emu.counters.evictions, 0);
    assert.ok(r.emu.activeTokens() <= 1);
  });
});

import assert from 'assert';
import fs from 'fs';
import fetch from 'node-fetch';
import path from 'path';
import { ManualClock } from '../../../lib/clock';
import { GOE_PROFILES, GoeEmulator, GoeEmulatorOptions, GoeProfile } from '../../../tools/emulators/goe/emulator';

/** The keys of the real fw 053.1 MQTT capture bundled in test/fixtures (Apache-2.0, see ATTRIBUTION.md). */
function captureKeys053(): string[] {
  const text = fs.readFileSync(path.join(__dirname, '../../fixtures/goe/goe_v2_mqtt_capture_fw053.1_sorted.log'), 'utf8');
  return [...new Set(text.split('\n').filter(Boolean).map((line) => line.split(' ')[0].split('/')[3]))];
}

/** ../shared/realdata next to the repository: real data we may test with but not redistribute. */
const SHARED = path.join(__dirname, '..', '..', '..', '..', 'shared', 'realdata');

describe('tools/emulators/goe', () => {
  let emu: GoeEmulator;
  const clock = (): ManualClock => emu.clock as ManualClock;
  async function start(options: GoeEmulatorOptions): Promise<void> {
    emu = new GoeEmulator({ clock: new ManualClock(), ...options });
    await emu.start();
  }
  async function get(path: string): Promise<{ status: number; text: string; json: () => Record<string, unknown> }> {
    const res = await fetch(`${emu.url}${path}`);
    const text = await res.text();
    return { status: res.status, text, json: () => JSON.parse(text) };
  }
  afterEach(async () => emu?.stop());

  it('answers v2 sets per key: true, range errors, read-only keys, invalid JSON (HTTP 500 on any failure)', async () => {
    await start({ profile: 'v2-055' });
    const ok = await get('/api/set?amp=10&frc=1');
    assert.strictEqual(ok.status, 200);
    assert.deepStrictEqual(ok.json(), { amp: true, frc: true });
    const bad = await get('/api/set?amp=5');
    assert.strictEqual(bad.status, 500);
    assert.deepStrictEqual(bad.json(), { amp: 'amp: failed: Value 5 exceeds range 6 to 32 (5)' });
    assert.deepStrictEqual((await get('/api/set?alw=true')).json(), { alw: 'alw: tried to set api key without setter (true)' });
    assert.match(String((await get('/api/set?fna=new_name')).json().fna), /invalid json InvalidInput \(new_name\)/);
    assert.strictEqual(emu.ampPersisted, 10);
  });

  it('filters v2 status keys (comma and legacy JSON-array form); 60.x answers 400 for unknown keys', async () => {
    await start({ profile: 'v2-055' });
    assert.deepStrictEqual(Object.keys((await get('/api/status?filter=amp,car,nope')).json()), ['amp', 'car']);
    assert.deepStrictEqual(Object.keys((await get('/api/status?filter=["alw","amp"]')).json()), ['alw', 'amp']);
    assert.strictEqual((await get('/status')).status, 404);
    await emu.stop();
    await start({ profile: 'v2-060' });
    const res = await get('/api/status?filter=amp,cbl');
    assert.strictEqual(res.status, 400);
    assert.deepStrictEqual(res.json(), { amp: 16 });
    assert.match((await get('/mqtt?payload=amp=10')).text, /Nothing matches the given URI/);
  });

  it('v1: string values, invalid sets leave the value unchanged, amx only where the firmware has it', async () => {
    await start({ profile: 'v1-020' });
    const s = (await get('/mqtt?payload=amp=40')).json();
    assert.strictEqual(s.amp, '16');
    assert.strictEqual((await get('/mqtt?payload=amx=10')).json().amp, '16');
    assert.strictEqual((await get('/mqtt?payload=amp=12')).json().amp, '12');
    assert.strictEqual((await get('/api/status')).status, 404);
    assert.ok(Array.isArray(s.nrg));
    assert.strictEqual(typeof s.car, 'string');
  });

  it('car model: delay, min(limit, car max) on its phases, consistent nrg, complete at the target energy, frc reset on unplug', async () => {
    await start({ profile: 'v2-055', startDelayMs: 1500, ampA: 16 });
    emu.plugIn({ maxCurrentA: 13, phases: 1, needWh: 1000 });
    await clock().advance(1000);
    assert.strictEqual(emu.v2Status().car, 3);
    await clock().advance(500);
    const st = emu.v2Status();
    assert.strictEqual(st.car, 2);
    const nrg = st.nrg as number[];
    assert.deepStrictEqual(nrg.slice(4, 7), [13, 0, 0]);
    assert.strictEqual(nrg[7], nrg[0] * nrg[4]);
    assert.strictEqual(nrg[11], nrg[7] + nrg[8] + nrg[9]);
    assert.deepStrictEqual(st.pha, [true, false, false, true, true, true]);
    await clock().advance(3_600_000);
    const done = emu.v2Status();
    assert.strictEqual(done.car, 4);
    assert.strictEqual(done.wh, 1000);
    assert.strictEqual((done.nrg as number[])[11], 0);
    emu.frc = 1;
    emu.unplug();
    assert.strictEqual(emu.v2Status().frc, 0);
    assert.strictEqual(emu.v2Status().car, 1);
  });

  it('the 16 A adapter (adi, as in both real captures): amp 20 is accepted and shown, the car gets 16 A; v1 adi "1"', async () => {
    await start({ profile: 'v2-055', startDelayMs: 0, adapter16A: true });
    assert.deepStrictEqual((await get('/api/set?amp=20')).json(), { amp: true });
    emu.plugIn({ maxCurrentA: 32, phases: 3 }, 32);
    await clock().advance(1000);
    const st = (await get('/api/status?filter=adi,amp,acu,nrg')).json();
    assert.deepStrictEqual([st.adi, st.amp, st.acu], [true, 20, 16]);
    assert.deepStrictEqual((st.nrg as number[]).slice(4, 7), [16, 16, 16]);
    await emu.stop();
    await start({ profile: 'v1-020', adapter16A: true });
    assert.strictEqual((await get('/status')).json().adi, '1');
  });

  it('v1 nrg uses 0.1 A / 0.1 kW / 0.01 kW and dws deka-watt-seconds', async () => {
    await start({ profile: 'v1-042', startDelayMs: 0 });
    emu.plugIn({ maxCurrentA: 16, phases: 3, needWh: 50_000 });
    await clock().advance(1000);
    const s = emu.v1Status();
    const nrg = s.nrg as number[];
    assert.deepStrictEqual(nrg.slice(4, 7), [160, 160, 160]);
    assert.deepStrictEqual(nrg.slice(7, 10), [37, 37, 37]);
    assert.strictEqual(nrg[11], 1104);
    assert.strictEqual(s.pha, String(63));
    assert.strictEqual(Number(s.dws), Math.round(emu.sessionWh * 360));
  });

  it('cloud: token required on v2, v1 api_status wrapper', async () => {
    await start({ profile: 'v2-055', cloudToken: 'tok-123456' });
    assert.strictEqual((await get('/api/status')).status, 401);
    assert.strictEqual((await get('/api/status?token=tok-123456')).status, 200);
    assert.strictEqual((await get('/api/set?token=tok-123456&amp=3')).status, 422);
    await emu.stop();
    await start({ profile: 'v1-020', cloudToken: 'tok-123456' });
    assert.deepStrictEqual((await get('/api_status?token=x')).json(), { success: false, error: 'wrong token' });
    const ok = (await get('/api_status?token=tok-123456')).json();
    assert.strictEqual(ok.success, true);
    assert.strictEqual((ok.data as Record<string, unknown>).sse, emu.serial);
  });

  describe('device fault switches (over HTTP)', () => {
    const phaseA = async (): Promise<number[]> => ((await get('/api/status?filter=nrg')).json().nrg as number[]).slice(4, 7);

    it('ignoreLimit: amp is accepted and reported, the car keeps the current it drew when the switch went on', async () => {
      await start({ profile: 'v2-055', startDelayMs: 0, ampA: 16 });
      emu.plugIn({ maxCurrentA: 16, phases: 3, needWh: 50_000 });
      await clock().advance(1000);
      emu.faults.ignoreLimit = true;
      assert.deepStrictEqual((await get('/api/set?amp=6')).json(), { amp: true });
      await clock().advance(5000);
      const st = (await get('/api/status?filter=amp,acu,nrg')).json();
      assert.deepStrictEqual([st.amp, st.acu], [6, 6], 'the status reports the new limit');
      assert.deepStrictEqual(await phaseA(), [16, 16, 16]);
      assert.strictEqual(emu.drawA, 16);
      emu.faults.ignoreLimit = false;
      assert.deepStrictEqual(await phaseA(), [6, 6, 6], 'obeys again once the switch is off');
    });

    it('ignoreLimit on v1: amx is accepted, the phases keep their current', async () => {
      await start({ profile: 'v1-042', startDelayMs: 0, ampA: 16 });
      emu.plugIn({ maxCurrentA: 16, phases: 3, needWh: 50_000 });
      await clock().advance(1000);
      emu.faults.ignoreLimit = true;
      const s = (await get('/mqtt?payload=amx=8')).json();
      assert.strictEqual(s.amx, '8');
      assert.deepStrictEqual((s.nrg as number[]).slice(4, 7), [160, 160, 160]);
    });

    it('ignorePause: frc=1 is accepted and reported (alw false) but the car keeps charging', async () => {
      await start({ profile: 'v2-060', startDelayMs: 0, ampA: 10 });
      emu.plugIn({ maxCurrentA: 16, phases: 3, needWh: 50_000 });
      await clock().advance(1000);
      emu.faults.ignorePause = true;
      assert.deepStrictEqual((await get('/api/set?frc=1')).json(), { frc: true });
      await clock().advance(60_000);
      const st = (await get('/api/status?filter=frc,alw,car,nrg')).json();
      assert.deepStrictEqual([st.frc, st.alw, st.car], [1, false, 2]);
      assert.deepStrictEqual(await phaseA(), [10, 10, 10]);
      const wh = emu.sessionWh;
      await clock().advance(60_000);
      assert.ok(emu.v2Status().wh as number > wh, 'energy keeps flowing');
      emu.faults.ignorePause = false;
      assert.deepStrictEqual(await phaseA(), [0, 0, 0], 'stops once the switch is off');
    });

    it('ignorePause does not start a car that was not charging', async () => {
      await start({ profile: 'v2-060', startDelayMs: 0 });
      emu.faults.ignorePause = true;
      await get('/api/set?frc=1');
      emu.plugIn({ maxCurrentA: 16, phases: 3, needWh: 50_000 });
      await clock().advance(5000);
      assert.deepStrictEqual(await phaseA(), [0, 0, 0]);
      assert.strictEqual(emu.drawA, 0);
    });

    it('ignorePause on v1: alw=0 is accepted, the car keeps charging', async () => {
      await start({ profile: 'v1-020', startDelayMs: 0, ampA: 12 });
      emu.plugIn({ maxCurrentA: 16, phases: 1, needWh: 50_000 });
      await clock().advance(1000);
      emu.faults.ignorePause = true;
      const s = (await get('/mqtt?payload=alw=0')).json();
      assert.strictEqual(s.alw, '0');
      assert.deepStrictEqual((s.nrg as number[]).slice(4, 7), [120, 0, 0]);
    });
  });

  describe('key sets of real firmware', () => {
    const capture = captureKeys053();

    it('fw 055.5 and 60.3 answer every key of the real fw 053.1 capture (60.3 without cbl, as CORE/PRO), 051.4 all but psm', async () => {
      const expect: [GoeProfile, string[]][] = [
        ['v2-055', capture],
        ['v2-060', capture.filter((k) => k !== 'cbl')],
        ['v3-051', capture.filter((k) => k !== 'psm')],
      ];
      for (const [profile, keys] of expect) {
        await start({ profile });
        const st = (await get('/api/status')).json();
        const missing = keys.filter((k) => !(k in st));
        assert.deepStrictEqual(missing, [], `${profile} lacks ${missing.join(',')}`);
        for (const k of ['sse', 'fna', 'typ', 'acs', 'trx', 'lmo', 'modelStatus', 'cards']) assert.ok(k in st, `${profile}: ${k}`);
        assert.ok(Object.values(st).every((v) => v !== undefined));
        await emu.stop();
      }
      await start({ profile: 'v2-060' });
      const full = (await get('/api/status')).json();
      assert.ok(Object.keys(full).length > 100, `60.3 answers ${Object.keys(full).length} keys`);
      assert.ok(!('cbl' in full));
      assert.deepStrictEqual(full.cards, [
        { name: 'User 1', energy: 0, cardId: true },
        ...[2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => ({ name: `User ${n}`, energy: 0, cardId: false })),
      ]);
    });

    it('a real fw 053.1 capture and the 055 profile agree on types (values of the keys the model does not compute)', async () => {
      await start({ profile: 'v2-055' });
      const st = emu.v2Status();
      const text = fs.readFileSync(path.join(__dirname, '../../fixtures/goe/goe_v2_mqtt_capture_fw053.1_sorted.log'), 'utf8');
      for (const line of text.split('\n').filter(Boolean)) {
        const key = line.split(' ')[0].split('/')[3];
        const value = JSON.parse(line.slice(line.indexOf(' ') + 1)) as unknown;
        const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
        if (value === null || st[key] === null) continue; // null where the charger has nothing (cbl without a cable, pgrid without PV data)
        assert.strictEqual(kind(st[key]), kind(value), key);
      }
    });

    it('v1 020 answers exactly the keys of the real fw 020-rc1 status (GPL data read from ../shared when present)', async function () {
      const file = path.join(SHARED, 'goe', 'goe_v1_status_fw020-rc1.json');
      if (!fs.existsSync(file)) {
        this.test!.title += ' — skipped: ../shared/realdata/goe/goe_v1_status_fw020-rc1.json is absent (GPL-3.0 data, not redistributed)';
        this.skip();
      }
      const real = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
      await start({ profile: 'v1-020' });
      const st = (await get('/status')).json();
      assert.deepStrictEqual(Object.keys(st), Object.keys(real));
      for (const [k, v] of Object.entries(real)) assert.strictEqual(Array.isArray(st[k]) ? 'array' : typeof st[k], Array.isArray(v) ? 'array' : typeof v, k);
    });

    it('v1 040/042 add the keys of their firmware; a V3 legacy v1 status has fsp, no tmp, numeric load-balancing fields', async () => {
      await start({ profile: 'v1-040' });
      let st = (await get('/status')).json();
      for (const k of ['tma', 'amt', 'txi', 'tme', 'tmp', 'mce', 'loe']) assert.ok(k in st, `040 ${k}`);
      assert.ok(!('amx' in st) && !('lod' in st));
      await emu.stop();
      await start({ profile: 'v1-042' });
      st = (await get('/status')).json();
      for (const k of ['amx', 'lod', 'lts', 'pco', 'cmf', 'ath', 'psp', 'cco', 'map', 'frm']) assert.ok(k in st, `042 ${k}`);
      await emu.stop();
      await start({ profile: 'v3-051' });
      st = (await get('/status')).json();
      assert.ok('fsp' in st && !('tmp' in st));
      assert.strictEqual(st.loe, 0);
    });
  });

  describe('access control (acs / trx; v1 ast)', () => {
    for (const profile of Object.keys(GOE_PROFILES) as GoeProfile[]) {
      const v2 = GOE_PROFILES[profile].v2;
      it(`${profile}: with access control a plugged-in car waits until a card ${v2 ? 'or trx=0' : 'or alw=1'}; unplug ends the authorisation`, async () => {
        await start({ profile, acs: 1, startDelayMs: 0 });
        const status = async (): Promise<Record<string, unknown>> => (v2 ? (await get('/api/status?filter=alw,car,acs,trx,modelStatus')).json() : (await get('/status')).json());
        emu.plugIn({ needWh: 50_000 });
        await clock().advance(5000);
        let st = await status();
        if (v2) assert.deepStrictEqual([st.alw, st.car, st.acs, st.trx, st.modelStatus], [false, 3, 1, null, 2]);
        else assert.deepStrictEqual([st.alw, st.car, st.ast, st.uby], ['0', '3', '1', '0']);
        assert.strictEqual(emu.drawA, 0);
        if (v2) assert.deepStrictEqual((await get('/api/set?trx=0')).json(), { trx: true });
        else assert.strictEqual((await get('/mqtt?payload=alw=1')).json().alw, '1');
        await clock().advance(1000);
        assert.ok(emu.drawA > 0, 'charging once authorised');
        emu.unplug();
        emu.plugIn({ needWh: 50_000 });
        await clock().advance(5000);
        assert.strictEqual(emu.drawA, 0, 'a new session waits again');
        emu.holdCard(3);
        await clock().advance(1000);
        st = await status();
        if (v2) assert.deepStrictEqual([st.alw, st.trx, st.modelStatus], [true, 3, 15]);
        else assert.deepStrictEqual([st.alw, st.uby], ['1', '3']);
        assert.ok(emu.drawA > 0);
      });
    }

    it('frc=2 does not bypass access control (modelStatus 2 comes first); acs=0 charges at once', async () => {
      await start({ profile: 'v2-055', acs: 1, startDelayMs: 0 });
      await get('/api/set?frc=2');
      emu.plugIn();
      await clock().advance(2000);
      assert.strictEqual((await get('/api/status?filter=modelStatus')).json().modelStatus, 2);
      assert.deepStrictEqual((await get('/api/set?acs=0')).json(), { acs: true });
      await clock().advance(1000);
      assert.strictEqual((await get('/api/status?filter=modelStatus')).json().modelStatus, 3);
    });

    it('fault trxReadOnly: trx=0 is refused like a key without setter (HTTP 500); a card still works', async () => {
      await start({ profile: 'v2-060', acs: 1, startDelayMs: 0 });
      emu.plugIn();
      emu.faults.trxReadOnly = true;
      const res = await get('/api/set?trx=0');
      assert.strictEqual(res.status, 500);
      assert.deepStrictEqual(res.json(), { trx: 'trx: tried to set api key without setter (0)' });
      assert.strictEqual(emu.trx, null);
      emu.holdCard(1);
      await clock().advance(1000);
      assert.ok(emu.drawA > 0);
    });
  });

  describe('logic modes and frc', () => {
    const reason = async (): Promise<[unknown, unknown]> => {
      const st = (await get('/api/status?filter=alw,modelStatus')).json();
      return [st.alw, st.modelStatus];
    };

    it('lmo 4 (Eco) and 5 (next trip) keep it off under frc=0 until their own logic says on; frc=2 overrides, until unplug', async () => {
      await start({ profile: 'v2-055', lmo: 4, startDelayMs: 0 });
      emu.plugIn();
      assert.deepStrictEqual(await reason(), [false, 17]);
      emu.ecoPriceLow = true;
      assert.deepStrictEqual(await reason(), [true, 7]);
      emu.ecoPriceLow = false;
      assert.deepStrictEqual((await get('/api/set?lmo=5')).json(), { lmo: true });
      assert.deepStrictEqual(await reason(), [false, 18]);
      emu.nextTripWindow = true;
      assert.deepStrictEqual(await reason(), [true, 10]);
      emu.nextTripWindow = false;
      await get('/api/set?frc=2');
      assert.deepStrictEqual(await reason(), [true, 3]);
      await clock().advance(1000);
      assert.ok(emu.drawA > 0);
      emu.unplug();
      assert.strictEqual(emu.frc, 0, 'frc returns to neutral on unplug');
      emu.plugIn();
      assert.deepStrictEqual(await reason(), [false, 18]);
      await get('/api/set?lmo=3');
      assert.deepStrictEqual(await reason(), [true, 15]);
      assert.match((await get('/api/set?lmo=6')).json().lmo as string, /exceeds range 3 to 5/);
    });

    it('the scheduler (5) and the energy limit (6) hold it off; frc=1 is 4; an error 26', async () => {
      await start({ profile: 'v2-060', startDelayMs: 0 });
      emu.plugIn();
      emu.schedulerBlocks = true;
      assert.deepStrictEqual(await reason(), [false, 5]);
      await get('/api/set?frc=1');
      assert.deepStrictEqual(await reason(), [false, 4]);
      await get('/api/set?frc=2');
      assert.deepStrictEqual(await reason(), [true, 3]);
      await get('/api/set?frc=0');
      emu.schedulerBlocks = false;
      await get('/api/set?dwo=1');
      await clock().advance(60_000);
      assert.deepStrictEqual(await reason(), [false, 6]);
      emu.setError(3);
      assert.deepStrictEqual(await reason(), [false, 26]);
    });

    it('faults: frcIgnored (60.3: frc accepted, no effect), frcKeptOnUnplug, modelStatus override', async () => {
      await start({ profile: 'v2-060', lmo: 4, startDelayMs: 0 });
      emu.plugIn();
      emu.faults.frcIgnored = true;
      assert.deepStrictEqual((await get('/api/set?frc=2')).json(), { frc: true });
      assert.strictEqual((await get('/api/status?filter=frc')).json().frc, 2);
      assert.deepStrictEqual(await reason(), [false, 17]);
      emu.faults.frcIgnored = false;
      emu.faults.frcKeptOnUnplug = true;
      emu.unplug();
      emu.plugIn();
      assert.deepStrictEqual(await reason(), [true, 3], 'the forced state carries over to the next session');
      emu.faults.modelStatus = 42;
      assert.deepStrictEqual(await reason(), [true, 42]);
    });
  });

  describe('status filters of firmware 60.x', () => {
    it('60.3 answers the filter real clients use (evcc: alw,car,eto,nrg,wh,trx,cards) with 200; a key it lacks (cbl) 400 with the body', async () => {
      await start({ profile: 'v2-060' });
      const evcc = await get('/api/status?filter=alw,car,eto,nrg,wh,trx,cards');
      assert.strictEqual(evcc.status, 200);
      assert.deepStrictEqual(Object.keys(evcc.json()), ['alw', 'car', 'eto', 'nrg', 'wh', 'trx', 'cards']);
      const cbl = await get('/api/status?filter=amp,cbl,trx');
      assert.strictEqual(cbl.status, 400);
      assert.deepStrictEqual(cbl.json(), { amp: 16, trx: null });
    });

    it('fault cardsSplit (60.0–60.2): no cards but c0n…c9i, so the evcc filter gets 400; on 055 the same filter is 200', async () => {
      await start({ profile: 'v2-060' });
      emu.faults.cardsSplit = true;
      const res = await get('/api/status?filter=trx,cards');
      assert.strictEqual(res.status, 400);
      assert.deepStrictEqual(res.json(), { trx: null });
      const split = (await get('/api/status?filter=c0n,c0e,c0i,c9i')).json();
      assert.deepStrictEqual(split, { c0n: 'User 1', c0e: 0, c0i: true, c9i: false });
      assert.ok(emu.v2Keys().includes('c5e') && !emu.v2Keys().includes('cards'));
      await emu.stop();
      await start({ profile: 'v2-055' });
      emu.faults.cardsSplit = true;
      assert.strictEqual((await get('/api/status?filter=trx,cards')).status, 200);
    });

    it('fault status400 (PRO 60.3): every status answer is 400, with the JSON body', async () => {
      await start({ profile: 'v2-060' });
      emu.faults.status400 = true;
      const full = await get('/api/status');
      assert.strictEqual(full.status, 400);
      assert.strictEqual(full.json().sse, emu.serial);
      assert.strictEqual((await get('/api/status?filter=amp')).status, 400);
    });
  });
});

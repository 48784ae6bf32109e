import assert from 'assert';
import fetch from 'node-fetch';
import { ManualClock } from '../../../lib/clock';
import { GoeEmulator, GoeEmulatorOptions } from '../../../tools/emulators/goe/emulator';

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
});

/**
 * 1-/3-phase switching on a go-e over loopback HTTP: the actuator's sequence (pause → confirmed paused → psm →
 * the firmware's switch time → resume) against the emulator, which stops, simulates an unplug and resumes on the
 * new phase count; firmware without `psm` refuses; a contactor that ignores `psm`; the switches per hour.
 */
import { strict as assert } from 'assert';
import { Actuator } from '../../../lib/actuator';
import type { ManualClock } from '../../../lib/clock';
import { Controller } from '../../../lib/controller';
import { defaultAppSettings } from '../../../lib/settings';
import { SolarLimitSource } from '../../../lib/solar/source';
import { GoeCharger } from '../../../lib/goe/charger';
import { MAX_PHASE_SWITCHES_PER_HOUR, PHASE_SWITCH_WAIT_MS } from '../../../lib/phaseSwitch';
import type { GoeEmulator } from '../../../tools/emulators/goe/emulator';
import { driveGoe, emulator, local, sets, stopEmulators } from './harness';

interface Rig {
  emu: GoeEmulator;
  charger: GoeCharger;
  act: Actuator;
  clock: ManualClock;
  logs: string[];
}

async function rig(profile: 'v2-055' | 'v3-051' = 'v2-055'): Promise<Rig> {
  const emu = await emulator({ profile, startDelayMs: 1000 });
  const clock = emu.clock as ManualClock;
  const charger = new GoeCharger(local(emu, profile === 'v3-051' ? 'v2' : 'auto'));
  const logs: string[] = [];
  const act = new Actuator({ charger, name: () => 'Garage', clock, log: (l) => logs.push(l), random: () => 0.5 });
  emu.plugIn({ phases: 3, maxCurrentA: 16 });
  act.setTarget({ limitA: 10, paused: false });
  return { emu, charger, act, clock, logs };
}

/** `seconds` of the device's poll: a reading each second, handed to the actuator, writes awaited. */
async function run(r: Rig, seconds: number): Promise<void> {
  for (let i = 0; i < seconds; i++) {
    await r.clock.advance(1000);
    r.act.reportStatus(await r.charger.getStatus());
    r.act.tick();
    await r.act.idle();
  }
}

const drawingPhases = async (r: Rig): Promise<number> => (await r.charger.getStatus()).activePhases;

describe('go-e phase switching (psm) through the actuator, over loopback HTTP', () => {
  afterEach(() => stopEmulators());

  it('pauses, waits for the pause to show, writes psm, waits the switch time, resumes on one phase', async () => {
    const r = await rig();
    await run(r, 5);
    assert.equal(await drawingPhases(r), 3);
    assert.equal(r.charger.canSwitchPhases, true);
    assert.deepEqual(r.act.phases?.request(1), { ok: true, reason: 'switching to 1 phase(s)' });
    await run(r, 3);
    const writes = sets(r.emu);
    const pause = writes.indexOf('frc=1');
    const psm = writes.indexOf('psm=1');
    assert.ok(pause >= 0 && psm > pause, `pause before psm: ${writes.join(' ')}`);
    assert.equal(r.act.phases?.holdsPaused, true);
    assert.equal((await r.charger.getStatus()).chargingAllowed, false, 'held paused while the firmware switches');
    await run(r, PHASE_SWITCH_WAIT_MS / 1000 + 5);
    assert.equal(r.act.phases?.current, 'idle');
    assert.ok(sets(r.emu).lastIndexOf('frc=0') > psm, 'resumed after the switch');
    assert.equal(await drawingPhases(r), 1, 'the car draws on one phase');
    assert.equal(r.act.phases?.phases, 1);
  });

  it('firmware without psm (051.4) cannot switch: the request is refused and setPhases names the reason', async () => {
    const r = await rig('v3-051');
    await run(r, 3);
    assert.equal(r.charger.canSwitchPhases, false);
    const res = r.act.phases?.request(1);
    assert.equal(res?.ok, false);
    await assert.rejects(r.charger.setPhases(1), /cannot switch phases; that needs a V3\/V4 go-e with API v2/);
    assert.ok(!sets(r.emu).some((w) => w.startsWith('psm')), 'nothing written');
  });

  it('a contactor that ignores psm: the switch runs its course and the car still draws on three phases', async () => {
    const r = await rig();
    r.emu.faults.psmIgnored = true;
    await run(r, 5);
    r.act.phases?.request(1);
    await run(r, PHASE_SWITCH_WAIT_MS / 1000 + 8);
    assert.equal(r.act.phases?.current, 'idle');
    assert.equal(await drawingPhases(r), 3, 'the measurement, not the request, tells the phases');
  });

  it(`at most ${MAX_PHASE_SWITCHES_PER_HOUR} switches per hour; the next one after the hour`, async () => {
    const r = await rig();
    await run(r, 3);
    for (let k = 0; k < MAX_PHASE_SWITCHES_PER_HOUR; k++) {
      assert.equal(r.act.phases?.request(k % 2 === 0 ? 1 : 3).ok, true);
      await run(r, PHASE_SWITCH_WAIT_MS / 1000 + 5);
    }
    const refused = r.act.phases?.request(1);
    assert.equal(refused?.ok, false);
    assert.match(refused?.reason ?? '', /4 phase switches in the last hour/);
    await r.clock.advance(3_600_000);
    assert.equal(r.act.phases?.request(1).ok, true);
  });
});

describe('solar phase wish → controller.requestPhases → go-e psm (loopback HTTP)', () => {
  afterEach(() => stopEmulators());

  it('a 2.5 kW surplus: the 3-phase car waits in solar mode, the charger switches to one phase and charges from the surplus', async () => {
    const emu = await emulator({ profile: 'v2-055', startDelayMs: 2000 });
    const clock = emu.clock as ManualClock;
    const charger = new GoeCharger(local(emu), emu.serial);
    const ctrl = new Controller({ clock, settings: { ...defaultAppSettings(), fuseA: 25, marginA: 1 } });
    const solar = new SolarLimitSource({ modeOf: () => 'solar', canSwitchPhases: () => charger.canSwitchPhases });
    ctrl.addLimitSource(solar);
    ctrl.on('phasesSwitched', ({ chargerId, phases }: { chargerId: string; phases: 1 | 3 }) => solar.notePhases(chargerId, phases));
    ctrl.addCharger(charger, 'Garage');
    emu.plugIn({ phases: 3, maxCurrentA: 16 });
    const requests: number[] = [];
    await driveGoe({
      ctrl, charger, clock, houseA: [-2500 / 690, -2500 / 690, -2500 / 690], seconds: 600,
      each: () => {
        const wish = solar.phaseWish(charger.id);
        if (wish && ctrl.requestPhases(charger.id, wish).reason.startsWith('switching')) requests.push(wish);
      },
    });
    const status = await charger.getStatus();
    assert.deepEqual(requests.slice(0, 1), [1]);
    assert.ok(requests.length <= 2, `few requests: ${requests.join(',')}`);
    assert.equal(status.activePhases, 1, 'charging on one phase');
    assert.equal(status.currentLimitA, Math.floor((2500 - 50) / 230), 'from the surplus, whole amps');
    assert.equal(solar.status(charger.id)?.phases, 1);
    assert.equal(ctrl.requestPhases('nobody', 3).ok, false);
  });

  /** A go-e in fast mode behind the controller; the house per phase; `at` seconds → a phase request. */
  async function switching(houseA: [number, number, number], seconds: number, at: Record<number, 1 | 3>) {
    const emu = await emulator({ profile: 'v2-055', startDelayMs: 2000 });
    const clock = emu.clock as ManualClock;
    const charger = new GoeCharger(local(emu), emu.serial);
    const ctrl = new Controller({ clock, settings: { ...defaultAppSettings(), fuseA: 25, marginA: 1 } });
    ctrl.addCharger(charger, 'Garage');
    emu.plugIn({ phases: 3, maxCurrentA: 16 });
    const run = await driveGoe({ ctrl, charger, clock, houseA, seconds, fuseA: 25, each: (s) => at[s] && assert.equal(ctrl.requestPhases(charger.id, at[s]).ok, true) });
    const seen = run.seen.map(({ s, status }) => ({ s, limitA: status.currentLimitA, phases: status.activePhases, allowed: status.chargingAllowed }));
    const overloadAs = run.overloadAs;
    return { seen, overloadAs, emu };
  }

  it('after a switch to one phase the car charges on L1 although L2 and L3 have no room for its minimum (regression: it stayed paused)', async () => {
    const { seen, overloadAs } = await switching([5, 20, 20], 200, { 20: 1 });
    assert.equal(seen[15].allowed, false, 'three phases: the minimum does not fit on L2 and L3');
    assert.ok(seen.slice(-20).every((x) => x.allowed && x.phases === 1), 'charging on one phase at the end');
    assert.ok((seen[seen.length - 1].limitA ?? 0) >= 10, `raised into L1's room: ${seen[seen.length - 1].limitA} A`);
    assert.equal(overloadAs, 0);
  });

  it('after a switch back to three phases the charger goes on from its minimum, not from its one-phase limit', async () => {
    const { seen, overloadAs, emu } = await switching([5, 12, 12], 400, { 20: 1, 250: 3 });
    const onePhase = seen.filter((x) => x.s > 150 && x.s < 250 && x.phases === 1).map((x) => x.limitA ?? 0);
    assert.ok(Math.max(...onePhase) >= 16, `one phase: up to ${Math.max(...onePhase)} A on L1`);
    const psm3 = sets(emu).lastIndexOf('psm=2');
    const after = sets(emu).slice(psm3).filter((w) => /^amp=/.test(w));
    assert.ok(psm3 > 0, `switched back: ${sets(emu).join(' ')}`);
    assert.equal(after[0], 'amp=6', `the first limit after the switch: ${after.join(' ')}`);
    assert.equal(overloadAs, 0);
  });
});

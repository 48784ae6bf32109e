/**
 * A go-e left on one phase (psm 1) across an app restart, over loopback HTTP: the fresh solar source takes the phase
 * count the charger reports (GoeCharger.forcedPhases) instead of its wiring's three, so the car on L1 is not taken for
 * a 1-phase car, and in 9 kW of export it is switched back to three phases.
 */
import { strict as assert } from 'assert';
import type { ManualClock } from '../../lib/clock';
import { Controller } from '../../lib/controller';
import { GoeCharger } from '../../lib/goe/charger';
import { defaultAppSettings } from '../../lib/settings';
import { SolarLimitSource } from '../../lib/solar/source';
import { driveGoe, emulator, local, stopEmulators } from '../lib/goe/harness';

describe('solar: a go-e left on one phase across a restart (loopback HTTP)', () => {
  afterEach(() => stopEmulators());

  it('reports psm 1 as forced to one phase; the fresh source wishes three in 9 kW of export and the charger switches back', async () => {
    const emu = await emulator({ profile: 'v2-055', startDelayMs: 1000 });
    const clock = emu.clock as ManualClock;
    const charger = new GoeCharger(local(emu), emu.serial);
    emu.plugIn({ phases: 3, maxCurrentA: 16 });
    await charger.setPhases(1); // before the restart: the app had switched it to one phase
    await clock.advance(30_000);
    assert.equal((await charger.getStatus()).activePhases, 1);
    assert.equal(charger.forcedPhases, 1);

    // the app starts afresh: a new controller and solar source
    const ctrl = new Controller({ clock, settings: { ...defaultAppSettings(), fuseA: 25, marginA: 1 } });
    const solar = new SolarLimitSource({ modeOf: () => 'solar', canSwitchPhases: () => charger.canSwitchPhases, forcedPhases: () => charger.forcedPhases });
    ctrl.addLimitSource(solar);
    ctrl.on('phasesSwitched', ({ chargerId, phases }: { chargerId: string; phases: 1 | 3 }) => solar.notePhases(chargerId, phases));
    ctrl.addCharger(charger, 'Garage');
    const requests: number[] = [];
    await driveGoe({
      ctrl, charger, clock, houseA: [-9000 / 690, -9000 / 690, -9000 / 690], seconds: 600,
      each: () => {
        const wish = solar.phaseWish(charger.id);
        if (wish && ctrl.requestPhases(charger.id, wish).reason.startsWith('switching')) requests.push(wish);
      },
    });
    assert.deepEqual(requests, [3]);
    assert.equal(charger.forcedPhases, 3);
    assert.equal((await charger.getStatus()).activePhases, 3, 'charging on three phases again');
  });
});

import assert from 'assert';
import { Rig } from './rig';

/** A go-e switched 3 → 1 phase while the car stayed connected (lib/phaseSwitch.ts); house load then rises on L3. */
function switchedToOnePhase(forget: boolean): number | null {
  const r = new Rig({ fuseA: 16, marginA: 1 });
  const c = r.add({ maxCurrentA: 6 }, [0, 1, 2]);
  r.house = [0, 0, 0];
  r.run(60);
  assert.strictEqual(r.limit(), 6);
  c.carPhases = [0];
  r.updateDraw();
  if (forget) r.balancer.phasesSwitched('a', 1, 6);
  r.run(60);
  r.house = [0, 0, 11];
  r.step(1);
  return r.limit();
}

describe('lib/balancer: phasesSwitched after a 1-/3-phase switch', () => {
  it('a car switched to one phase is no longer paused for load on a phase it left', () => {
    assert.strictEqual(switchedToOnePhase(true), 6);
  });

  it('without it the balancer still counts the car on all three phases (what the controller now prevents)', () => {
    assert.strictEqual(switchedToOnePhase(false), 0);
  });

  it('told one phase, it counts the charger\'s phase 1 at once (a paused car cannot show it); told three with a cap, it goes on from the cap', () => {
    const r = new Rig({ fuseA: 16, marginA: 1 });
    const c = r.add({ maxCurrentA: 16 }, [0, 1, 2]);
    r.house = [0, 12, 12]; // no room for 6 A on L2 and L3
    r.run(60);
    assert.strictEqual(r.limit(), 0, 'three phases: paused');
    c.carPhases = [0]; // switched to one phase while paused
    r.balancer.phasesSwitched('a', 1, 6);
    r.run(200);
    assert.ok((r.limit() ?? 0) >= 6, `one phase on L1: ${r.limit()} A`);
    const before = r.limit() ?? 0;
    c.carPhases = [0, 1, 2];
    r.balancer.phasesSwitched('a', 3, 6);
    r.house = [0, 0, 0];
    r.step(1);
    assert.ok(before > 6 && (r.limit() ?? 0) <= 6, `from ${before} A to ${r.limit()} A after the switch to three`);
  });
});

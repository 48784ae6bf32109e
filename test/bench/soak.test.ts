import assert from 'assert';
import { FAULT_KINDS, faultFreeMask, planFaults, seededRandom, segments } from '../../bench/soak';

describe('bench/soak fault scheduler', () => {
  it('plans the same faults for the same seed, every kind, inside the window', () => {
    const a = planFaults(seededRandom(7), 300, 86_400 - 600);
    assert.deepStrictEqual(planFaults(seededRandom(7), 300, 86_400 - 600), a);
    assert.notDeepStrictEqual(planFaults(seededRandom(8), 300, 86_400 - 600), a);
    for (const k of FAULT_KINDS) assert.ok(a.some((f) => f.kind === k), `${k} planned`);
    for (const f of a) {
      assert.ok(f.startS > 300 && f.startS + f.durationS <= 86_400 - 600, `${f.kind} at ${f.startS}`);
      if (f.kind === 'goe-delay') assert.ok(f.arg <= 50, 'real-time delays stay small');
    }
  });

  it('counts a second as fault-free only with no fault active and the quiet time after the last one', () => {
    const mask = faultFreeMask([{ kind: 'meter-gap', startS: 100, durationS: 20, arg: 0 }], 1000, 50);
    assert.deepStrictEqual(segments(mask), [
      [51, 99],
      [171, 1000],
    ]);
  });
});

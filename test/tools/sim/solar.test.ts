import { strict as assert } from 'assert';
import path from 'path';
import { DEFAULT_BALANCER_CONFIG, type Triple } from '../../../lib/balancer/types';
import { DEFAULT_SOLAR_CONFIG } from '../../../lib/solar/config';
import { FuseAllowsMinimum, runSolar } from '../../../tools/sim/solar';
import type { Scenario } from '../../../tools/sim/simulate';
import { makeTrace } from '../../../tools/sim/trace';
import { ROOT, run } from './runCli';

const SOLAR_TRACE = path.join(ROOT, 'test', 'fixtures', 'traces', 'solar_hu_aux_day_pv4kw_clouds.csv');

/** 20 min at 1 s: every phase exports 3 A, except L1 carrying 12 A from minute 5 to 6 (a kettle and an oven). */
function kettleScenario(): Scenario {
  const points = [];
  for (let t = 0; t < 1200; t++) points.push({ timeS: t, currentsA: [t >= 300 && t < 360 ? 12 : -3, -3, -3] as Triple<number> });
  return { trace: makeTrace('kettle', points), fuseA: 16, marginA: 1, car: { phases: 3, maxA: 16 }, meter: { intervalS: 1 }, charger: 'goe' };
}

/** An hour of clouds (5 min 8 kW export, 5 min 0.5 kW) and then 40 min of full sun, at 1 s. */
function cloudyHourScenario(): Scenario {
  const points = [];
  for (let t = 0; t < 6000; t++) {
    const exportW = t < 3600 && Math.floor(t / 300) % 2 === 1 ? 500 : 8000;
    points.push({ timeS: t, currentsA: [0, 1, 2].map(() => -exportW / 690) as Triple<number> });
  }
  return { trace: makeTrace('cloudy-hour', points), fuseA: 25, marginA: 1, car: { phases: 3, maxA: 16 }, meter: { intervalS: 1 }, charger: 'goe' };
}

describe('tools/sim/solar', () => {
  it('solar regression, through the balancer: a cloudy hour, then full sun restarts the car within the documented delay', () => {
    const c = DEFAULT_SOLAR_CONFIG;
    let firstOnS = -1;
    const m = runSolar(cloudyHourScenario(), 'balancer', {
      mode: 'solar',
      phaseSwitching: false,
      onSecond: (t, carW) => {
        if (t >= 3600 && carW > 0 && firstOnS < 0) firstOnS = t - 3600;
      },
    });
    // documented (docs/solar.md): the enable delay and what is left of the minimum off-time with a start left, one refill
    // (3600 / maxStartsPerHour s) more when the bucket is empty; + meter, charger latency and the car's start
    const boundS = 3600 / c.maxStartsPerHour + c.enableDelayS + c.minOffTimeS + 1 + 1 + 5;
    assert.ok(firstOnS >= 0 && firstOnS <= boundS, `charging ${firstOnS} s into the sun (bound ${boundS} s)`);
    assert.ok(firstOnS <= c.enableDelayS + c.minOffTimeS + 7, `a start was left after the cloudy hour (the bucket refills): ${firstOnS} s`);
    assert.ok((m.gridShare ?? 1) <= 0.03, `grid ${m.gridShare}`);
  });


  it('the fuse allows the minimum once the room held minimum + the resume hysteresis for the resume window and the time to act', () => {
    const { resumeWindowS, resumeHysteresisA } = DEFAULT_BALANCER_CONFIG;
    const needA = 6 + resumeHysteresisA;
    const w = new FuseAllowsMinimum(5);
    const seen: boolean[] = [];
    for (let t = 0; t <= 400; t++) seen.push(w.allows(t, t === 50 ? needA - 0.1 : needA, 6));
    assert.equal(seen.indexOf(true), 51 + resumeWindowS + 5, 'the dip at 50 s restarts the resume window (+5 s to act)');
    assert.ok(seen.slice(51 + resumeWindowS + 5).every(Boolean));
  });

  it('min+solar: a pause the fuse forces, and the balancer\'s resume window after it, do not count as below the minimum', () => {
    const m = runSolar(kettleScenario(), 'balancer', { mode: 'min+solar', phaseSwitching: false });
    assert.ok(m.modeChangesPerHour > 0, 'the fuse paused the car (L1 had 3 A of room)');
    assert.equal(m.secondsBelowMinWhileFuseAllows, 0);
    assert.equal(m.secondsInPhaseSwitch, 0);
  });

  it('--mode: the scenario line says the car plugs in at t = 0; --plug-in-after is refused in one line', () => {
    const r = run(['--trace', SOLAR_TRACE, '--fuse', '25', '--mode', 'solar', '--json']);
    assert.equal(r.code, 0, r.err.join('\n'));
    const doc = JSON.parse(r.out[0]) as { scenario: Record<string, unknown>; results: Record<string, unknown>[] };
    assert.equal(doc.scenario.plugInAfterS, 0);
    assert.equal(doc.scenario.mode, 'solar');
    assert.ok(typeof doc.results[0].surplusSwitchLimitedKWh === 'number');
    const text = run(['--trace', SOLAR_TRACE, '--fuse', '25', '--mode', 'min+solar']);
    assert.match(text.out[0], / plugInAfterS=0 /);
    const bad = run(['--trace', SOLAR_TRACE, '--fuse', '25', '--mode', 'solar', '--plug-in-after', '60']);
    assert.equal(bad.code, 2);
    assert.deepEqual(bad.err, ['error: --plug-in-after: the solar sim (--mode) plugs the car in at t = 0; leave --plug-in-after out']);
  });
});

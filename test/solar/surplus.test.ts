import { strict as assert } from 'assert';
import type { ChargerInput, MeterSample } from '../../lib/balancer/types';
import { describeMeterSign, MeterSignDetector, surplusOf, usableW } from '../../lib/solar/surplus';
import { validateSolarConfig } from '../../lib/solar/config';
import { chargerInput } from '../lib/balancer/rig';

/** The balancer rig's charger as 'ev', at its 6 A minimum. */
export function solarCharger(over: Partial<ChargerInput> = {}): ChargerInput {
  return chargerInput({ id: 'ev', currentLimitA: 6, ...over });
}

const sample = (currentsA: [number, number, number], powerW?: number | null): MeterSample => ({ timeMs: 0, currentsA, powerW });

describe('solar surplus', () => {
  it('nets the phases: export on L1 and L3 pays for import on L2, the chargers own draw added back', () => {
    const s = surplusOf(sample([-10, 4, -6]), 'signed', [solarCharger({ phaseMap: ['L2', null, null], measuredA: [6, 0, 0] })]);
    // house without the car: L2 = 4 − 6 = −2 A; net = (10 + 2 + 6) × 230
    assert.deepEqual(s.phaseA, [10, 2, 6]);
    assert.equal(s.netW, 18 * 230);
    // a 1-phase car on L2: net uses everything, per phase only L2's 2 A
    assert.equal(usableW(s, [1], 'net'), 18 * 230);
    assert.equal(usableW(s, [1], 'per-phase'), 2 * 230);
    // a 3-phase car per phase: three times the smallest phase
    assert.equal(usableW(s, [0, 1, 2], 'per-phase'), 3 * 2 * 230);
  });

  it('takes the net from powerW when the meter gives it, and the meter voltages', () => {
    const s = surplusOf({ timeMs: 0, currentsA: [-5, -5, -5], powerW: -3000, voltagesV: [240, 240, 240] }, 'signed', []);
    assert.equal(s.netW, 3000);
    assert.deepEqual(s.voltsV, [240, 240, 240]);
  });

  it('never takes unsigned currents for surplus: per phase unknown, net only from powerW', () => {
    const noPower = surplusOf(sample([10, 10, 10]), 'unsigned', []);
    assert.deepEqual(noPower.phaseA, [null, null, null]);
    assert.equal(noPower.netW, null);
    assert.equal(usableW(noPower, [0], 'per-phase'), null);
    const withPower = surplusOf(sample([10, 10, 10], -4000), 'unsigned', []);
    assert.equal(withPower.netW, 4000);
    assert.equal(usableW(withPower, [0, 1, 2], 'per-phase'), null);
  });

  it('detects the sign: a negative current proves signed, export with every current positive proves unsigned', () => {
    const d = new MeterSignDetector();
    d.observe(sample([3, 4, 5], 1500));
    assert.equal(d.detected(), 'unknown');
    assert.match(describeMeterSign('auto', d).text, /not known yet/);
    d.observe(sample([-3, 4, 5]));
    assert.equal(d.detected(), 'signed');
    const u = new MeterSignDetector();
    u.observe(sample([8, 2, 3], -1200));
    assert.equal(u.detected(), 'unsigned');
    assert.equal(describeMeterSign('auto', u).sign, 'unsigned');
    // a declaration wins over what was seen
    assert.equal(describeMeterSign('signed', u).sign, 'signed');
    assert.equal(describeMeterSign('unsigned', d).declared, true);
  });

  it('validates the config one field at a time, naming it', () => {
    assert.equal(validateSolarConfig({ enableDelayS: 30 }).enableDelayS, 30);
    assert.throws(() => validateSolarConfig({ disableDelayS: -1 }), /solar disableDelayS: expected a number from 0 to 3600, got -1/);
    assert.throws(() => validateSolarConfig({ balance: 'phase' as never }), /solar balance: expected "net" or "per-phase"/);
  });
});

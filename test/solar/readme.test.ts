/** The README's Solar only timings are the code's (DEFAULT_SOLAR_CONFIG); they had drifted to an older tuning. */
import { strict as assert } from 'assert';
import { readFileSync } from 'fs';
import { join } from 'path';
import { DEFAULT_SOLAR_CONFIG as c } from '../../lib/solar/config';

const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8').replace(/\s+/g, ' ');

describe('README: Solar only timings', () => {
  it('the Charging modes passage gives the start delay, minimum off time, starts, grid budget, stop and cap of the code', () => {
    const at = readme.indexOf('a car in *Solar only* starts');
    assert.ok(at >= 0, 'the passage is there');
    const passage = readme.slice(at, readme.indexOf('Switching to *Solar only*', at));
    for (const text of [
      `held its minimum power for ${c.enableDelayS} s`,
      `off at least ${c.minOffTimeS} s`,
      `at most ${c.maxStartsPerHour} starts in the bucket, one back every ${60 / c.maxStartsPerHour} min`,
      `${c.gridBudgetShare * 100} % of the session's energy + ${c.gridAllowanceWh} Wh (${c.noStartRideWh} Wh more`,
      `below for ${c.stopConfirmS} s`,
      `after ${c.disableDelayS / 60} min below the minimum`,
    ]) {
      assert.ok(passage.includes(text), `README says "${text}"`);
    }
    assert.equal(c.minOnTimeS, 0);
    assert.ok(passage.includes('no minimum charging time'));
  });

  it('the troubleshooting row gives the start delay and minimum off time of the code', () => {
    const row = readme.slice(readme.indexOf('| *Solar only* never starts'));
    assert.ok(row.includes(`4.1 kW on three) for ${c.enableDelayS} s, and a car that stopped waits at least ${c.minOffTimeS} s |`));
  });
});

import { strict as assert } from 'assert';
import { fixedIdealWs, freeIdealWs, minGapIdealWs, switchLimitedIdealWs, type IdealSeries } from '../../../tools/sim/solarIdeal';

const fill = (n: number, w: number): number[] => new Array<number>(n).fill(w);

/** 1 phase pays 5 W for 100 s, then 3 phases 9 W for 100 s, then 1 phase 5 W again for 100 s. */
const THREE_STRETCHES: IdealSeries = {
  one: [...fill(100, 5), ...fill(100, 0), ...fill(100, 5)],
  three: [...fill(100, 0), ...fill(100, 9), ...fill(100, 0)],
};

describe('solar ideals (tools/sim/solarIdeal.ts)', () => {
  it('the free ideal takes the better phase count every second; the fixed ones only theirs', () => {
    assert.equal(freeIdealWs(THREE_STRETCHES), 500 + 900 + 500);
    assert.equal(fixedIdealWs(THREE_STRETCHES, 3), 900);
    assert.equal(fixedIdealWs(THREE_STRETCHES, 1), 1000);
  });

  it('the switch-limited ideal pays the pause of each switch and keeps to the switches per clock hour', () => {
    // two switches: leave 1 phase 10 s early (−50) and leave 3 phases at 200 (its first 10 s on 1 phase lost: −50)
    assert.equal(switchLimitedIdealWs(THREE_STRETCHES, { maxPerHour: 4, pauseS: 10 }), 1800);
    // one switch in the hour: 1 phase then 3 (450 + 900) beats 3 then 1 (810 + 500) and staying on 1 (1000)
    assert.equal(switchLimitedIdealWs(THREE_STRETCHES, { maxPerHour: 1, pauseS: 10 }), 1350);
  });

  it('the switch budget starts afresh in each clock hour; switches 3600/max s apart bound it from below', () => {
    // 3 phases pay only in [3590, 3610): worth two switches (there and back), one each side of the hour
    const n = 3700;
    const s: IdealSeries = { one: fill(n, 1), three: fill(n, 0) };
    for (let t = 3590; t < 3610; t++) s.three[t] = 100;
    s.one.fill(0, 3590, 3610);
    const limited = switchLimitedIdealWs(s, { maxPerHour: 1, pauseS: 1 });
    const gap = minGapIdealWs(s, { maxPerHour: 1, pauseS: 1 });
    assert.ok(limited > gap, `one switch per clock hour (${limited}) > one per 3600 s (${gap})`);
    assert.equal(limited, 3589 + 2000 + 89, 'to 3 phases at 3589 (hour 0), back at 3610 (hour 1): 1 s lost each');
    assert.equal(gap, 3589 + 2000, 'one switch only: to 3 phases, and stay');
    assert.ok(limited <= freeIdealWs(s));
  });
});

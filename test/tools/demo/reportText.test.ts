import assert from 'assert';
import type { DemoResult } from '../../../tools/demo/demo';
import { renderDemoReport } from '../../../tools/demo/report';
import { clockOf } from '../../../tools/demo/reportChart';
import { duration, summarise, summaryLines } from '../../../tools/demo/reportText';
import { FuseTally, bestChargeWh, secondsToTrip } from '../../../tools/demo/tally';

/** A small run made by hand: 2 h on a 25 A fuse, one 3 s moment over the fuse at 08:30. */
function fixture(): DemoResult {
  const simS = [0, 1800, 1801, 1804, 3600, 7200];
  const balanced = new FuseTally(25);
  const unbalanced = new FuseTally(25);
  for (let t = 1; t <= 7200; t++) {
    const house: [number, number, number] = t >= 1800 ? [3, 2, 12] : [3, 2, 1];
    const cars = t >= 1800 && t < 1803 ? 24 : t >= 1800 ? 12 : 23;
    balanced.add(t, [house[0] + 10, house[1] + 10, house[2] + cars], house);
    unbalanced.add(t, [house[0] + 16, house[1] + 16, house[2] + 32], house);
  }
  return {
    traceName: 'hand-made', startMs: Date.UTC(2025, 3, 27, 8), fuseA: 25, marginA: 1, meterIntervalS: 10, durationS: 7200,
    overloadAmpSeconds: 0, unbalancedOverloadAmpSeconds: 0, maxPhaseA: 0,
    fuse: { balanced: balanced.result(), unbalanced: unbalanced.result() },
    energyKWh: 30.25, possibleEnergyKWh: 33.5, fullSpeedEnergyKWh: 29.44,
    chargers: [
      { id: 'g', name: 'go-e Garage', phases: 'L1 L2 L3', energyKWh: 20.05, writes: 7, pauses: 1, pausedS: 125 },
      { id: 'c', name: 'Charge Amps Carport', phases: 'L3', energyKWh: 10.2, writes: 3, pauses: 0, pausedS: 0 },
    ],
    events: [
      { simS: 1801, type: 'paused', reason: 'L3 at 36 A …: paused go-e Garage', chargerId: 'g', chargerName: 'go-e Garage' },
      { simS: 1801, type: 'reduced', reason: 'L3 at 36 A …: lowered Charge Amps Carport', chargerId: 'c', chargerName: 'Charge Amps Carport' },
      { simS: 1926, type: 'resumed', reason: 'resumed go-e Garage', chargerId: 'g', chargerName: 'go-e Garage' },
      { simS: 4000, type: 'meterStale', reason: 'no fresh reading for 15 s' },
    ],
    series: {
      simS,
      houseA: [simS.map(() => 3), simS.map(() => 2), simS.map((t) => (t >= 1800 ? 12 : 1))],
      meterA: [simS.map(() => 13), simS.map(() => 12), simS.map((t) => (t >= 1800 && t < 1803 ? 36 : 24))],
      unbalancedA: [simS.map(() => 19), simS.map(() => 18), simS.map((t) => (t >= 1800 ? 44 : 33))],
      allowedA: { g: simS.map(() => 10), c: simS.map(() => 12) },
      drawnA: { g: simS.map(() => 10), c: simS.map(() => 12) },
    },
    wallMs: 1234,
  };
}

describe('tools/demo report text (plain-language summary)', () => {
  it('durations read like a clock, not decimal hours', () => {
    assert.deepStrictEqual([1, 59, 60, 90, 600, 3599, 3600, 15120, 24630].map(duration), ['1 s', '59 s', '1 min', '1 min 30 s', '10 min', '59 min', '1 h', '4 h 12 min', '6 h 50 min']);
    assert.strictEqual(clockOf(Date.UTC(2025, 3, 27, 8), 12880), '11:34');
    assert.strictEqual(clockOf(Date.UTC(2025, 3, 27, 8), 12880, true), '11:34:40');
  });

  it('the fuse tally counts time over the fuse, the longest stretch and what led to it', () => {
    const r = fixture();
    const b = r.fuse.balanced;
    assert.deepStrictEqual([b.overS, b.longestOverS, b.stretchCount, b.peakA, b.peakPhase], [3, 3, 1, 36, 2]);
    assert.deepStrictEqual(b.stretches[0], { startS: 1800, durationS: 3, phase: 2, peakA: 36, houseBeforeA: 1, houseA: 12, carsA: 24 });
    assert.ok(b.tripStress > 0 && b.tripStress < 0.05 && b.tripAtS === null);
    const u = r.fuse.unbalanced;
    assert.strictEqual(u.overS, 7200);
    assert.ok(u.tripAtS !== null && u.tripAtS < 3600, `trips at ${u.tripAtS}`);
    assert.ok(Math.abs(secondsToTrip(36, 25) - 314) < 5, 'type C fastest: 1.44 × In ≈ 5 min');
    assert.strictEqual(secondsToTrip(25, 25), Infinity);
  });

  it('the possible energy is the best whole-amp split under the limit', () => {
    const cars = [{ maxDrawA: [16, 16, 16] as [number, number, number], minA: 6 }, { maxDrawA: [0, 0, 16] as [number, number, number], minA: 6 }];
    // 24 A limit, house 4/4/12 on L3: the go-e 12 A on 3 phases and nothing left for the Charge Amps (36 A) beats 6 + 6 (24 A)
    assert.strictEqual(bestChargeWh([4, 4, 12], cars, 24, 230) * 3600, 12 * 3 * 230);
    assert.strictEqual(bestChargeWh([0, 0, 0], cars, 24, 230) * 3600, (16 * 3 + 8) * 230);
    assert.strictEqual(bestChargeWh([20, 20, 20], cars, 24, 230), 0);
  });

  it('says what happened with the run\'s own figures, spike explained', () => {
    const r = fixture();
    const s = summarise(r);
    assert.strictEqual(s.headline, 'What PhaseGuard EV did: 2 h of charging two cars on a 25 A main fuse');
    const [fuse, energy, chargers] = s.points;
    assert.strictEqual(fuse.title, 'Main fuse: over its rating for 3 s, not 2 h');
    assert.match(fuse.text, /^Without balancing \(both cars at full current\) the 25 A main fuse would have been over its rating for 2 h — the whole time, with up to 44 A on L3\. /);
    assert.match(fuse.text, new RegExp(`would have tripped after ${duration(r.fuse.unbalanced.tripAtS!)}, at 08:\\d\\d\\.`));
    assert.match(fuse.text, /With PhaseGuard EV it was over for 3 s in all, at most 36 A on L3\. At 36 A that breaker needs about 5 min to trip; .* — never long enough to trip it\.$/);
    assert.strictEqual(s.spikes[0], "At 08:30:00 the house's own load on L3 jumped from 1 A to 12 A while the cars drew 24 A there: 36 A for 3 s, until the balancer paused go-e Garage and cut Charge Amps Carport.");
    assert.match(s.spikes[1], /^Why a moment over the fuse can happen: the meter gives a new reading every 10 s/);
    assert.strictEqual(energy.title, 'Charging: 30.3 kWh, 90 % of what the fuse left room for');
    assert.match(energy.text, /\(go-e Garage 20\.1 kWh and Charge Amps Carport 10\.2 kWh\)\. .* under 24 A .* 33\.5 kWh; both cars at full current whatever the fuse, 29\.4 kWh\.$/);
    assert.strictEqual(chargers.title, 'The chargers: 10 commands in 2 h');
    assert.match(chargers.text, /^go-e Garage \(3-phase car on L1, L2 and L3\): 7 commands, paused once \(2 min 5 s in all\)\. Charge Amps Carport \(1-phase car on L3\): 3 commands, never paused\./);
    assert.ok(summaryLines(r).includes('- Main fuse: over its rating for 3 s, not 2 h'));
  });

  it('changes its words with the figures: never over, nothing to balance, no trip', () => {
    const r = fixture();
    r.fuse.balanced = new FuseTally(25).result();
    r.fuse.balanced.peakA = 24;
    r.fuse.unbalanced.overS = 4 * 3600 + 12 * 60;
    r.durationS = 6 * 3600;
    r.fuse.unbalanced.tripAtS = null;
    r.fuse.unbalanced.tripStress = 0.42;
    let s = summarise(r);
    assert.strictEqual(s.points[0].title, 'Main fuse: never over its 25 A rating (without balancing: 4 h 12 min)');
    assert.match(s.points[0].text, /over its rating for 4 h 12 min, with up to 44 A on L3\. That is 42 % of the way to tripping/);
    assert.match(s.points[0].text, /With PhaseGuard EV no phase went over 25 A; the highest was 24 A on L1\.$/);
    assert.deepStrictEqual(s.spikes, []);
    r.fuse.unbalanced = new FuseTally(25).result();
    s = summarise(r);
    assert.match(s.points[0].text, /^Even without balancing/);
    r.energyKWh = r.possibleEnergyKWh;
    assert.match(summarise(r).points[1].title, /, all of what the fuse left room for$/);
  });

  it('the page: summary first, five charts each wide and narrow, every event kind in the legends, clock times', () => {
    const html = renderDemoReport(fixture());
    assert.ok(html.indexOf('class="points"') < html.indexOf('<figure'));
    assert.strictEqual((html.match(/<figure class="chart-block"/g) ?? []).length, 5);
    assert.strictEqual((html.match(/<svg class="chart chart-wide"/g) ?? []).length, 5);
    assert.strictEqual((html.match(/<svg class="chart chart-narrow"/g) ?? []).length, 5);
    for (const kind of ['reduced', 'restored', 'paused', 'resumed', 'meterStale', 'overloadUnresolved']) {
      assert.strictEqual((html.match(new RegExp(`class="legend-item" data-style="marker" data-kind="${kind}"`, 'g')) ?? []).length, 2, kind);
    }
    assert.match(html, /<tr data-kind="meterStale"><td>09:06:40<\/td>/);
    assert.match(html, /meter went stale \(no fresh reading\): 1/);
    assert.doesNotMatch(html, /\d\.\d{3} h/);
    assert.doesNotMatch(html, /https?:\/\/(?!www\.w3\.org\/2000\/svg)/, 'no external resource');
  });
});

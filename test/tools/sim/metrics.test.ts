import assert from 'assert';
import { ggFastest, MCB_C_FASTEST, TripStress, tripTimeS } from '../../../tools/sim/metrics';

const near = (got: number, want: number, tol = 1e-3): void => assert.ok(Math.abs(got - want) <= tol, `${got} ≠ ${want} ± ${tol}`);

describe('tools/sim/metrics trip curves', () => {
  it('MCB type C, fastest allowed: 1.13 In → 1 h, 2.55 In → 1 s, 5 In → 0.1 s, log-log between', () => {
    assert.strictEqual(tripTimeS(MCB_C_FASTEST, 1.12), Infinity, 'below 1.13 In: no stress');
    near(tripTimeS(MCB_C_FASTEST, 1.13), 3600);
    near(tripTimeS(MCB_C_FASTEST, 2.55), 1, 1e-9);
    near(tripTimeS(MCB_C_FASTEST, 5), 0.1, 1e-9);
    near(tripTimeS(MCB_C_FASTEST, 12), 0.1, 1e-9);
    // The geometric middle of 1.13 and 2.55 In lies at the geometric middle of 3600 s and 1 s: 60 s.
    near(tripTimeS(MCB_C_FASTEST, Math.sqrt(1.13 * 2.55)), 60);
    // 2 In: w = ln(2/1.13)/ln(2.55/1.13) = 0.57093/0.81388 = 0.70149; t = 3600^(1 − w) = e^(8.18869 × 0.29851) = 11.52 s.
    near(tripTimeS(MCB_C_FASTEST, 2), 11.52, 0.01);
    // The reference's worked example: 25 A fuse, 25 A house + 16 A EV = 1.64 In → about 85 s.
    near(tripTimeS(MCB_C_FASTEST, 41 / 25), 84.86, 0.01);
  });

  it('gG 25 A, fastest allowed: Inf 1.25 In → 1 h, Imin(10 s) 52 A, Imin(0.1 s) 150 A', () => {
    const gg = ggFastest(25);
    assert.deepStrictEqual(
      gg.points.map((p) => [p.multiple * 25, p.seconds]),
      [
        [31.25, 3600],
        [52, 10],
        [150, 0.1],
      ],
    );
    assert.deepStrictEqual(gg.points.map((p) => p.status), ['secondary', 'unverified', 'unverified']);
    assert.strictEqual(tripTimeS(gg, 31 / 25), Infinity);
    // Geometric middle of 31.25 A and 52 A → √(3600 × 10) = 189.74 s.
    near(tripTimeS(gg, Math.sqrt(31.25 * 52) / 25), 189.737);
  });

  it('gG 20 A at 51 A: between Imin(10 s) = 42 A and Imin(0.1 s) = 110 A', () => {
    // w = ln(51/42)/ln(110/42) = 0.19416/0.96281 = 0.20166; log10 t = 1 − 2w = 0.59669 → t = 3.951 s.
    near(tripTimeS(ggFastest(20), 51 / 20), 3.951, 0.001);
  });

  it('gG ratings without a table row: multiples interpolated between rows, or the nearest row’s', () => {
    // 35 A lies 3/8 of the way from 32 A (75/32, 200/32) to 40 A (95/40, 260/40):
    // Imin(10 s) = (2.34375 + 0.375 × 0.03125) × 35 = 82.44 A; Imin(0.1 s) = (6.25 + 0.375 × 0.25) × 35 = 222.03 A.
    const g35 = ggFastest(35).points.map((p) => p.multiple * 35);
    near(g35[0], 43.75);
    near(g35[1], 82.441);
    near(g35[2], 222.031);
    // 10 A: below the table; Inf is 1.5 In under 16 A, the gates keep the 16 A row's multiples (33/16, 85/16).
    assert.deepStrictEqual(ggFastest(10).points.map((p) => p.multiple), [1.5, 33 / 16, 85 / 16]);
  });
});

describe('tools/sim/metrics TripStress', () => {
  /** 1 s steps over [0, end) with L1/L2 at the given currents (A) while `on(t)`, 0 otherwise. */
  function run(end: number, l1: (t: number) => number, l2: (t: number) => number = () => 0): number {
    const s = new TripStress(MCB_C_FASTEST, 20);
    for (let t = 0; t < end; t++) s.add(t, 1, [l1(t), l2(t), 0]);
    return s.value;
  }
  const at = (ranges: [number, number][]) => (t: number) => (ranges.some(([a, b]) => t >= a && t < b) ? 51 : 0); // 51 A = 2.55 × 20 A: 1 s to trip

  it('sums dt / t_trip: 10 s at 2.55 In is 10', () => {
    near(run(100, at([[0, 10]])), 10, 1e-9);
  });

  it('takes the worst 1 h window, not the whole run', () => {
    // Two 10 s bursts 3600 s apart never share a window: 10, not 20.
    near(run(8000, at([[0, 10], [3600, 3610]])), 10, 1e-9);
    // One second earlier, the window [0, 3600) holds all of the first and 1 s of the second: 11.
    near(run(8000, at([[0, 10], [3599, 3609]])), 11, 1e-9);
  });

  it('takes the worst phase, not the sum of phases; signs do not matter; no stress below 1.13 In', () => {
    near(run(100, at([[0, 10]]), (t) => (t < 12 ? -51 : 0)), 12, 1e-9);
    assert.strictEqual(run(100, () => 22.5), 0, '22.5 A < 1.13 × 20 A');
  });
});

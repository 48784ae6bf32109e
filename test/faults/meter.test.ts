/**
 * Fault matrix, meter: the controller and a go-e emulator (loopback HTTP, ManualClock) fed by a meter
 * that misbehaves. Fail-safe: with no usable value for `staleAfterS` (15 s) the charger is held at
 * 6 A, and it is restored once good data returns. The balancer rules themselves are unit-tested in
 * test/lib/balancer/*.test.ts; the homey-device source's deletion is in test/faults/app.test.ts.
 */
import assert from 'assert';
import type { MeterSample, Triple } from '../../lib/balancer/types';
import { assertReadable, goeRig, watchProcess, type GoeRig } from './rig';

const STALE_S = 15;

describe('faults: meter (controller over the go-e emulator)', () => {
  let rig: GoeRig;
  let watch: ReturnType<typeof watchProcess>;

  beforeEach(async () => {
    watch = watchProcess();
    rig = await goeRig({ pollEveryS: 1 });
    await rig.seconds(30, [3, 3, 3]);
    assert.strictEqual(rig.emu.offeredA, 16, 'restored to the maximum before the fault');
  });

  afterEach(async () => {
    await rig.stop();
    watch.stop();
  });

  /** Seconds until the charger offers 6 A (fail-safe), at most `maxS`. */
  async function secondsToFailSafe(maxS: number, houseA: Triple<number>, opts: Parameters<GoeRig['second']>[1]): Promise<number> {
    for (let s = 1; s <= maxS; s++) {
      await rig.second(houseA, opts);
      if (rig.emu.offeredA === 6) return s;
    }
    return Infinity;
  }

  async function assertRecovers(): Promise<void> {
    await rig.seconds(60, [3, 3, 3]);
    assert.strictEqual(rig.emu.offeredA, 16, 'restored once good data is back');
    assert.strictEqual(rig.controller.liveView().meter.stale, false);
  }

  function assertStaleEvent(): void {
    const ev = rig.controller.events().find((e) => e.type === 'meterStale');
    assert.ok(ev, `a meterStale event: ${rig.logs.join('\n')}`);
    assert.match(ev.reason, /No fresh meter data for .* chargers held at minimum/);
    assertReadable(rig.logs);
  }

  const failSafeCases: { name: string; opts: Parameters<GoeRig['second']>[1] }[] = [
    { name: 'gap (no samples at all)', opts: { report: false } },
    { name: 'frozen value (the same timestamp again and again)', opts: { sample: (s) => ({ ...s, timeMs: frozenAt }) } },
    { name: 'NaN on every phase', opts: { sample: (s) => ({ ...s, currentsA: [NaN, NaN, NaN] }) } },
    { name: 'absurd values (400 A, -500 A, Infinity)', opts: { sample: (s) => ({ ...s, currentsA: [400, -500, Infinity] }) } },
    { name: 'a missing phase (L2 null)', opts: { sample: (s) => ({ ...s, currentsA: [s.currentsA[0], null, s.currentsA[2]] }) } },
  ];
  let frozenAt = 0;

  for (const c of failSafeCases) {
    it(`${c.name}: the charger is at 6 A within the stale timeout, the user is told, and it recovers`, async () => {
      frozenAt = rig.wall.nowMs();
      const s = await secondsToFailSafe(60, [3, 3, 3], c.opts);
      assert.ok(s <= STALE_S + 1, `fail-safe after ${s} s (stale timeout ${STALE_S} s)`);
      assert.strictEqual(rig.controller.liveView().meter.stale, true);
      assertStaleEvent();
      await assertRecovers();
      watch.check();
    });
  }

  it('one absurd spike (400 A for one sample) is ignored: no reduction', async () => {
    let spiked = false;
    const spike = (s: MeterSample): MeterSample => (spiked ? s : ((spiked = true), { ...s, currentsA: [s.currentsA[0], 400, s.currentsA[2]] }));
    await rig.second([3, 3, 3], { sample: spike });
    await rig.seconds(5, [3, 3, 3]);
    assert.ok(spiked);
    assert.strictEqual(rig.emu.offeredA, 16);
    assert.deepStrictEqual(rig.controller.events().filter((e) => e.type === 'reduced' || e.type === 'paused'), []);
    watch.check();
  });

  it('negative currents (export) are real values: no fail-safe, the charger keeps its maximum', async () => {
    await rig.seconds(30, [-20, -20, -20]);
    assert.strictEqual(rig.emu.offeredA, 16);
    assert.strictEqual(rig.controller.liveView().meter.stale, false);
    watch.check();
  });

  it('the controller clock jumps back an hour: no false stale alarm, overloads still cut at once', async () => {
    rig.wall.offsetMs = -3_600_000;
    await rig.seconds(30, [3, 3, 3]);
    assert.strictEqual(rig.emu.offeredA, 16);
    assert.strictEqual(rig.controller.liveView().meter.stale, false);
    await rig.second([3, 14, 3]);
    assert.strictEqual(rig.emu.offeredA, 10);
    watch.check();
  });

  it('the controller clock jumps forward an hour: balancing continues with the next sample', async () => {
    rig.wall.offsetMs = 3_600_000;
    await rig.seconds(5, [3, 3, 3]);
    assert.strictEqual(rig.controller.liveView().meter.stale, false);
    await rig.second([3, 14, 3]);
    assert.strictEqual(rig.emu.offeredA, 10);
    watch.check();
  });

  it('the meter\'s own clock resets (timestamps two hours behind): samples still count as fresh', async () => {
    await rig.seconds(30, [3, 3, 3], { report: true });
    for (let s = 0; s < 30; s++) await rig.second([3, 3, 3], { sample: (x) => ({ ...x, timeMs: x.timeMs - 7_200_000 }) });
    assert.strictEqual(rig.controller.liveView().meter.stale, false);
    assert.strictEqual(rig.emu.offeredA, 16);
    await rig.second([3, 14, 3], { sample: (x) => ({ ...x, timeMs: x.timeMs - 7_200_000 }) });
    assert.strictEqual(rig.emu.offeredA, 10);
    watch.check();
  });
});

import assert from 'assert';
import { FAULT_KINDS, FAULT_SPECS, faultFreeMask, gapBefore, planFaults, seededRandom, segments, worstSlotS } from '../../../tools/bench/soak';
import { FaultSchedule, kindVerdict, summarizeKinds, worstOf, type Occurrence } from '../../../tools/bench/soak/measure';
import { END_MARGIN_S, FIRST_FAULT_S, MIN_GAP_S, type PlannedFault } from '../../../tools/bench/soak/plan';
import type { ActiveFault } from '../../../tools/bench/soak/faults';

const SIX_HOURS_S = 6 * 3600;

/** A schedule whose faults take exactly their worst case: never ready, active maxActiveS, never recovering before the cap. */
async function runWorstCase(plan: PlannedFault[], durationS: number): Promise<Occurrence[]> {
  const start = (f: PlannedFault): ActiveFault => ({ notes: {}, ready: () => false, step: async (relS) => relS < FAULT_SPECS[f.kind].maxActiveS });
  const schedule = new FaultSchedule(plan, FIRST_FAULT_S, durationS, start);
  for (let s = 1; s <= durationS; s++) {
    await schedule.beforeSecond(s);
    schedule.afterSecond(s, true, 30); // a phase over the fuse every second: windows close only at the cap
  }
  schedule.finish(durationS);
  return schedule.occurrences;
}

describe('tools/bench/soak fault plan and schedule', () => {
  it('plans the same faults for the same seed, kinds in shuffled rounds of all kinds', () => {
    const a = planFaults(seededRandom(7), 86_400);
    assert.deepStrictEqual(planFaults(seededRandom(7), 86_400), a);
    assert.notDeepStrictEqual(planFaults(seededRandom(8), 86_400), a);
    assert.deepStrictEqual([...a.slice(0, FAULT_KINDS.length).map((f) => f.kind)].sort(), [...FAULT_KINDS].sort());
    for (const f of a) {
      assert.ok(f.durationS <= FAULT_SPECS[f.kind].maxActiveS || f.kind === 'restart-during-resume', `${f.kind} lasts ${f.durationS} s`);
      if (f.kind === 'goe-delay') assert.ok(f.arg <= 50, 'real-time delays stay small');
    }
  });

  it('fits every kind into a 6 h run even when every fault takes its worst slot', async () => {
    const worst = FAULT_KINDS.reduce((s, k) => s + worstSlotS(k), 0);
    assert.ok(FIRST_FAULT_S + worst <= SIX_HOURS_S - END_MARGIN_S, `worst round ${worst} s`);
    for (const seed of [1, 2, 3, 4, 5, 99]) {
      const occs = await runWorstCase(planFaults(seededRandom(seed), SIX_HOURS_S), SIX_HOURS_S);
      for (const k of FAULT_KINDS) assert.ok(occs.some((o) => o.kind === k), `seed ${seed}: ${k} injected`);
      occs.forEach((o, i) => {
        if (i) assert.ok(o.startS - (occs[i - 1].endS as number) >= MIN_GAP_S, `seed ${seed}: ${o.kind} overlaps or follows too closely`);
        assert.ok((o.endS as number) <= SIX_HOURS_S - END_MARGIN_S, `seed ${seed}: ${o.kind} ends at ${o.endS}`);
      });
    }
  });

  it('shortens the gap in the first round only as far as the rest needs, and never below the minimum', () => {
    const plan = planFaults(seededRandom(3), SIX_HOURS_S);
    const late = gapBefore(plan, 1, SIX_HOURS_S - END_MARGIN_S - 10, SIX_HOURS_S);
    assert.strictEqual(late, null, 'no room left: not started');
    const roomy = gapBefore(plan, 0, FIRST_FAULT_S, 86_400);
    assert.strictEqual(roomy, plan[0].gapS, 'plenty of room (24 h): the planned gap');
    const tight = gapBefore(plan, 0, FIRST_FAULT_S, SIX_HOURS_S) as number;
    assert.ok(tight >= MIN_GAP_S && tight <= plan[0].gapS, `6 h: ${tight} s`);
    const tighter = gapBefore(plan, 0, FIRST_FAULT_S + 3600, SIX_HOURS_S) as number;
    assert.ok(tighter >= MIN_GAP_S && tighter < tight, `an hour later: ${tighter} s`);
  });

  it('attributes seconds over the fuse to the open window, which closes 30 quiet seconds after the clear', async () => {
    const plan: PlannedFault[] = [{ kind: 'meter-gap', durationS: 10, arg: 0, count: 0, phase: 0, gapS: MIN_GAP_S }];
    const schedule = new FaultSchedule(plan, 0, 10_000, () => ({ notes: {}, step: async (relS) => relS < 10 }));
    const overAt = new Set([125, 126, 135, 150]); // the fault runs 120..130, cleared at 130
    for (let s = 1; s <= 400; s++) {
      await schedule.beforeSecond(s);
      if (s === 128) schedule.onAlarm(s);
      schedule.afterSecond(s, overAt.has(s), overAt.has(s) ? 27 : 20);
    }
    const [o] = schedule.occurrences;
    assert.deepStrictEqual([o.startS, o.clearedS, o.endS], [120, 130, 180], 'closes 30 s after the last second over (150)');
    assert.strictEqual(o.secondsOverFuse, 4);
    assert.strictEqual(o.maxPhaseA, 27);
    assert.strictEqual(o.alarmAfterS, 8);
  });

  it('judges a kind by its bound, and an uncuttable kind by the alarm when it stayed over', () => {
    const occ = (kind: Occurrence['kind'], over: number, alarm: number | null): Occurrence => ({
      kind,
      planned: { kind, durationS: 0, arg: 0, count: 0, phase: 0, gapS: 0 },
      startS: 0,
      clearedS: 100,
      endS: 130,
      secondsOverFuse: over,
      maxPhaseA: 30,
      alarmAfterS: alarm,
      notes: {},
    });
    const byKind = (occs: Occurrence[], kind: string) => summarizeKinds(occs).find((k) => k.kind === kind)!;
    assert.ok(kindVerdict(byKind([occ('goe-500', 40, null)], 'goe-500')).met);
    assert.ok(!kindVerdict(byKind([occ('goe-500', 41, null)], 'goe-500')).met);
    assert.ok(kindVerdict(byKind([occ('cloud-html-200', 75, null)], 'cloud-html-200')).met);
    assert.ok(kindVerdict(byKind([occ('ignored-pause', 120, 55)], 'ignored-pause')).met, 'alarm within 60 s');
    const missed = byKind([occ('ignored-pause', 120, null)], 'ignored-pause');
    assert.deepStrictEqual([missed.unresolvedAlarmWithinS, missed.unresolvedAlarmMissed], [130, 1], 'missed: the window as a lower bound');
    assert.ok(!kindVerdict(missed).met);
    assert.strictEqual(byKind([occ('goe-500', 3, null)], 'goe-500').unresolvedAlarmWithinS, null, 'not needed: null');
    assert.ok(!kindVerdict(byKind([], 'goe-500')).met, 'not injected is not met');
    const worst = worstOf([summarizeKinds([occ('restart', 3, null)]), summarizeKinds([occ('restart', 50, null)])]).find((k) => k.kind === 'restart')!;
    assert.deepStrictEqual([worst.count, worst.maxSecondsOverFuse], [2, 50]);
  });

  it('counts a second as fault-free only with no window open and the quiet time after the last one', () => {
    const mask = faultFreeMask([[100, 120]], 1000, 50);
    assert.deepStrictEqual(segments(mask), [
      [51, 99],
      [171, 1000],
    ]);
  });
});

describe('npm run soak -- --json', function () {
  this.timeout(120_000);

  it('prints exactly one JSON object with a summary per fault kind, and writes the report', async () => {
    const { spawnSync } = await import('child_process');
    const { mkdtempSync, readFileSync, rmSync } = await import('fs');
    const os = await import('os');
    const path = await import('path');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'soak-test-'));
    try {
      const out = path.join(dir, 'soak.md');
      const root = path.join(__dirname, '..', '..', '..');
      const r = spawnSync(process.execPath, [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), '--expose-gc', path.join(root, 'tools', 'bench', 'soak.ts'), '--hours', '1', '--seed', '2', '--json', '--out', out], { encoding: 'utf8' });
      const lines = r.stdout.split('\n').filter((l) => l.trim());
      assert.strictEqual(lines.length, 1, `stdout: ${r.stdout.slice(0, 500)}\nstderr: ${r.stderr.slice(-500)}`);
      const json = JSON.parse(lines[0]);
      assert.deepStrictEqual(Object.keys(json), ['faults', 'crashes', 'unhandledRejections', 'heapGrowthMB']);
      assert.deepStrictEqual(
        json.faults.map((f: { kind: string }) => f.kind),
        [...FAULT_KINDS],
      );
      for (const f of json.faults) {
        assert.deepStrictEqual(Object.keys(f).slice(0, 5), ['kind', 'count', 'maxSecondsOverFuse', 'maxPhaseA', 'unresolvedAlarmWithinS']);
        if (f.count > 0) assert.ok(typeof f.maxSecondsOverFuse === 'number' && typeof f.maxPhaseA === 'number', JSON.stringify(f));
        else assert.strictEqual(f.maxSecondsOverFuse, null);
      }
      const injected = json.faults.reduce((n: number, f: { count: number }) => n + f.count, 0);
      assert.ok(injected >= 5, `${injected} faults in an hour`);
      assert.strictEqual(json.crashes, 0);
      assert.strictEqual(json.unhandledRejections, 0);
      const md = readFileSync(out, 'utf8');
      assert.match(md, /GENERATED by `npm run soak`/);
      assert.match(md, /## Per fault kind/);
      assert.ok(/every fault kind injected \| \d+\/26/.test(md), 'the criteria table');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

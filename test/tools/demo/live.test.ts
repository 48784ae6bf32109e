/**
 * Live mode (`npm start -- --meter homewizard://HOST --goe HOST`) over real loopback HTTP against the
 * go-e and HomeWizard emulators, on the real clock: a car starts drawing between two charger polls,
 * a house load step that needs a cut, a meter outage. Bounds are generous (a loaded 2-core machine);
 * nothing here is a timing claim.
 */
import assert from 'assert';
import type { Triple } from '../../../lib/balancer/types';
import { SystemClock } from '../../../lib/clock';
import type { ControllerEvent } from '../../../lib/controller';
import { startLive, type LiveRun } from '../../../tools/demo/live';
import { GoeEmulator } from '../../../tools/emulators/goe/emulator';
import { HomeWizardEmulator } from '../../../tools/emulators/homewizard';

const FUSE_A = 25;
const MARGIN_A = 1;
const GOE_POLL_S = 3;
const STALE_AFTER_S = 2;
const PAUSE_AFTER_S = 3;
/** Short, so that a wrong pause at session start does not hold up the rest of the scenario (s). */
const RESUME_WINDOW_S = 2;
/**
 * The car starts drawing this long after it is plugged in (and allowed): just after the next poll,
 * so the app has seen it connected before it draws, and the meter shows its current (a telegram
 * and a meter poll, ≤ 2 s) before the charger's own reading does (the poll after that).
 */
const CAR_START_DELAY_MS = GOE_POLL_S * 1000 + 300;
/** Slack for a loaded machine on top of every bound (s). */
const SLACK_S = 4;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Wait until `cond` holds (checked every 50 ms); returns the seconds it took, or null after `withinS`. */
async function waitFor(cond: () => boolean, withinS: number): Promise<number | null> {
  const t0 = Date.now();
  while (Date.now() - t0 <= withinS * 1000) {
    if (cond()) return (Date.now() - t0) / 1000;
    await sleep(50);
  }
  return null;
}

describe('tools/demo live mode (real clock, loopback HTTP)', function () {
  this.timeout(60_000);
  const clock = new SystemClock();
    // 11 A free on every phase: room to charge, but a car's first 6 A taken for house load would leave
  // less than the 6 A minimum (a pause): the test catches the race whatever current the car starts at
  const houseA: Triple<number> = [13, 13, 13];
  let goe: GoeEmulator;
  let meter: HomeWizardEmulator;
  let run: LiveRun | null = null;
  const events: { atMs: number; e: ControllerEvent }[] = [];
  const lines: string[] = [];

  before(async () => {
    goe = new GoeEmulator({ clock, startDelayMs: CAR_START_DELAY_MS, profile: 'v2-060' });
    await goe.start();
    meter = new HomeWizardEmulator({ clock, trace: () => houseA.map((a) => a + goe.drawA) as Triple<number>, integerAmps: false });
    const meterHost = await meter.start();
    run = await startLive({
      meterHost,
      goeHost: goe.url,
      settings: { fuseA: FUSE_A, marginA: MARGIN_A, staleAfterS: STALE_AFTER_S, pauseAfterS: PAUSE_AFTER_S, resumeWindowS: RESUME_WINDOW_S },
      pollS: { goe: GOE_POLL_S },
      out: (l) => lines.push(l),
      err: (l) => lines.push(`err: ${l}`),
    });
    run.controller.on('event', (e: ControllerEvent) => events.push({ atMs: Date.now(), e }));
  });

  after(async () => {
    await run?.stop();
    await goe?.stop();
    await meter?.stop();
  });

  const goePaused = (sinceMs: number): ControllerEvent | undefined => events.find((x) => x.atMs >= sinceMs && x.e.type === 'paused')?.e;
  const statusPolls = (): number => goe.requests.filter((r) => r.path === '/api/status').length;
  const trail = (): string => lines.slice(-15).join('\n');

  it('does not pause a car that starts drawing between two charger polls while the phase has room (session-start race)', async () => {
    // the app runs on fresh meter data and has polled the go-e (no car yet)
    assert.ok((await waitFor(() => run!.meter.counters.telegrams >= 2 && statusPolls() >= 1, 10)) !== null, 'the live loop started');
    // plug the car in right after a poll
    const polls = statusPolls();
    assert.ok((await waitFor(() => statusPolls() > polls, GOE_POLL_S + SLACK_S)) !== null, 'the go-e is polled');
    const pluggedMs = Date.now();
    goe.plugIn({ maxCurrentA: 16, phases: 3, needWh: 1e9 });
    let meterSawCarMs: number | null = null;
    const off = run!.meter.onSample((s) => {
      if (meterSawCarMs === null && (s.currentsA[0] ?? 0) >= houseA[0] + 5) meterSawCarMs = Date.now();
    });
    assert.ok((await waitFor(() => goe.drawA > 0, CAR_START_DELAY_MS / 1000 + SLACK_S)) !== null, 'the car draws');
    const pollsWhenDrawing = statusPolls();
    const nextPollS = await waitFor(() => statusPolls() > pollsWhenDrawing, GOE_POLL_S + SLACK_S);
    const nextPollMs = Date.now();
    off();
    if (meterSawCarMs === null || meterSawCarMs > nextPollMs) {
      // the machine was too slow to open the race window this time: the assertion below still holds, but says less
      console.error(`      (note: the go-e was polled ${nextPollS} s after its car started, before the meter showed the car)`);
    }
    await sleep(1000); // a pause would have been decided on the meter samples before that poll
    const headroomA = FUSE_A - MARGIN_A - houseA[0];
    // THE SESSION-START RACE (issue 11, controller fix): with 11 A free on every phase, the car's
    // first amps must not be taken for a household jump.
    assert.strictEqual(goePaused(pluggedMs), undefined, `paused at session start with ${headroomA} A of headroom:\n${trail()}`);
    assert.ok(goe.allowed && goe.drawA >= 6, `charging at ${goe.drawA} A, allowed ${goe.allowed}`);
  });

  /** Wait until the car charges (after a pause: the resume window, a poll and the car's start delay). */
  const charging = (): Promise<number | null> => waitFor(() => goe.drawA >= 6, RESUME_WINDOW_S + GOE_POLL_S + CAR_START_DELAY_MS / 1000 + SLACK_S);

  it('cuts the go-e when a house load step leaves less room than it draws', async () => {
    assert.ok((await charging()) !== null, `the car charges (${goe.drawA} A)`);
    const drawA = goe.drawA;
    const stepMs = Date.now();
    // L1 over fuse − margin by 4 A unless the go-e is cut (to 4 A less, or paused when that is below 6 A)
    const before = houseA[0];
    houseA[0] = FUSE_A - MARGIN_A - drawA + 4;
    const phaseOk = (): boolean => houseA[0] + goe.drawA <= FUSE_A - MARGIN_A + 0.5;
    const tookS = await waitFor(phaseOk, 1 + 1 + SLACK_S); // a telegram, a meter poll, the write
    assert.ok(tookS !== null, `L1 still at ${houseA[0] + goe.drawA} A (house ${houseA[0]} A, car ${goe.drawA} A):\n${trail()}`);
    const cut = events.find((x) => x.atMs >= stepMs && (x.e.type === 'reduced' || x.e.type === 'paused'));
    assert.ok(cut, `no cut decided:\n${trail()}`);
    if (drawA >= 10) assert.strictEqual(cut.e.type, 'reduced', `${drawA} A could be cut by 4 A without a pause`);
    houseA[0] = before;
  });

  it('holds the go-e at its minimum when the meter stops answering, then pauses it', async () => {
    assert.ok((await charging()) !== null, `the car charges (${goe.drawA} A)`);
    meter.faults.status500 = true;
    const minS = await waitFor(() => goe.offeredA <= 6 || !goe.allowed, STALE_AFTER_S + GOE_POLL_S + SLACK_S);
    assert.ok(minS !== null, `offered ${goe.offeredA} A after the meter went silent:\n${trail()}`);
    const pausedS = await waitFor(() => !goe.allowed && goe.drawA === 0, PAUSE_AFTER_S + GOE_POLL_S + SLACK_S);
    assert.ok(pausedS !== null, `still allowed (${goe.drawA} A) after the meter went silent:\n${trail()}`);
  });
});

/**
 * What live mode (`npm start -- --meter … --goe …`) prints: each balancer event exactly once, with a
 * time stamp. Real clock, loopback HTTP, the go-e and HomeWizard emulators; a house load that leaves
 * the car first 7 A (a cut), then 3 A (a pause).
 */
import assert from 'assert';
import type { Triple } from '../../../lib/balancer/types';
import { SystemClock } from '../../../lib/clock';
import type { ControllerEvent } from '../../../lib/controller';
import { startLive, type LiveRun } from '../../../tools/demo/live';
import { GoeEmulator } from '../../../tools/emulators/goe/emulator';
import { HomeWizardEmulator } from '../../../tools/emulators/homewizard';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('tools/demo live mode output', function () {
  this.timeout(60_000);
  let goe: GoeEmulator;
  let meter: HomeWizardEmulator;
  let run: LiveRun | null = null;

  after(async () => {
    await run?.stop();
    await goe?.stop();
    await meter?.stop();
  });

  it('prints each balancer event once, time-stamped', async () => {
    const clock = new SystemClock();
    const houseA: Triple<number> = [10, 10, 10];
    goe = new GoeEmulator({ clock, startDelayMs: 0, profile: 'v2-060' });
    await goe.start();
    goe.plugIn({ maxCurrentA: 16, phases: 3, needWh: 1e9 });
    meter = new HomeWizardEmulator({ clock, trace: () => houseA.map((a) => a + goe.drawA) as Triple<number>, integerAmps: false });
    const meterHost = await meter.start();
    const lines: string[] = [];
    run = await startLive({
      meterHost,
      goeHost: goe.url,
      settings: { fuseA: 25, marginA: 1 },
      pollS: { goe: 1 },
      out: (l) => lines.push(l),
      err: (l) => lines.push(`err: ${l}`),
    });
    const events: ControllerEvent[] = [];
    run.controller.on('event', (e: ControllerEvent) => events.push(e));
    const until = async (cond: () => boolean): Promise<void> => {
      for (let i = 0; i < 150 && !cond(); i++) await sleep(100);
    };
    await until(() => goe.drawA === 14); // a session starts at what fits (24 A − 10 A), without an event
    houseA.fill(17); // 7 A left: a cut
    await until(() => events.some((e) => e.type === 'reduced'));
    houseA.fill(21); // 3 A left: a pause
    await until(() => events.some((e) => e.type === 'paused'));
    await sleep(500);
    assert.deepStrictEqual(events.map((e) => e.type).filter((t) => t !== 'restored'), ['reduced', 'paused'], `the balancer acted:\n${lines.join('\n')}`);
    for (const e of events) {
      const printed = lines.filter((l) => l.includes(e.reason));
      assert.strictEqual(printed.length, 1, `"${e.reason}" printed ${printed.length} times:\n${lines.join('\n')}`);
      assert.match(printed[0], new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z balancer ${e.type}: `));
    }
  });
});

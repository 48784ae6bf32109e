/**
 * What the live-mode tests of tools/demo share: waiting on the real clock, the go-e emulator they charge a car on and
 * `main` run in live mode with its printed lines collected and a stop signal (Ctrl-C).
 */
import type { Clock } from '../../../lib/clock';
import { main } from '../../../tools/demo/main';
import { GoeEmulator } from '../../../tools/emulators/goe/emulator';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Wait until `cond` holds (checked every 50 ms); returns false after `withinS`. */
export async function waitFor(cond: () => boolean, withinS: number): Promise<boolean> {
  const end = Date.now() + withinS * 1000;
  while (Date.now() <= end) {
    if (cond()) return true;
    await sleep(50);
  }
  return cond();
}

/** A go-e emulator (firmware 60, on `clock`) with a three-phase car that takes up to 16 A and never fills up. */
export async function startLiveGoe(clock: Clock): Promise<GoeEmulator> {
  const goe = new GoeEmulator({ clock, profile: 'v2-060' });
  await goe.start();
  goe.plugIn({ maxCurrentA: 16, phases: 3, needWh: 1e9 });
  return goe;
}

/** `main(args)` in live mode: each printed line into `lines` (and to `onLine`), each error into `errors`; `stop` is Ctrl-C. */
export function runLive(args: string[], lines: string[], errors: string[], onLine: (l: string) => void = () => undefined): { stop: () => void; exit: Promise<number> } {
  let stop: () => void = () => undefined;
  const stopSignal = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const exit = main(args, {
    out: (l) => {
      lines.push(l);
      onLine(l);
    },
    err: (l) => errors.push(l), env: {}, stopSignal,
  });
  return { stop, exit };
}

/** The last lines printed and errors, for a failure's message. */
export const liveTrail = (lines: string[], errors: string[]): string => [...lines.slice(-12), ...errors.slice(-5).map((e) => `err: ${e}`)].join('\n');

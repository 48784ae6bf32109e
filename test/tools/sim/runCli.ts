/** The sim CLI run in-process as the sim tests run it: its exit code and the lines it printed and reported as errors. */
import path from 'path';
import { runSimCli } from '../../../tools/sim/cli';

/** The repository root (test fixtures live below it). */
export const ROOT = path.join(__dirname, '..', '..', '..');

export function run(argv: string[]): { code: number; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const code = runSimCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

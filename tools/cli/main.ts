/**
 * `npm run --silent cli -- <brand> <command> [flags]`: diagnose a charger from a terminal.
 * Exit codes: 0 success, 1 the peer failed (unreachable, timeout, bad answer, auth), 2 usage error.
 * Never prints a stack trace or a secret.
 */
import { UserInputError, describeError } from '../../lib/errors';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
}

export type CliCommand = (argv: string[], io: CliIo) => Promise<number>;

/** Each brand module (tools/cli/<brand>.ts) exports `commands`; add one line per brand here. */
const brands: Record<string, () => Promise<Record<string, CliCommand>>> = {
  // require, not import(): mocha's tsx/cjs hook does not resolve a dynamic import() of a .ts file
  goe: async () => (require('./goe') as typeof import('./goe')).commands,
  chargeamps: async () => (require('./chargeamps') as typeof import('./chargeamps')).commands,
};

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [brand, command, ...rest] = argv;
  const known = Object.keys(brands).join('|');
  if (!brand || !brands[brand]) {
    io.err(`usage: cli <${known}> <command> [flags]${brand ? ` (unknown brand "${brand}")` : ''}`);
    return 2;
  }
  const commands = await brands[brand]();
  if (!command || !commands[command]) {
    io.err(`usage: cli ${brand} <${Object.keys(commands).join('|')}> [flags]${command ? ` (unknown command "${command}")` : ''}`);
    return 2;
  }
  try {
    return await commands[command](rest, io);
  } catch (err) {
    io.err(`error: ${describeError(err)}`);
    return err instanceof UserInputError ? 2 : 1;
  }
}

if (require.main === module) {
  const io: CliIo = {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
    env: process.env,
  };
  runCli(process.argv.slice(2), io).then(
    (code) => process.exit(code),
    (err) => {
      io.err(`error: ${describeError(err)}`);
      process.exit(1);
    },
  );
}

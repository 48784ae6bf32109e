/**
 * `npm run --silent cli -- <brand> <command> [flags]`: diagnose a charger from a terminal.
 * `--help` at any level lists the brands, a brand's commands, or a command's flags.
 * Exit codes: 0 success, 1 the peer failed (unreachable, timeout, bad answer, auth), 2 usage error.
 * Never prints a stack trace or a secret; credentials come from the environment or a prompt.
 */
import { UserInputError, describeError } from '../../lib/errors';
import { formatHelp, wantsHelp, type FlagDocs } from './args';
import { terminalPrompt, type Prompt } from './credentials';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
  /** Asks for a credential the environment lacks; absent when no terminal is attached (tests, pipes). */
  prompt?: Prompt;
}

export interface CliCommand {
  /** One line for the brand's list of commands. */
  summary: string;
  /** What `--help` says about it beyond the summary (optional). */
  details?: string;
  flags: FlagDocs;
  env?: Record<string, string>;
  notes?: string[];
  run(argv: string[], io: CliIo): Promise<number>;
}

export const CLI = 'npm run --silent cli --';

/** Each brand module (tools/cli/<brand>.ts) exports `commands`; add one line per brand here. */
const brands: Record<string, { summary: string; load: () => Record<string, CliCommand> }> = {
  // require, not import(): mocha's tsx/cjs hook does not resolve a dynamic import() of a .ts file
  goe: { summary: 'a go-e charger on the local network (HTTP API v1/v2) or through the go-e cloud', load: () => (require('./goe') as typeof import('./goe')).commands },
  chargeamps: { summary: 'Charge Amps chargers of an account, through the Charge Amps cloud (EAPI v5)', load: () => (require('./chargeamps') as typeof import('./chargeamps')).commands },
};

function listing(title: string, rows: [string, string][]): string[] {
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return [title, ...rows.map(([k, v]) => `  ${k.padEnd(width)}${v}`)];
}

function topHelp(): string[] {
  return [
    `usage: ${CLI} <brand> <command> [flags]`,
    '',
    ...listing('brands:', Object.entries(brands).map(([k, b]) => [k, b.summary])),
    '',
    `${CLI} <brand> --help lists its commands; ${CLI} <brand> <command> --help lists the command's flags.`,
    'Exit 0 ok, 1 the charger or cloud failed (one line), 2 bad input. Passwords, tokens and API keys are never printed.',
  ];
}

function brandHelp(brand: string, commands: Record<string, CliCommand>): string[] {
  return [
    `usage: ${CLI} ${brand} <command> [flags]`,
    '',
    ...listing('commands:', Object.entries(commands).map(([k, c]) => [k, c.summary])),
    '',
    `${CLI} ${brand} <command> --help lists the command's flags.`,
  ];
}

export function commandHelp(brand: string, name: string, c: CliCommand): string[] {
  const summary = `${c.summary.charAt(0).toUpperCase()}${c.summary.slice(1)}.${c.details ? ` ${c.details}` : ''}`;
  return formatHelp({ command: `${CLI} ${brand} ${name}`, summary, flags: c.flags, env: c.env, notes: c.notes });
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [brand, command, ...rest] = argv;
  const known = Object.keys(brands).join('|');
  if (brand === '--help' || brand === '-h' || brand === 'help') {
    topHelp().forEach((l) => io.out(l));
    return 0;
  }
  if (!brand || !brands[brand]) {
    io.err(`usage: cli <${known}> <command> [flags]${brand ? ` (unknown brand "${brand}")` : ''}; --help lists them`);
    return 2;
  }
  const commands = brands[brand].load();
  if (command === '--help' || command === '-h' || command === 'help') {
    brandHelp(brand, commands).forEach((l) => io.out(l));
    return 0;
  }
  if (!command || !commands[command]) {
    io.err(`usage: cli ${brand} <${Object.keys(commands).join('|')}> [flags]${command ? ` (unknown command "${command}")` : ''}; --help lists them`);
    return 2;
  }
  if (wantsHelp(rest)) {
    commandHelp(brand, command, commands[command]).forEach((l) => io.out(l));
    return 0;
  }
  try {
    return await commands[command].run(rest, io);
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
    prompt: terminalPrompt(),
  };
  runCli(process.argv.slice(2), io).then(
    (code) => process.exit(code),
    (err) => {
      io.err(`error: ${describeError(err)}`);
      process.exit(1);
    },
  );
}

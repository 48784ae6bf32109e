/**
 * Tiny flag parser shared by the workshop's command lines (tools/). Unknown flags and missing values
 * are usage errors (exit 2) with one line naming the flag. `FlagDocs` describe a command's flags for
 * its `--help`; `specOf` turns them into the parser's spec.
 */
import { UserInputError } from '../../lib/errors';

export type FlagType = 'string' | 'number' | 'integer' | 'boolean';
export type FlagSpec = Record<string, FlagType>;
export type ParsedFlags = Record<string, string | number | boolean | undefined>;

export class UsageError extends UserInputError {}

export function parseFlags(argv: string[], spec: FlagSpec): { flags: ParsedFlags; positional: string[] } {
  const flags: ParsedFlags = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    const type = spec[name];
    if (!type) throw new UsageError(`--${name}`, `unknown flag; expected one of ${Object.keys(spec).map((k) => `--${k}`).join(', ')}`);
    if (type === 'boolean') {
      flags[name] = true;
      continue;
    }
    const raw = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (raw === undefined || (eq < 0 && raw.startsWith('--'))) throw new UsageError(`--${name}`, `needs a ${type === 'integer' ? 'whole number' : type} value`);
    if (type === 'number' || type === 'integer') {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name}`, `expected a number, got "${raw}"`);
      if (type === 'integer' && !Number.isInteger(n)) throw new UsageError(`--${name}`, `expected a whole number, got ${raw}`);
      flags[name] = n;
    } else {
      flags[name] = raw;
    }
  }
  return { flags, positional };
}

export function requireFlag<T extends string | number>(flags: ParsedFlags, name: string): T {
  const v = flags[name];
  if (v === undefined || v === '') throw new UsageError(`--${name}`, 'is required');
  return v as T;
}

/** One flag as `--help` shows it. */
export interface FlagDoc {
  type: FlagType;
  /** The value's placeholder in the help (`HOST`, `A`); none for a boolean. */
  value?: string;
  help: string;
  required?: boolean;
}

export type FlagDocs = Record<string, FlagDoc>;

/** The parser spec of documented flags (every command also takes --help). */
export function specOf(docs: FlagDocs): FlagSpec {
  const spec: FlagSpec = { help: 'boolean' };
  for (const [name, d] of Object.entries(docs)) spec[name] = d.type;
  return spec;
}

/** True when argv asks for help (`--help` or `-h` anywhere). */
export function wantsHelp(argv: string[]): boolean {
  return argv.some((a) => a === '--help' || a === '-h');
}

export interface HelpPage {
  /** The command line, e.g. `npm run --silent cli -- goe status`. */
  command: string;
  /** One or two sentences: what the command does. */
  summary: string;
  flags: FlagDocs;
  /** Environment variables the command reads, with what they hold. */
  env?: Record<string, string>;
  /** Lines after the flags (examples, notes). */
  notes?: string[];
}

/** The `--help` text of a command: usage, summary, every flag with its meaning, the environment. */
export function formatHelp(page: HelpPage): string[] {
  const entries = Object.entries(page.flags);
  const flagText = ([name, d]: [string, FlagDoc]): string => `--${name}${d.value ? ` ${d.value}` : ''}`;
  const required = entries.filter(([, d]) => d.required).map(flagText);
  const lines = [`usage: ${page.command}${required.length ? ` ${required.join(' ')}` : ''}${entries.some(([, d]) => !d.required) ? ' [flags]' : ''}`, '', page.summary, ''];
  const all: [string, string][] = [...entries.map((e): [string, string] => [flagText(e), `${e[1].help}${e[1].required ? ' (required)' : ''}`]), ['--help', 'show this help']];
  const width = Math.max(...all.map(([f]) => f.length)) + 2;
  lines.push('flags:');
  for (const [f, help] of all) lines.push(`  ${f.padEnd(width)}${help}`);
  const env = Object.entries(page.env ?? {});
  if (env.length) {
    const envWidth = Math.max(...env.map(([k]) => k.length)) + 2;
    lines.push('', 'environment:');
    for (const [k, v] of env) lines.push(`  ${k.padEnd(envWidth)}${v}`);
  }
  if (page.notes?.length) lines.push('', ...page.notes);
  return lines;
}

/**
 * Tiny flag parser shared by every CLI in lib/. Unknown flags and missing values are usage errors
 * (exit 2) with one line naming the flag.
 */
import { UserInputError } from '../../lib/errors';

export type FlagSpec = Record<string, 'string' | 'number' | 'boolean'>;
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
    if (raw === undefined || (eq < 0 && raw.startsWith('--'))) throw new UsageError(`--${name}`, `needs a ${type} value`);
    if (type === 'number') {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name}`, `expected a number, got "${raw}"`);
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

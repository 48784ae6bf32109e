/**
 * The balancer's settings: ranges, defaults and the one validation (settings page, flow cards, tests).
 */
import { UserInputError } from '../errors';
import { DEFAULT_BALANCER_CONFIG, DEFAULT_OVERLOAD_UNRESOLVED_AFTER_S, DEFAULT_QUICK_STRESS_BUDGET, FUSE_LIMITS_A, QUICK_WAIT_FACTOR, type BalancerConfig } from './types';

type NumericKey = {
  [K in keyof BalancerConfig]-?: BalancerConfig[K] extends number | undefined ? K : never;
}[keyof BalancerConfig];

const DAY_S = 86_400;

/**
 * Every numeric setting, in the order errors are listed. Its unit follows from its name (…A, …S) unless RANGES
 * names one; the range is at least 0 and at most a day (s) or 1000 A, but for the exceptions in RANGES.
 */
const KEYS: NumericKey[] = [
  'fuseA', 'marginA', 'restoreStepA', 'restoreHoldS', 'staleAfterS', 'pauseAfterS', 'resumeWindowS', 'resumeHysteresisA',
  'cloudWriteIntervalS', 'localWriteIntervalS', 'cloudRaiseWindowS', 'cloudRaiseReserveA', 'overloadUnresolvedAfterS', 'quickStressBudget',
];

const RANGES: Partial<Record<NumericKey, { min?: number; minInclusive?: boolean; max?: number; unit?: string }>> = {
  fuseA: FUSE_LIMITS_A,
  restoreStepA: { minInclusive: false, max: 100 },
  staleAfterS: { minInclusive: false },
  pauseAfterS: { minInclusive: false },
  resumeHysteresisA: { max: 100 },
  cloudRaiseWindowS: { max: 3_600 },
  cloudRaiseReserveA: { max: 100 },
  quickStressBudget: { max: 1, unit: '× a trip' },
};

const FIELDS = KEYS.map((key) => {
  const r = RANGES[key] ?? {};
  const unit = r.unit ?? (key.endsWith('S') ? 's' : 'A');
  return { key, unit, min: r.min ?? 0, minInclusive: r.minInclusive ?? true, max: r.max ?? (unit === 's' ? DAY_S : 1000) };
});

/** Thrown by `validateBalancerConfig`: `field` is the first bad field, `problems` has one line per bad field. */
export class BalancerConfigError extends UserInputError {
  readonly problems: { field: string; message: string }[];
  constructor(problems: { field: string; message: string }[]) {
    const [first, ...rest] = problems;
    super(first.field, [first.message, ...rest.map((p) => `${p.field}: ${p.message}`)].join('; '));
    this.name = 'BalancerConfigError';
    this.problems = problems;
  }
}

/**
 * Check a (partial) config from settings or a flow card and fill the defaults. Numbers may come as
 * numeric strings. Throws `BalancerConfigError` (a `UserInputError`) listing every bad field.
 */
export function validateBalancerConfig(partial: unknown): BalancerConfig {
  if (partial === undefined || partial === null) partial = {};
  if (typeof partial !== 'object' || Array.isArray(partial)) {
    throw new UserInputError('balancer', 'expected an object with the balancer settings');
  }
  const src = partial as Record<string, unknown>;
  const out: BalancerConfig = {
    ...DEFAULT_BALANCER_CONFIG,
    overloadUnresolvedAfterS: DEFAULT_OVERLOAD_UNRESOLVED_AFTER_S,
    quickStressBudget: DEFAULT_QUICK_STRESS_BUDGET,
  };
  const problems: { field: string; message: string }[] = [];
  const bad = new Set<string>();
  for (const f of FIELDS) {
    const raw = src[f.key];
    if (raw === undefined) continue;
    const v = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    const range = `${f.minInclusive ? 'at least' : 'more than'} ${f.min} ${f.unit} and at most ${f.max} ${f.unit}`;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      problems.push({ field: f.key, message: `expected a number of ${f.unit} (${range}), got ${JSON.stringify(raw)}` });
      bad.add(f.key);
    } else if (v > f.max || (f.minInclusive ? v < f.min : v <= f.min)) {
      problems.push({ field: f.key, message: `must be ${range}, got ${v}` });
      bad.add(f.key);
    } else {
      out[f.key] = v;
    }
  }
  if (!bad.has('marginA') && !bad.has('fuseA') && out.marginA >= out.fuseA) {
    problems.push({ field: 'marginA', message: `must be less than the fuse (${out.fuseA} A), got ${out.marginA} A` });
  }
  if (!bad.has('pauseAfterS') && !bad.has('staleAfterS') && out.pauseAfterS <= out.staleAfterS) {
    problems.push({
      field: 'pauseAfterS',
      message: `must be longer than staleAfterS (${out.staleAfterS} s): first hold at minimum, then pause; got ${out.pauseAfterS} s`,
    });
  }
  if (problems.length) throw new BalancerConfigError(problems);
  return out;
}

/**
 * The rules for while the fuse is cool: the raise and resume waits at QUICK_WAIT_FACTOR of the configured ones and
 * the restore step as many times larger (2 A → 30 A: the held headroom in one raise); quickStressBudget 0: the config.
 */
export function quickRules(cfg: BalancerConfig): BalancerConfig {
  if (!((cfg.quickStressBudget ?? DEFAULT_QUICK_STRESS_BUDGET) > 0)) return cfg;
  const f = QUICK_WAIT_FACTOR;
  return {
    ...cfg,
    restoreStepA: cfg.restoreStepA / f,
    restoreHoldS: cfg.restoreHoldS * f,
    resumeWindowS: cfg.resumeWindowS * f,
    cloudRaiseWindowS: cfg.cloudRaiseWindowS * f,
    configuredHoldS: cfg.restoreHoldS,
  };
}

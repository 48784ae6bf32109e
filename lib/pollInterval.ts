/**
 * The one poll-interval rule: each device kind states its default and minimum (s); a request that is
 * missing or not a number takes the default, one below the minimum takes the minimum with a warning a
 * user can read.
 */
export interface PollLimits {
  defaultS: number;
  minS: number;
  /** "the Charge Amps cloud", "the HomeWizard P1 local API". */
  device: string;
}

export function clampPollInterval(requestedS: number | undefined, limits: PollLimits): { intervalS: number; warning: string | null } {
  if (requestedS === undefined || !Number.isFinite(requestedS)) return { intervalS: limits.defaultS, warning: null };
  if (requestedS < limits.minS) {
    return {
      intervalS: limits.minS,
      warning: `poll interval ${requestedS} s is below the ${limits.minS} s minimum for ${limits.device}; using ${limits.minS} s`,
    };
  }
  return { intervalS: requestedS, warning: null };
}

/**
 * The fault switches of an emulated go-e (tools/emulators/goe/emulatorModel.ts): network faults the HTTP
 * side acts on, devices that answer OK but do not obey (`ignoreLimit`, `ignorePause`, `frcIgnored`), and
 * firmware quirks of access control, logic and status keys (reference goe-api.md §3.2, §8).
 */

export interface GoeFaults {
  /** Answer this much later (real ms). */
  delayMs: number;
  /** Answer HTTP 500 "couldn't take api lock". */
  http500: boolean;
  /** Answer 200 with a non-JSON body. */
  garbage: boolean;
  /** Close the connection without answering. */
  drop: boolean;
  /** Cloud: the charger is offline (403 on v2, "other" on v1). */
  cloudOffline: boolean;
  /** Answer only the first half of the JSON body (a connection cut mid-answer). */
  truncated: boolean;
  /** Answer every key with null (seen from firmware still booting). */
  nullValues: boolean;
  /**
   * The car keeps drawing at the limit in force when this was turned on, whatever `amp` says; the
   * status still reports the new `amp` (a car ignoring the pilot signal, a firmware fault).
   */
  ignoreLimit: boolean;
  /**
   * A pause (v2 `frc=1`, v1 `alw=0`) is accepted and reported (`frc` 1, `alw` false) but a car that
   * is charging keeps charging at its current.
   */
  ignorePause: boolean;
  /** `frc` writes are accepted and reported but the logic acts as if neutral (fw 60.3, v2#321). */
  frcIgnored: boolean;
  /** `frc` is not reset to neutral on unplug (the rule of v2#117 broken): a forced state carries over. */
  frcKeptOnUnplug: boolean;
  /** `trx` cannot be written ("tried to set api key without setter", HTTP 500): only a card authorises. */
  trxReadOnly: boolean;
  /** Report this `modelStatus` whatever the logic says (codes newer firmware added, e.g. 39, 41, 42). */
  modelStatus: number | null;
  /** Every v2 status answer is HTTP 400 (with the JSON body), filtered or not (PRO 60.3, v2#312). */
  status400: boolean;
  /** The 60.0–60.2 key churn: no `cards`, one key per card field instead (`c0n`…`c9i`, v2#288). */
  cardsSplit: boolean;
  /** A `psm` write is accepted and reported (and the charger pauses for it) but the contactor keeps its phases. */
  psmIgnored: boolean;
}

/** The fault switches of one emulated charger; `ignoreLimit` and `ignorePause` act on the model at once. */
export class GoeFaultSwitches implements GoeFaults {
  delayMs = 0;
  http500 = false;
  garbage = false;
  drop = false;
  cloudOffline = false;
  truncated = false;
  nullValues = false;
  frcIgnored = false;
  frcKeptOnUnplug = false;
  trxReadOnly = false;
  modelStatus: number | null = null;
  status400 = false;
  cardsSplit = false;
  psmIgnored = false;
  /** The limit (A) the car keeps while `ignoreLimit` is on; null when it obeys. */
  ignoredLimitA: number | null = null;
  private ignoringPause = false;

  constructor(private readonly model: { update(): void; readonly offeredA: number }) {}

  get ignoreLimit(): boolean {
    return this.ignoredLimitA !== null;
  }

  set ignoreLimit(on: boolean) {
    this.model.update();
    this.ignoredLimitA = on ? (this.ignoredLimitA ?? this.model.offeredA) : null;
  }

  get ignorePause(): boolean {
    return this.ignoringPause;
  }

  set ignorePause(on: boolean) {
    this.model.update();
    this.ignoringPause = on;
  }
}

/**
 * The fault switches of an emulated go-e (lib/goe/emulatorModel.ts): network faults the HTTP side
 * acts on, and devices that answer OK but do not obey (`ignoreLimit`, `ignorePause`).
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

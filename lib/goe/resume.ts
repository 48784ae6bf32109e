/**
 * What a resume writes to a go-e, and when it must say no instead (README, go-e section).
 *
 * Authorisation. A go-e with access control (v2 `acs`=1, v1 `ast`=1) starts a session only after an RFID
 * card or the app authorised it. The go-e app authorises by writing `trx=0` before it allows charging
 * (oh2th/com.go-e.charger `drivers/main-device.js` at b16f143, `onCapability_CHARGING_ALLOWED`: `trx=0` when
 * `acs` is on and there is no transaction, then `frc`). This client does the same only when the user
 * allowed it (`authorise`: the device setting, or the CLI's `--authorise`), because it bypasses the RFID
 * check. Otherwise a resume of a session that waits for authorisation fails with `GoeAuthorisationError`
 * — on v2 after writing `frc` anyway, so that a card held to the charger then starts the session; on v1
 * before writing, because there `alw=1` is itself the app's authorisation.
 *
 * Force state. A v2 resume writes `frc=0` (neutral): the charger's own logic — RFID, Eco/awattar price,
 * next trip, scheduler — decides, as before the app's pause. It writes `frc=2` (forced on) only to restore
 * a forced-on session that the app's own pause replaced (the user had forced charging on in the go-e
 * app); `frc=2` switches the charger's own schedules off until the car is unplugged (`frc` returns to 0
 * then, reference §8.4), so the app never forces on by itself. evcc always writes `frc=2` (evcc-io/evcc
 * `charger/go-e.go` `Enable` at b29b49e, since cec3de47, #9625): it plans the whole charge itself. This
 * app only balances current, so a charger held off by its own Eco or next-trip mode stays off, and the
 * device shows the charger's reason (`modelStatus`).
 */
import { oneLine } from '../errors';
import { GOE_COMMANDS, GoeDialect, GoeSnapshot, GoeWrite } from './status';

/** A resume was refused: the session waits for an RFID card or the app, and authorising it is not allowed. */
export class GoeAuthorisationError extends Error {
  constructor(message: string) {
    super(oneLine(message));
    this.name = 'GoeAuthorisationError';
  }
}

/** What the client remembers about the app's own pause in the current session (forgotten on unplug). */
export interface GoePauseMemory {
  /** The app's pause replaced `frc=2` (forced on): its resume writes 2 again. */
  forcedOnBeforePause: boolean;
  /** The app paused this session while a car was plugged in (v1: its own pause, not a card wait). */
  pausedThisSession: boolean;
}

export const freshPauseMemory = (): GoePauseMemory => ({ forcedOnBeforePause: false, pausedThisSession: false });

export interface GoeResumePlan {
  /** The writes, in order. */
  writes: GoeWrite[];
  /** The session waits for authorisation. */
  waiting: boolean;
  /** The writes include the authorisation (`trx=0`, or v1 `alw=1` on a waiting session). */
  authorises: boolean;
  /** Fail with the authorisation message after the writes. */
  refuse: boolean;
}

/** The writes of one resume, from a fresh status, what the app's pause left, and whether the user allows authorising. */
export function planResume(snap: GoeSnapshot, dialect: GoeDialect, memory: GoePauseMemory, authorise: boolean): GoeResumePlan {
  const commands = GOE_COMMANDS[dialect];
  const resume = commands.resume(memory.forcedOnBeforePause);
  if (!commands.authorise) {
    // v1: `alw=1` is the resume and, on a session that waits for a card, the app's authorisation
    const waiting = snap.detail.waitingForAuthorisation && !memory.pausedThisSession;
    if (waiting && !authorise) return { writes: [], waiting, authorises: false, refuse: true };
    return { writes: [resume], waiting, authorises: waiting, refuse: false };
  }
  const waiting = snap.detail.waitingForAuthorisation;
  const writes: GoeWrite[] = waiting && authorise ? [commands.authorise, resume] : [resume];
  return { writes, waiting, authorises: waiting && authorise, refuse: waiting && !authorise };
}

/** After a v2 pause write: remember whether it replaced a forced-on state (a repeated pause keeps what the first saw). */
export function rememberPause(memory: GoePauseMemory, snap: GoeSnapshot): GoePauseMemory {
  const frc = snap.detail.forceState;
  const carIn = snap.detail.pwmSignal !== 'ready_no_car' && snap.detail.pwmSignal !== 'unknown';
  return {
    forcedOnBeforePause: frc === 2 ? true : frc === 0 ? false : memory.forcedOnBeforePause,
    pausedThisSession: memory.pausedThisSession || carIn,
  };
}

export const DEFAULT_AUTHORISE_HINT = 'enable "Authorise sessions waiting for RFID" in the device settings';

export function authorisationMessage(hint: string): string {
  return `the charger waits for authorisation (RFID/app): ${hint}, or hold a card to it`;
}

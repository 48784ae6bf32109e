/**
 * The go-e side of the one `Charger` interface: a thin wrapper around `GoeClient`. Every command is
 * passed on as one write (no de-duplication, no retry: the actuator decides).
 */
import { Charger, ChargerStatus, LatencyClass } from '../charger';
import { GOE_MIN_CURRENT_A, GoeClient } from './client';
import { GoeSnapshot } from './status';

export class GoeCharger implements Charger {
  readonly brand = 'goe' as const;
  readonly minCurrentA = GOE_MIN_CURRENT_A;
  /** The connection in use; replaced by `useClient` when the host, API or token changes. */
  private goeClient: GoeClient;
  private serial: string;

  /**
   * `id` is the serial when known (from pairing); otherwise it is learnt from the first status. Either way, a
   * charger that then answers with another serial is refused (`GoeOtherChargerError`): no read, no command.
   */
  constructor(client: GoeClient, id = '') {
    this.goeClient = client;
    this.serial = id;
    if (id) client.expectSerial(id);
  }

  get client(): GoeClient {
    return this.goeClient;
  }

  /** Talk to the charger over a new connection (host, API or token changed); this object stays the same. */
  useClient(client: GoeClient): void {
    client.carryOver(this.goeClient);
    if (this.serial) client.expectSerial(this.serial);
    this.goeClient = client;
  }

  get id(): string {
    return this.serial || this.client.lastSnapshot?.detail.serial || this.client.where;
  }

  get latencyClass(): LatencyClass {
    return this.client.isCloud ? 'cloud' : 'local';
  }

  /** min(32 A, `ama`, cable coding, installation maximum). */
  get maxCurrentA(): number {
    return this.client.maxCurrentA();
  }

  async getSnapshot(): Promise<GoeSnapshot> {
    const snap = await this.client.getSnapshot();
    if (!this.serial && snap.detail.serial) {
      this.serial = snap.detail.serial;
      this.client.expectSerial(this.serial);
    }
    return snap;
  }

  async getStatus(): Promise<ChargerStatus> {
    return (await this.getSnapshot()).status;
  }

  setCurrentLimit(currentA: number): Promise<void> {
    return this.client.setCurrentLimit(currentA);
  }

  pause(): Promise<void> {
    return this.client.pause();
  }

  /** V3/V4 firmware with `psm` over API v2 (local or cloud): the last status reports a phase mode. */
  get canSwitchPhases(): boolean {
    return (this.client.lastSnapshot?.detail.phaseMode ?? null) !== null;
  }

  /** The last status's `psm`: 1 (forced 1 phase) or 3 (forced 3 phases); null for auto, or no phase switching. */
  get forcedPhases(): 1 | 3 | null {
    const mode = this.client.lastSnapshot?.detail.phaseMode ?? null;
    return mode === '1' ? 1 : mode === '3' ? 3 : null;
  }

  /** v2 `psm` 1 (force 1 phase) or 2 (force 3 phases); refused with a clear error where the firmware has none. */
  setPhases(phases: 1 | 3): Promise<void> {
    return this.client.setPhaseMode(phases === 1 ? '1' : '3');
  }

  /** Offer current again (a session waiting for authorisation: lib/goe/resume.ts). */
  async resume(): Promise<void> {
    await this.client.resume();
  }
}

/**
 * The soak's house meter as the app sees a P1 meter paired in Homey (the HomeWizard app's device):
 * per-phase `measure_current.lN` (whole amps, signed), `measure_power.lN`, `measure_voltage.lN` and
 * total `measure_power`, read by the app's real `HomeyDeviceSource` through a minimal homey-api.
 * Like Homey, a capability listener hears only about a value that changed, stamped with Homey's
 * (wall) clock, so a clock step on the Homey reaches the source exactly as it would in a home.
 *
 * Faults: `silent` (no updates at all), `frozen` (the device app re-sends its last values: same
 * content, new timestamps), `frozenPhase` (one phase's capabilities stop updating while the others
 * and the total keep moving), `spikePhase` (one absurd reading), `reset()` (Homey restarted: every
 * value unknown until the meter reports again).
 */
import type { Triple } from '../../../lib/balancer/types';
import type { Clock } from '../../../lib/clock';
import type { HomeyApiDevice, HomeyApiLike, HomeyCapabilityEventInfo, HomeyCapabilityState } from '../../../lib/meter/homeyDevice';

type Listener = (value: unknown, info?: HomeyCapabilityEventInfo) => void;

const PHASE_CAPS = [1, 2, 3].map((n) => ({ current: `measure_current.l${n}`, power: `measure_power.l${n}`, voltage: `measure_voltage.l${n}` }));

/** A small deterministic wobble in [-0.5, 0.5) for second `s` and channel `k`, like a real grid voltage. */
function wobble(s: number, k: number): number {
  const x = Math.sin(s * 12.9898 + k * 78.233) * 43758.5453;
  return x - Math.floor(x) - 0.5;
}

export class SoakMeterDevice implements HomeyApiDevice {
  readonly id = 'soak-p1-meter';
  readonly name = 'P1 meter';
  readonly driverId = 'homey:app:com.homewizard:energy';
  readonly energy = { cumulative: true };
  readonly capabilities = ['measure_power', ...PHASE_CAPS.flatMap((c) => [c.current, c.power, c.voltage])];
  capabilitiesObj: Record<string, HomeyCapabilityState> = {};
  silent = false;
  frozen = false;
  frozenPhase: number | null = null;
  spikePhase: number | null = null;
  private readonly listeners = new Map<string, Set<Listener>>();

  /** `clock` is the Homey's clock: its wall time stamps every update. */
  constructor(private readonly clock: Clock) {}

  makeCapabilityInstance(capabilityId: string, listener: Listener): { destroy(): void } {
    const set = this.listeners.get(capabilityId) ?? new Set<Listener>();
    set.add(listener);
    this.listeners.set(capabilityId, set);
    return { destroy: () => void set.delete(listener) };
  }

  /** Number of capability listeners (a restart must not leave the old source's behind). */
  listenerCount(): number {
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }

  /** Homey restarted: every capability is unknown until the meter reports again. */
  reset(): void {
    this.capabilitiesObj = {};
  }

  /** The meter's reading at second `s`: true per-phase currents (A, signed) → capability updates. */
  publish(s: number, currentsA: Triple<number>): void {
    if (this.silent) return;
    if (this.frozen) {
      for (const id of this.capabilities) {
        const v = this.capabilitiesObj[id]?.value;
        if (v !== undefined) this.set(id, v, true);
      }
      return;
    }
    let totalW = 0;
    for (let p = 0; p < 3; p++) {
      const a = this.spikePhase === p ? 400 : currentsA[p];
      const voltageV = Math.round((230 + 2 * wobble(s, p)) * 10) / 10;
      const powerW = Math.round(a * voltageV + 3 * wobble(s, p + 3));
      totalW += powerW;
      if (this.frozenPhase === p) continue;
      this.set(PHASE_CAPS[p].voltage, voltageV);
      this.set(PHASE_CAPS[p].power, powerW);
      this.set(PHASE_CAPS[p].current, Math.trunc(a)); // DSMR: whole amps, truncated; HomeWizard adds the sign
    }
    this.spikePhase = null;
    this.set('measure_power', totalW);
  }

  private set(id: string, value: unknown, resend = false): void {
    if (!resend && this.capabilitiesObj[id]?.value === value) return;
    const at = new Date(this.clock.nowMs());
    this.capabilitiesObj[id] = { value, lastUpdated: at };
    for (const l of [...(this.listeners.get(id) ?? [])]) l(value, { lastChanged: at });
  }
}

/** The part of homey-api the meter source uses, serving the one meter device. */
export function soakHomeyApi(device: SoakMeterDevice): HomeyApiLike {
  return {
    devices: {
      getDevices: async () => ({ [device.id]: device }),
      getDevice: async ({ id }) => {
        if (id !== device.id) throw Object.assign(new Error('Device not found'), { statusCode: 404 });
        return device;
      },
    },
  };
}

/** The emulators' server plumbing: start and stop (HTTP or plain TCP, loopback or another local address), answers held back. */
import type { AddressInfo, Server } from 'net';
import type { Clock, TimerHandle } from '../../lib/clock';

/**
 * Listen on `address` (port 0 = any free port); resolves to "host:port", an IPv6 address in brackets
 * ("[::1]:<port>"). Rejects (e.g. EADDRNOTAVAIL) when the address is not available.
 */
export async function listen(server: Server, port: number, address: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => resolve());
  });
  const host = address.includes(':') ? `[${address}]` : address;
  return `${host}:${(server.address() as AddressInfo).port}`;
}

/** Stop accepting connections; resolves once the server has closed (at once without a server). */
export async function closeServer(server: Server | null | undefined): Promise<void> {
  if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Answers a fault switch holds back for some real time; those still held are dropped when the emulator stops. */
export class HeldAnswers {
  private readonly timers = new Set<NodeJS.Timeout>();

  /** Runs `answer` after `ms` (at once for 0). */
  run(ms: number, answer: () => void): void {
    if (ms <= 0) return answer();
    const t = setTimeout(() => {
      this.timers.delete(t);
      answer();
    }, ms);
    this.timers.add(t);
  }

  clear(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

/** Runs `send` every `intervalMs` on an injected clock until `pause()`: the emulators' `play()` (P1 TCP, HomeWizard v2). */
export class Repeater {
  private timer: TimerHandle | undefined;

  constructor(
    private readonly who: string,
    private readonly clock: Clock | undefined,
    private readonly intervalMs: number,
    private readonly send: () => void,
  ) {}

  play(): void {
    const clock = this.clock;
    if (!clock) throw new Error(`${this.who}.play() needs a clock`);
    this.pause();
    const tick = (): void => {
      this.send();
      this.timer = clock.setTimeout(tick, this.intervalMs);
    };
    this.timer = clock.setTimeout(tick, this.intervalMs);
  }

  pause(): void {
    this.clock?.clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * A P1-to-Ethernet dongle on loopback: a TCP server that streams DSMR telegrams to every connected client,
 * one every `intervalMs` on the given clock (1 s like DSMR 5, 10 s like DSMR 4), or one per `sendNext()`
 * call for step-by-step tests. The telegrams are real ones (a list, sent in turn and looping) or made per
 * telegram by a function (`telegramWithValues` turns a real telegram into one carrying other values, with
 * its CRC recomputed). Telegrams stored with LF line ends are sent with CRLF, as the meter sent them.
 * It listens on 127.0.0.1 by default, or on another address such as ::1 (`start(0, '::1')`).
 *
 * Fault switches (`faults`, change them at any time): noiseBytes (that many random bytes, from a seeded
 * generator, before each telegram), cutNext (the next N telegrams are cut off halfway, the stream goes on
 * with the next one), badCrcNext (the next N carry a wrong CRC), noCrcNext (the next N end with a bare '!'),
 * silent (nothing is sent; connections stay open), refuse (a new connection is closed at once). And
 * `dropConnections()`: every open connection is closed now.
 */
import net from 'net';
import type { Clock } from '../../lib/clock';
import { crc16 } from '../../lib/meter/dsmr';
import { closeServer, listen, Repeater } from './listen';

export interface P1TcpEmulatorOptions {
  /** Real telegrams sent in turn (looping), or the telegram number n (0, 1, …) → its text. */
  telegrams: string[] | ((n: number) => string);
  /** Timers of `play()`; only needed for it. */
  clock?: Clock;
  /** Between telegrams in `play()`; default 1000 ms. */
  intervalMs?: number;
  /** Seed of the noise generator; default 1. */
  seed?: number;
}

export interface P1TcpFaults {
  noiseBytes: number;
  cutNext: number;
  badCrcNext: number;
  noCrcNext: number;
  silent: boolean;
  refuse: boolean;
}

/** As a meter sends it: CRLF line ends, and a CRLF after the CRC. */
export function asSent(telegram: string): string {
  const crlf = telegram.includes('\r') ? telegram : telegram.replace(/\n/g, '\r\n');
  return /\r\n$/.test(crlf) ? crlf : `${crlf.replace(/\r?\n?$/, '')}\r\n`;
}

/** The telegram with a fresh CRC (over '/' .. '!', written as 4 upper-case hex digits). */
export function withCrc(telegram: string): string {
  const sent = asSent(telegram);
  const bang = sent.indexOf('!');
  const body = sent.slice(0, bang + 1);
  return `${body}${crc16(body).toString(16).toUpperCase().padStart(4, '0')}\r\n`;
}

/** Rewrite one register value, keeping its digits' layout ("002*A" stays 3 integer digits). */
function setRegister(text: string, code: string, value: number, unit: string): string {
  const re = new RegExp(`^(1-0:${code.replace(/\./g, '\\.')}\\()(\\d+)(?:\\.(\\d+))?\\*(${unit})\\)`, 'm');
  return text.replace(re, (_all, head: string, int: string, frac: string | undefined, u: string) => {
    const decimals = frac?.length ?? 0;
    // truncated to the register's resolution, as meters do (a tiny epsilon keeps 2.3 from becoming 2.29)
    const scaled = Math.trunc(Math.abs(value) * 10 ** decimals + 1e-6) / 10 ** decimals;
    const [i, f] = scaled.toFixed(decimals).split('.');
    return `${head}${i.padStart(int.length, '0')}${f === undefined ? '' : `.${f}`}*${u})`;
  });
}

/**
 * A real telegram carrying other values: per phase the signed current (A; negative = export), written as
 * the current register (truncated to the telegram's resolution) and as import or export power at `voltageV`,
 * and the meter time (`stamp`: YYMMDDhhmmss + S/W). Registers the telegram does not have stay absent.
 */
export function telegramWithValues(template: string, values: { currentsA: (number | null)[]; voltageV?: number; stamp?: string }): string {
  let t = asSent(template);
  const u = values.voltageV ?? 230;
  values.currentsA.forEach((a, p) => {
    if (a === null) return;
    const [cur, imp, exp, volt] = [['31', '21', '22', '32'], ['51', '41', '42', '52'], ['71', '61', '62', '72']][p].map((c) => `${c}.7.0`);
    t = setRegister(t, cur, Math.abs(a), 'A');
    t = setRegister(t, volt, u, 'V');
    const kw = (Math.abs(a) * u) / 1000;
    t = setRegister(t, imp, a > 0 ? kw : 0, 'kW');
    t = setRegister(t, exp, a < 0 ? kw : 0, 'kW');
  });
  if (values.stamp) t = t.replace(/^0-0:1\.0\.0\(\d{12}[SW]?\)/m, `0-0:1.0.0(${values.stamp})`);
  return /![0-9A-Fa-f]{1,4}\r\n$/.test(t) ? withCrc(t) : t;
}

export class P1TcpEmulator {
  readonly faults: P1TcpFaults = { noiseBytes: 0, cutNext: 0, badCrcNext: 0, noCrcNext: 0, silent: false, refuse: false };
  /** Connections accepted (refused ones too), telegrams sent (each once, however many clients). */
  readonly stats = { connections: 0, telegramsSent: 0 };
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private n = 0;
  private rng: number;
  private readonly repeater: Repeater;

  constructor(private readonly opts: P1TcpEmulatorOptions) {
    this.rng = opts.seed ?? 1;
    this.repeater = new Repeater('P1TcpEmulator', opts.clock, opts.intervalMs ?? 1000, () => void this.sendNext());
  }

  /** Listen (port 0 = any free port); resolves to "host:port", IPv6 in brackets. */
  async start(port = 0, address = '127.0.0.1'): Promise<string> {
    const server = net.createServer((socket) => this.accept(socket));
    const hostPort = await listen(server, port, address);
    this.server = server;
    return hostPort;
  }

  async stop(): Promise<void> {
    this.pause();
    this.dropConnections();
    const server = this.server;
    this.server = null;
    await closeServer(server);
  }

  /** Send a telegram every `intervalMs` on the clock until `pause()` or `stop()`. */
  play(): void {
    this.repeater.play();
  }

  pause(): void {
    this.repeater.pause();
  }

  /** Clients connected now. */
  get clients(): number {
    return this.sockets.size;
  }

  /** Close every open connection now (the "dropped connection" fault). */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  /** The next telegram as the faults make it, written to every client; returns what was sent ('' when silent). */
  sendNext(): string {
    if (this.faults.silent) return '';
    const source = this.opts.telegrams;
    const telegram = asSent(typeof source === 'function' ? source(this.n) : source[this.n % source.length]);
    this.n++;
    const out = this.noise() + this.damage(telegram);
    this.stats.telegramsSent++;
    for (const s of this.sockets) s.write(out, 'latin1');
    return out;
  }

  /** Write raw text to every client (tests: odd chunking, hand-made noise). */
  sendRaw(text: string): void {
    for (const s of this.sockets) s.write(text, 'latin1');
  }

  private accept(socket: net.Socket): void {
    this.stats.connections++;
    if (this.faults.refuse) {
      socket.destroy();
      return;
    }
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
    this.sockets.add(socket);
  }

  private damage(telegram: string): string {
    const bang = telegram.indexOf('!');
    if (this.faults.cutNext > 0) {
      this.faults.cutNext--;
      return telegram.slice(0, Math.floor(bang / 2));
    }
    if (this.faults.noCrcNext > 0) {
      this.faults.noCrcNext--;
      return `${telegram.slice(0, bang + 1)}\r\n`;
    }
    if (this.faults.badCrcNext > 0) {
      this.faults.badCrcNext--;
      const crc = parseInt(telegram.slice(bang + 1, bang + 5), 16);
      const wrong = ((Number.isFinite(crc) ? crc : 0) ^ 0x5a5a).toString(16).toUpperCase().padStart(4, '0');
      return `${telegram.slice(0, bang + 1)}${wrong}\r\n`;
    }
    return telegram;
  }

  /** `faults.noiseBytes` bytes from a seeded generator (any byte value, '/' and '!' included). */
  private noise(): string {
    let out = '';
    for (let i = 0; i < this.faults.noiseBytes; i++) {
      this.rng = (Math.imul(this.rng, 1664525) + 1013904223) >>> 0;
      out += String.fromCharCode(this.rng >>> 24);
    }
    return out;
  }
}

/**
 * A HomeWizard P1 meter on loopback: serves `GET /api` and `GET /api/v1/data` in the shape of the
 * real v1 API (field set of HomeWizard's own test fixtures, plus the per-phase voltages the v1 API
 * documents). Values come from a trace (clock time → signed per-phase currents), sampled once per
 * telegram: every 1 s like a DSMR 5 meter or every 10 s like DSMR 4. Between telegrams the same
 * payload is served, exactly like the real dongle. The telegram cadence and the trace run on the
 * monotonic clock (`Clock.monoMs`): the meter keeps its pace whatever this app's wall clock does.
 * It listens on 127.0.0.1 by default, or on another address such as ::1 (`start(0, '::1')`).
 *
 * Fault switches (`faults`, change them at any time): slowMs (answer after that much real time),
 * status500, garbage (a broken JSON body), frozen (the payload stops changing), apiDisabled (403 as
 * when "Local API" is off).
 */
import http from 'http';
import type { Clock } from '../../lib/clock';
import type { Triple } from '../../lib/balancer/types';
import { closeServer, HeldAnswers, listen } from './listen';

/** Signed per-phase house currents (A) at a clock time; null for a phase the meter does not have. */
export type CurrentTrace = (timeMs: number) => Triple<number | null>;

export interface HomeWizardEmulatorOptions {
  clock: Clock;
  trace: CurrentTrace;
  /** 1000 = DSMR 5 (default), 10000 = DSMR 4. */
  telegramIntervalMs?: number;
  /** Phase voltages (V); default 230 on each. */
  voltagesV?: Triple<number>;
  /** DSMR meters report whole amps (truncated, HomeWizard adds the sign); default true. */
  integerAmps?: boolean;
  serial?: string;
  /** Default HWE-P1 / "P1 Meter"; other types let pairing tests see a device that is no P1 meter. */
  productType?: string;
  productName?: string;
  firmwareVersion?: string;
}

export interface HomeWizardFaults {
  slowMs: number;
  status500: boolean;
  garbage: boolean;
  frozen: boolean;
  apiDisabled: boolean;
}

const r3 = (v: number): number => Math.round(v * 1000) / 1000;

export class HomeWizardEmulator {
  readonly faults: HomeWizardFaults = { slowMs: 0, status500: false, garbage: false, frozen: false, apiDisabled: false };
  /** Requests per path (for tests and the demo's diagnostics). */
  readonly requests: Record<string, number> = {};
  private server: http.Server | null = null;
  private readonly held = new HeldAnswers();
  private readonly opts: Required<Omit<HomeWizardEmulatorOptions, 'clock' | 'trace'>>;
  private telegramNo: number | null = null;
  private telegramMs = 0;
  private payload: Record<string, unknown> = {};
  private importKwh = 10830.511;
  private exportKwh = 1285.951;

  private readonly clock: Clock;
  private readonly trace: CurrentTrace;

  constructor(options: HomeWizardEmulatorOptions) {
    this.clock = options.clock;
    this.trace = options.trace;
    this.opts = {
      telegramIntervalMs: options.telegramIntervalMs ?? 1000,
      voltagesV: options.voltagesV ?? [230, 230, 230],
      integerAmps: options.integerAmps ?? true,
      serial: options.serial ?? '3c39e7aabbcc',
      productType: options.productType ?? 'HWE-P1',
      productName: options.productName ?? (options.productType && options.productType !== 'HWE-P1' ? 'HomeWizard device' : 'P1 Meter'),
      firmwareVersion: options.firmwareVersion ?? '5.18',
    };
  }

  /**
   * Listen on `address` (default 127.0.0.1; port 0 = any free port); resolves to "host:port", an IPv6
   * address in brackets ("[::1]:<port>"). Rejects (e.g. EADDRNOTAVAIL) when the address is not available.
   */
  async start(port = 0, address = '127.0.0.1'): Promise<string> {
    const server = http.createServer((req, res) => this.handle(req, res));
    const hostPort = await listen(server, port, address);
    this.server = server;
    return hostPort;
  }

  async stop(): Promise<void> {
    this.held.clear();
    const server = this.server;
    this.server = null;
    server?.closeAllConnections();
    await closeServer(server);
  }

  /** The /api/v1/data payload at the current clock time (advances the telegram when one is due). */
  data(): Record<string, unknown> {
    const no = Math.floor(this.clock.monoMs() / this.opts.telegramIntervalMs);
    if (this.telegramNo === null || (no > this.telegramNo && !this.faults.frozen)) this.nextTelegram(no);
    return this.payload;
  }

  /** The /api device description. */
  info(): Record<string, unknown> {
    return {
      product_type: this.opts.productType,
      product_name: this.opts.productName,
      serial: this.opts.serial,
      firmware_version: this.opts.firmwareVersion,
      api_version: 'v1',
    };
  }

  private nextTelegram(no: number): void {
    const t = no * this.opts.telegramIntervalMs;
    const currents = this.trace(t);
    const volts = this.opts.voltagesV;
    const powers = currents.map((a, i) => (a === null ? null : Math.round(a * volts[i])));
    const totalW = powers.reduce<number>((s, p) => s + (p ?? 0), 0);
    // Integrate the previous telegram's power over the elapsed time into the energy registers.
    if (this.telegramNo !== null) {
      const prevW = Number(this.payload.active_power_w ?? 0);
      const kwh = (prevW * (t - this.telegramMs)) / 3.6e9;
      if (kwh > 0) this.importKwh += kwh;
      else this.exportKwh -= kwh;
    }
    this.telegramNo = no;
    this.telegramMs = t;
    const amps = (a: number | null): number | null => (a === null ? null : this.opts.integerAmps ? Math.trunc(a) : r3(a));
    const perPhase = (prefix: string, suffix: string, values: (number | null)[]): Record<string, number | null> =>
      Object.fromEntries(values.map((v, i) => [`${prefix}_l${i + 1}_${suffix}`, v]));
    this.payload = {
      wifi_ssid: 'Emulated Wi-Fi',
      wifi_strength: 100,
      smr_version: this.opts.telegramIntervalMs >= 10000 ? 42 : 50,
      meter_model: 'EMULATED  2M550T-101',
      unique_id: '4E4547',
      active_tariff: 1,
      total_power_import_kwh: r3(this.importKwh + 2948.827),
      total_power_import_t1_kwh: r3(this.importKwh),
      total_power_import_t2_kwh: 2948.827,
      total_power_export_kwh: r3(this.exportKwh + 2876.51),
      total_power_export_t1_kwh: r3(this.exportKwh),
      total_power_export_t2_kwh: 2876.51,
      active_power_w: totalW,
      ...perPhase('active_power', 'w', powers),
      ...perPhase('active_voltage', 'v', currents.map((a, i) => (a === null ? null : volts[i]))),
      ...perPhase('active_current', 'a', currents.map(amps)),
      active_frequency_hz: 50,
      voltage_sag_l1_count: 1,
      voltage_sag_l2_count: 1,
      voltage_sag_l3_count: 0,
      voltage_swell_l1_count: 0,
      voltage_swell_l2_count: 0,
      voltage_swell_l3_count: 0,
      any_power_fail_count: 4,
      long_power_fail_count: 5,
      active_power_average_w: totalW,
      montly_power_peak_w: 1111,
      montly_power_peak_timestamp: 230101080010,
    };
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    this.requests[path] = (this.requests[path] ?? 0) + 1;
    const send = (): void => {
      if (req.method !== 'GET') return reply(res, 405, { error: { id: 405, description: 'Method not allowed' } });
      if (this.faults.apiDisabled) return reply(res, 403, { error: { id: 202, description: 'API not enabled' } });
      if (this.faults.status500) return reply(res, 500, { error: { id: 500, description: 'Internal error' } });
      let body: unknown;
      if (path === '/api') body = this.info();
      else if (path === '/api/v1/data') body = this.data();
      else return reply(res, 404, { error: { id: 404, description: 'Not found' } });
      if (this.faults.garbage) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body).slice(0, 23));
        return;
      }
      reply(res, 200, body);
    };
    this.held.run(this.faults.slowMs, send);
  }
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

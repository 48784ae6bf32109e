/**
 * Charge Amps commands for `npm run --silent cli -- chargeamps <command>`:
 *   status       [--base-url URL] [--json]
 *   set-current  [--base-url URL] --chargepoint ID --connector N --amps A
 *   watch        [--base-url URL] [--interval S] [--count N] [--json]
 * Credentials come from CHARGEAMPS_EMAIL, CHARGEAMPS_PASSWORD and CHARGEAMPS_API_KEY (or --email,
 * --password, --api-key, which end up in the shell history). One login session serves the whole run.
 */
import type { ChargerStatus } from '../../lib/charger';
import { ChargeAmpsConnectorCharger, listConnectors } from '../../lib/chargeamps/charger';
import { CHARGEAMPS_POLL, ChargeAmpsClient } from '../../lib/chargeamps/client';
import { clampPollInterval } from '../../lib/pollInterval';
import { Clock, SystemClock } from '../../lib/clock';
import { PeerError, describeError, registerSecret } from '../../lib/errors';
import { HttpTransport, nodeFetchTransport } from '../../lib/http';
import { ParsedFlags, UsageError, parseFlags, requireFlag } from './args';
import type { CliCommand, CliIo } from './main';

const credentialFlags = { email: 'string', password: 'string', 'api-key': 'string', 'base-url': 'string', timeout: 'number' } as const;

function credential(flags: ParsedFlags, io: CliIo, flag: string, env: string): string {
  const v = (flags[flag] as string | undefined) ?? io.env[env];
  registerSecret(v);
  if (!v) throw new UsageError(`--${flag} flag`, `is required; pass it or set the environment variable ${env}`);
  return v;
}

const fmt = (v: number | null | undefined, unit: string, digits = 0): string => (v === null || v === undefined ? '–' : `${v.toFixed(digits)} ${unit}`);

function line(s: ChargerStatus): string {
  const amps = s.phases.map((p) => (p.currentA === null ? '–' : p.currentA.toFixed(1))).join('/');
  const state = s.online ? s.state : 'offline';
  return `${s.id} ${s.name}: ${state}${s.error ? ` (${s.error})` : ''}, limit ${fmt(s.currentLimitA, 'A')}${s.chargingAllowed ? '' : ' (not allowed)'}, ${fmt(s.powerW, 'W')}, L1/L2/L3 ${amps} A, session ${fmt(s.sessionEnergyWh === null ? null : s.sessionEnergyWh / 1000, 'kWh', 2)}, total ${fmt(s.totalEnergyWh === null ? null : s.totalEnergyWh / 1000, 'kWh', 1)}`;
}

export interface Deps {
  clock: Clock;
  transport: HttpTransport;
}

/** The commands with their clock and transport (tests pass a manual clock). */
export function makeCommands(deps: Deps): Record<string, CliCommand> {
  const client = (flags: ParsedFlags, io: CliIo): ChargeAmpsClient =>
    new ChargeAmpsClient({
      baseUrl: flags['base-url'] as string | undefined,
      credentials: {
        email: credential(flags, io, 'email', 'CHARGEAMPS_EMAIL'),
        password: credential(flags, io, 'password', 'CHARGEAMPS_PASSWORD'),
        apiKey: credential(flags, io, 'api-key', 'CHARGEAMPS_API_KEY'),
      },
      clock: deps.clock,
      transport: deps.transport,
      timeoutMs: (flags.timeout as number | undefined) ?? 15_000,
    });

  const chargers = async (c: ChargeAmpsClient) =>
    (await listConnectors(c)).map((info) => new ChargeAmpsConnectorCharger({ client: c, chargePointId: info.chargePointId, connectorId: info.connectorId }));

  const status: CliCommand = async (argv, io) => {
    const { flags } = parseFlags(argv, { ...credentialFlags, json: 'boolean' });
    const c = client(flags, io);
    const statuses: ChargerStatus[] = [];
    for (const ch of await chargers(c)) statuses.push(await ch.getStatus());
    if (flags.json) io.out(JSON.stringify(statuses, null, 2));
    else if (statuses.length === 0) io.out('no charge points on this account');
    else for (const s of statuses) io.out(line(s));
    return 0;
  };

  const setCurrent: CliCommand = async (argv, io) => {
    const { flags } = parseFlags(argv, { ...credentialFlags, chargepoint: 'string', connector: 'number', amps: 'number' });
    const cpId = requireFlag<string>(flags, 'chargepoint');
    const connectorId = requireFlag<number>(flags, 'connector');
    const amps = requireFlag<number>(flags, 'amps');
    if (!Number.isInteger(connectorId) || connectorId < 1) throw new UsageError('--connector', `expected a connector number (1 or 2), got ${connectorId}`);
    const c = client(flags, io);
    const ch = new ChargeAmpsConnectorCharger({ client: c, chargePointId: cpId, connectorId });
    await ch.setCurrentLimit(amps);
    const after = await ch.getStatus();
    io.out(`current limit of ${after.name} (${after.id}) now ${fmt(after.currentLimitA, 'A')}`);
    return 0;
  };

  const watch: CliCommand = async (argv, io) => {
    const { flags } = parseFlags(argv, { ...credentialFlags, interval: 'number', count: 'number', json: 'boolean' });
    const count = flags.count as number | undefined;
    if (count !== undefined && (!Number.isInteger(count) || count < 1)) throw new UsageError('--count', `expected a whole number of polls ≥ 1, got ${count}`);
    const { intervalS, warning } = clampPollInterval(flags.interval as number | undefined, CHARGEAMPS_POLL);
    if (warning) io.err(`note: ${warning}`);
    const c = client(flags, io);
    const list = await chargers(c);
    for (let i = 0; count === undefined || i < count; i++) {
      if (i > 0) await deps.clock.sleep(intervalS * 1000);
      try {
        const statuses: ChargerStatus[] = [];
        for (const ch of list) statuses.push(await ch.getStatus());
        const time = new Date(deps.clock.nowMs()).toISOString();
        io.out(flags.json ? JSON.stringify({ time, statuses }) : `${time} ${statuses.map(line).join(' | ')}`);
      } catch (err) {
        if (err instanceof PeerError && err.kind === 'auth') throw err;
        io.err(`${new Date(deps.clock.nowMs()).toISOString()} poll failed: ${describeError(err)}`);
      }
    }
    return 0;
  };

  return { status, 'set-current': setCurrent, watch };
}

export const commands = makeCommands({ clock: new SystemClock(), transport: nodeFetchTransport });

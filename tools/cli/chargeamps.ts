/**
 * Charge Amps commands for `npm run --silent cli -- chargeamps <command>` (each lists its flags with `--help`):
 *   status       [--base-url URL] [--json]
 *   set-current  [--base-url URL] --chargepoint ID --connector N --amps A
 *   watch        [--base-url URL] [--interval S] [--count N] [--json]
 * Credentials come from CHARGEAMPS_EMAIL, CHARGEAMPS_PASSWORD and CHARGEAMPS_API_KEY or, in a
 * terminal, a prompt; never from flags (shell history). One login session serves the whole run.
 */
import type { ChargerStatus } from '../../lib/charger';
import { ChargeAmpsConnectorCharger, listConnectors, validateCurrent } from '../../lib/chargeamps/charger';
import { CHARGEAMPS_POLL, ChargeAmpsClient } from '../../lib/chargeamps/client';
import { clampPollInterval } from '../../lib/pollInterval';
import { Clock, SystemClock } from '../../lib/clock';
import { PeerError, describeError } from '../../lib/errors';
import { HttpTransport, nodeFetchTransport } from '../../lib/http';
import { type FlagDocs, type ParsedFlags, UsageError, parseFlags, requireFlag, specOf } from './args';
import { readCredential, refuseCredentialFlags, type Credential } from './credentials';
import type { CliCommand, CliIo } from './main';

const EMAIL: Credential = { env: 'CHARGEAMPS_EMAIL', label: 'Charge Amps e-mail', secret: false };
const PASSWORD: Credential = { env: 'CHARGEAMPS_PASSWORD', label: 'Charge Amps password', secret: true };
const API_KEY: Credential = { env: 'CHARGEAMPS_API_KEY', label: 'Charge Amps API key', secret: true };
const CREDENTIAL_FLAGS = { email: EMAIL, password: PASSWORD, 'api-key': API_KEY, apikey: API_KEY, 'api_key': API_KEY };
const ENV_DOC = {
  CHARGEAMPS_EMAIL: 'the e-mail of the Charge Amps account',
  CHARGEAMPS_PASSWORD: 'its password',
  CHARGEAMPS_API_KEY: 'the API key Charge Amps support issued',
};
const ENV_NOTE = ['Unset credentials are asked for in a terminal (the password and API key without echo).'];

const common: FlagDocs = {
  'base-url': { type: 'string', value: 'URL', help: 'another address for the Charge Amps cloud API (default the real one)' },
  timeout: { type: 'number', value: 'MS', help: 'give up after this many milliseconds without an answer (default 15000)' },
};

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
  const client = async (flags: ParsedFlags, io: CliIo): Promise<ChargeAmpsClient> =>
    new ChargeAmpsClient({
      baseUrl: flags['base-url'] as string | undefined,
      credentials: {
        email: await readCredential(EMAIL, io.env, io.prompt),
        password: await readCredential(PASSWORD, io.env, io.prompt),
        apiKey: await readCredential(API_KEY, io.env, io.prompt),
      },
      clock: deps.clock,
      transport: deps.transport,
      timeoutMs: (flags.timeout as number | undefined) ?? 15_000,
    });

  const chargers = async (c: ChargeAmpsClient) =>
    (await listConnectors(c)).map((info) => new ChargeAmpsConnectorCharger({ client: c, chargePointId: info.chargePointId, connectorId: info.connectorId }));

  /** A command that refuses credential flags, parses its documented flags and gets a logged-in client. */
  const command = (c: Omit<CliCommand, 'run' | 'env' | 'notes'>, run: (flags: ParsedFlags, io: CliIo, connect: () => Promise<ChargeAmpsClient>) => Promise<number>): CliCommand => ({
    ...c,
    flags: { ...c.flags, ...common },
    env: ENV_DOC,
    notes: ENV_NOTE,
    run: async (argv, io) => {
      refuseCredentialFlags(argv, CREDENTIAL_FLAGS);
      const { flags } = parseFlags(argv, specOf({ ...c.flags, ...common }));
      return run(flags, io, () => client(flags, io));
    },
  });

  const status = command(
    { summary: 'show every connector of the account: state, limit, power, per-phase current, energy', flags: { json: { type: 'boolean', help: 'print the normalised statuses as JSON' } } },
    async (flags, io, connect) => {
      const statuses: ChargerStatus[] = [];
      for (const ch of await chargers(await connect())) statuses.push(await ch.getStatus());
      if (flags.json) io.out(JSON.stringify(statuses, null, 2));
      else if (statuses.length === 0) io.out('no charge points on this account');
      else for (const s of statuses) io.out(line(s));
      return 0;
    },
  );

  const setCurrent = command(
    {
      summary: "set a connector's maximum current",
      details: 'Whole amps, 0 (off) or 6 to 32 within the installation current; the other connector settings are kept (read-modify-write).',
      flags: {
        chargepoint: { type: 'string', value: 'ID', help: 'the charge point id (status lists them)', required: true },
        connector: { type: 'integer', value: 'N', help: 'the connector number, 1 or 2', required: true },
        amps: { type: 'integer', value: 'A', help: 'whole amps: 0 (off) or 6 to 32', required: true },
      },
    },
    async (flags, io, connect) => {
      const cpId = requireFlag<string>(flags, 'chargepoint');
      const connectorId = requireFlag<number>(flags, 'connector');
      const amps = requireFlag<number>(flags, 'amps');
      if (connectorId < 1) throw new UsageError('--connector', `expected a connector number (1 or 2), got ${connectorId}`);
      validateCurrent(amps);
      const ch = new ChargeAmpsConnectorCharger({ client: await connect(), chargePointId: cpId, connectorId });
      await ch.setCurrentLimit(amps);
      const after = await ch.getStatus();
      io.out(`current limit of ${after.name} (${after.id}) now ${fmt(after.currentLimitA, 'A')}`);
      return 0;
    },
  );

  const watch = command(
    {
      summary: 'poll every connector with one login session and print a line per poll',
      details: 'A failed poll is reported and the next one still made; a refused login ends the run.',
      flags: {
        interval: { type: 'number', value: 'S', help: `seconds between polls (default ${CHARGEAMPS_POLL.defaultS}, at least ${CHARGEAMPS_POLL.minS})` },
        count: { type: 'integer', value: 'N', help: 'stop after N polls (default: until Ctrl-C)' },
        json: { type: 'boolean', help: 'one JSON object per poll' },
      },
    },
    async (flags, io, connect) => {
      const count = flags.count as number | undefined;
      if (count !== undefined && count < 1) throw new UsageError('--count', `expected a whole number of polls ≥ 1, got ${count}`);
      const { intervalS, warning } = clampPollInterval(flags.interval as number | undefined, CHARGEAMPS_POLL);
      if (warning) io.err(`note: ${warning}`);
      const list = await chargers(await connect());
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
    },
  );

  return { status, 'set-current': setCurrent, watch };
}

export const commands = makeCommands({ clock: new SystemClock(), transport: nodeFetchTransport });

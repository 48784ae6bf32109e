/**
 * Live mode's HomeWizard API v2 pairing (`npm start -- --meter homewizard-v2://HOST …`): the token and the pinned
 * certificate from `HOMEWIZARD_TOKEN` and `HOMEWIZARD_CERT_SHA256` when both are set, else a pairing as the settings
 * page does it: the certificate seen first is pinned, then `POST /api/user` once a second for 30 s while the user
 * presses the meter's button. The token is never printed (it is registered as a secret); the fingerprint is.
 */
import { UserInputError, registerSecret } from '../../lib/errors';
import { PAIRING_WINDOW_S, fetchV2Device, isV2Token, normaliseFingerprint, requestV2Token, shortFingerprint } from '../../lib/meter/homewizardV2Client';

export interface V2Pairing {
  token: string;
  certFingerprint: string;
}

export interface V2PairIo {
  env: Record<string, string | undefined>;
  out(line: string): void;
  /** Wait between two requests (real time by default). */
  sleep?: (ms: number) => Promise<void>;
}

export async function liveV2Pairing(host: string, io: V2PairIo): Promise<V2Pairing> {
  const envToken = io.env.HOMEWIZARD_TOKEN;
  const envPin = io.env.HOMEWIZARD_CERT_SHA256;
  if (envToken !== undefined || envPin !== undefined) {
    registerSecret(envToken);
    const certFingerprint = normaliseFingerprint(envPin);
    if (!isV2Token(envToken)) throw new UserInputError('HOMEWIZARD_TOKEN', 'must be the token the meter gave at pairing (8 to 200 letters or digits), set together with HOMEWIZARD_CERT_SHA256');
    if (!certFingerprint) throw new UserInputError('HOMEWIZARD_CERT_SHA256', 'must be the SHA-256 fingerprint of the meter\'s certificate (64 hex digits, colons allowed)');
    return { token: envToken, certFingerprint };
  }
  const sleep = io.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const first = await requestV2Token(host, null);
  const pin = first.fingerprint;
  io.out(`HomeWizard ${host}: certificate ${shortFingerprint(pin)} pinned; press the button on the P1 meter within ${PAIRING_WINDOW_S} s`);
  let answer = first;
  for (let s = 0; answer.state === 'press-button' && s < PAIRING_WINDOW_S; s++) {
    await sleep(1000);
    answer = await requestV2Token(host, pin);
  }
  if (answer.state !== 'token') throw new UserInputError('--meter', `the button on the HomeWizard P1 meter was not pressed within ${PAIRING_WINDOW_S} s; run again and press it`);
  const device = await fetchV2Device(host, pin, answer.token);
  io.out(`HomeWizard ${host}: paired with ${device.productName} (serial ${device.serial || '–'}, firmware ${device.firmwareVersion || '?'})`);
  return { token: answer.token, certFingerprint: pin };
}

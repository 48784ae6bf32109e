/**
 * Credentials for the command lines: from the environment, or asked for in a terminal, never from a
 * flag (a flag stays in the shell history and in `ps`). Every value found is registered as a secret
 * so that no message prints it. Messages start with "credentials:", never "password:" or "token:",
 * which `redact` would take for a secret that follows.
 */
import { registerSecret } from '../../lib/errors';
import { UsageError } from './args';

/** Asks one question in a terminal; a secret is read without echo. Null when no one can answer. */
export type Prompt = (question: string, opts: { secret: boolean }) => Promise<string | null>;

export interface Credential {
  /** The environment variable it comes from. */
  env: string;
  /** What to ask in a terminal, e.g. "Charge Amps password". */
  label: string;
  secret: boolean;
}

/** The flags people may try for a credential, and the variable each belongs to. */
export function refuseCredentialFlags(argv: string[], byFlag: Record<string, Credential>): void {
  for (const arg of argv) {
    const name = /^--([^=]+)/.exec(arg)?.[1];
    const cred = name === undefined ? undefined : byFlag[name];
    if (cred) {
      throw new UsageError('credentials', `--${name} is not taken as a flag (it would stay in the shell history); set ${cred.env}, or run in a terminal to be asked`);
    }
  }
}

/** The credential from the environment, else from the prompt, else a usage error naming the variable. */
export async function readCredential(cred: Credential, env: Record<string, string | undefined>, prompt?: Prompt): Promise<string> {
  let value = env[cred.env];
  if (!value && prompt) value = (await prompt(`${cred.label}: `, { secret: cred.secret })) ?? undefined;
  registerSecret(value);
  if (!value) throw new UsageError('credentials', `${cred.env} is not set; set it in the environment${prompt ? '' : ' (or run in a terminal to be asked)'}`);
  return value;
}

/**
 * The prompt of a real terminal (stdin and stderr are TTYs), else undefined. A secret's characters
 * are not echoed; Ctrl-C or Ctrl-D gives up (null).
 */
export function terminalPrompt(): Prompt | undefined {
  const stdin = process.stdin;
  if (!stdin.isTTY || !process.stderr.isTTY) return undefined;
  return (question, { secret }) =>
    new Promise((resolve) => {
      process.stderr.write(question);
      let text = '';
      stdin.setRawMode(true);
      stdin.resume();
      stdin.setEncoding('utf8');
      const finish = (value: string | null): void => {
        stdin.setRawMode(false);
        stdin.pause();
        stdin.removeListener('data', onData);
        process.stderr.write('\n');
        resolve(value);
      };
      const onData = (chunk: string): void => {
        for (const ch of chunk) {
          if (ch === '\r' || ch === '\n') return finish(text);
          if (ch === '\u0003' || ch === '\u0004') return finish(null);
          if (ch === '\u007f' || ch === '\b') {
            if (text && !secret) process.stderr.write('\b \b');
            text = text.slice(0, -1);
          } else if (ch >= ' ') {
            text += ch;
            if (!secret) process.stderr.write(ch);
          }
        }
        return undefined;
      };
      stdin.on('data', onData);
    });
}

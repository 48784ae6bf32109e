/**
 * Mocha setup: `require('homey')` outside Homey would load the CLI, so point it at our SDK stand-in.
 * Also fail any test run that leaves an unhandled promise rejection behind.
 */
import Module from 'module';
import path from 'path';

const standin = path.join(__dirname, 'homey-standin', 'index.ts');
type Resolver = (request: string, parent: unknown, ...rest: unknown[]) => string;
const mod = Module as unknown as { _resolveFilename: Resolver };
const original = mod._resolveFilename;
mod._resolveFilename = function resolve(request: string, parent: unknown, ...rest: unknown[]): string {
  if (request === 'homey') return standin;
  return original.call(this, request, parent, ...rest);
};

process.on('unhandledRejection', (reason) => {
  // Surface it loudly: a test that leaks a rejection must fail the run.
  console.error('unhandled promise rejection in tests:', reason instanceof Error ? reason.message : reason);
  process.exitCode = 1;
});

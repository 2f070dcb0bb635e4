// `node --require tcp-keepalive/register app.js` (or --import, or through
// NODE_OPTIONS): installs the process default from TCP_KEEPALIVE before the
// application runs. A missing or malformed variable stops start-up: a
// process started to have keepalive must not run silently without it.
//
// Worker threads run this entry point again (--require and --import are
// passed on in their execArgv; NODE_OPTIONS only when their env holds it).
// A worker takes the main thread's value when its own env has none (a
// `new Worker(file, { env: {} })`), and it never stops its process: a bad
// value there is said on stderr and the worker runs without the default.
import { getEnvironmentData, isMainThread, setEnvironmentData } from 'node:worker_threads';
import { setDefaultKeepalive } from './default';
import { ENVIRONMENT_VARIABLE, parseKeepaliveSpec } from './environment';

// Node's exit code for an invalid argument or option.
const INVALID_ARGUMENT = 9;
// The value the main thread installed, for the workers it creates.
const INHERITED = 'tcp-keepalive:register';

function valueHere(): string | undefined {
  const own = process.env[ENVIRONMENT_VARIABLE];
  if (own !== undefined || isMainThread) return own;
  const inherited = getEnvironmentData(INHERITED);
  return typeof inherited === 'string' ? inherited : undefined;
}

function install(): void {
  const text = valueHere();
  if (text === undefined) {
    throw new Error(`${ENVIRONMENT_VARIABLE} is not set: expected e.g. ${ENVIRONMENT_VARIABLE}="idle=30s,interval=5s,count=4"`);
  }
  setDefaultKeepalive(parseKeepaliveSpec(text));
  if (isMainThread) setEnvironmentData(INHERITED, text);
}

try {
  install();
} catch (error) {
  // One line for the person starting the process, not a stack trace.
  const where = isMainThread ? '' : ' (in a worker thread, which runs on without the default)';
  process.stderr.write(`tcp-keepalive/register${where}: ${(error as Error).message}\n`);
  if (isMainThread) process.exit(INVALID_ARGUMENT);
}
export {};

// `node --require tcp-keepalive/register app.js` (or --import, or through
// NODE_OPTIONS): installs the process default from TCP_KEEPALIVE before the
// application runs. A missing or malformed variable stops start-up: a
// process started to have keepalive must not run silently without it.
import { setDefaultKeepalive } from './default';
import { ENVIRONMENT_VARIABLE, parseKeepaliveSpec } from './environment';

// Node's exit code for an invalid argument or option.
const INVALID_ARGUMENT = 9;

function install(): void {
  const text = process.env[ENVIRONMENT_VARIABLE];
  if (text === undefined) {
    throw new Error(`${ENVIRONMENT_VARIABLE} is not set: expected e.g. ${ENVIRONMENT_VARIABLE}="idle=30s,interval=5s,count=4"`);
  }
  setDefaultKeepalive(parseKeepaliveSpec(text));
}

try {
  install();
} catch (error) {
  // One line for the person starting the process, not a stack trace.
  process.stderr.write(`tcp-keepalive/register: ${(error as Error).message}\n`);
  process.exit(INVALID_ARGUMENT);
}
export {};

// The TCP_KEEPALIVE variable: "idle=30s,interval=5s,count=4[,userTimeout=60s]",
// durations in the command line's syntax (lib/duration.ts), except that each
// needs its unit: the JavaScript API takes milliseconds, the command line
// seconds, and a bare "idle=30000" next to either would be misread.
import { invalidEnvironment } from './errors';
import { shownText } from './escape';
import { formatDuration, parseDuration } from './duration';
import { FIELDS, FIELD_KIND } from './native';
import type { KeepaliveField, KeepaliveOptions } from './types';
import { validateKeepaliveOptions } from './validators';

export const ENVIRONMENT_VARIABLE = 'TCP_KEEPALIVE';

/** The durations the variable takes (the command line's, the unit required but for 0). */
const ENVIRONMENT_DURATION_SYNTAX = 'a number with a unit: 500ms, 30s, 2m, 1h';

/**
 * The variable's keys: every field but the switch (the variable turns
 * keepalive on), in the addon's order; times as durations, counts as whole
 * numbers.
 */
type SpecKey = Exclude<KeepaliveField, 'enable'>;
export const SPEC_KEYS: readonly SpecKey[] = FIELDS.filter((field): field is SpecKey => FIELD_KIND[field] !== 'flag');

function problem(variable: string, text: string, part: string, why: string, caller: Function) {
  return invalidEnvironment(variable, shownText(text, '"'), `bad part ${shownText(part)}: ${why}`, caller);
}

const UNITLESS = /^(\d+(?:\.\d*)?|\.\d+)$/;

/** Why a duration without a unit is refused: both readings, and how to write each. */
function unitlessReason(key: string, value: string): string {
  const seconds = parseDuration(`${value}s`);
  const milliseconds = parseDuration(`${value}ms`);
  const reading = (ms: number) => (Number.isFinite(ms) ? formatDuration(ms) : 'too long');
  return `${key} needs a unit (s, ms, m, h): read as seconds it is ${reading(seconds)}, as milliseconds ${reading(milliseconds)}`;
}

/**
 * The options `text` describes. Throws ERR_INVALID_ARG_VALUE naming the
 * variable and the bad part: an unknown or repeated key, a malformed number,
 * a value out of this kernel's range.
 */
export function parseKeepaliveSpec(text: string, variable = ENVIRONMENT_VARIABLE): KeepaliveOptions {
  const options: KeepaliveOptions = {};
  if (text.trim() === '') {
    throw invalidEnvironment(variable, shownText(text, '"'), `empty: expected e.g. ${ENVIRONMENT_VARIABLE}="idle=30s,interval=5s,count=4"`, parseKeepaliveSpec);
  }
  for (const rawPart of text.split(',')) {
    const part = rawPart.trim();
    const eq = part.indexOf('=');
    const key = (eq === -1 ? part : part.slice(0, eq).trim()) as SpecKey;
    if (!SPEC_KEYS.includes(key)) {
      throw problem(variable, text, part, `expected key=value with a key of ${SPEC_KEYS.join(', ')}`, parseKeepaliveSpec);
    }
    if (eq === -1) throw problem(variable, text, part, 'no value (key=value)', parseKeepaliveSpec);
    if (options[key] !== undefined) throw problem(variable, text, part, `${key} is given twice`, parseKeepaliveSpec);
    const value = part.slice(eq + 1).trim();
    let parsed: number;
    if (FIELD_KIND[key] === 'count') {
      if (!/^\d+$/.test(value)) throw problem(variable, text, part, `${key} must be a whole number`, parseKeepaliveSpec);
      parsed = Number(value);
    } else {
      if (UNITLESS.test(value) && Number(value) !== 0) throw problem(variable, text, part, unitlessReason(key, value), parseKeepaliveSpec);
      parsed = parseDuration(value);
      if (Number.isNaN(parsed)) throw problem(variable, text, part, `not a duration: ${ENVIRONMENT_DURATION_SYNTAX}`, parseKeepaliveSpec);
    }
    try {
      // One field at a time, so that the message names the part at fault.
      validateKeepaliveOptions({ [key]: parsed }, parseKeepaliveSpec);
    } catch (error) {
      const reason = (error as Error).message.replace(/^The value of "options\.\w+" is /, '');
      throw problem(variable, text, part, reason, parseKeepaliveSpec);
    }
    options[key] = parsed;
  }
  return options;
}

/** The TCP_KEEPALIVE text for `options`, which parseKeepaliveSpec() reads back. */
export function formatKeepaliveSpec(options: KeepaliveOptions): string {
  const parts: string[] = [];
  for (const key of SPEC_KEYS) {
    const value = options[key];
    if (value === undefined) continue;
    parts.push(`${key}=${FIELD_KIND[key] === 'count' ? value : formatDuration(value)}`);
  }
  return parts.join(',');
}

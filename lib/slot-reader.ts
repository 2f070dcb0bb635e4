// Objects read from the addon's slots (a Float64Array), with one property per
// name the addon exports: the keepalive state, TCP_INFO. The names come from
// the addon, so the facade never lists them; the reader is one object literal
// written from them at load, as fast as a hand-written one. A process run with
// --disallow-code-generation-from-strings cannot compile it, and gets the same
// objects built in a loop instead (slower, never different: a test holds the
// two to each other).

/** How a slot becomes its property's value. */
export type SlotDecoding =
  /** 1 or 0 as true or false. */
  | 'flag'
  /** The number as it is. */
  | 'number'
  /** NaN (not reported by this platform) as null. */
  | 'nullable'
  /** An index into the state names ('UNKNOWN' when out of range). */
  | 'state';

export type SlotReader<T> = (s: Float64Array, at: number) => T;

function decode(decoding: SlotDecoding, value: number, states: readonly string[]): unknown {
  switch (decoding) {
    case 'flag':
      return value === 1;
    case 'number':
      return value;
    case 'nullable':
      return value === value ? value : null;
    case 'state':
      return states[value] ?? 'UNKNOWN';
  }
}

/** The reader built in a loop: what `slotReader` returns where code cannot be generated. */
export function loopSlotReader<T>(
  names: readonly string[],
  decodings: readonly SlotDecoding[],
  states: readonly string[] = [],
  positions: readonly number[] = names.map((_, i) => i),
): SlotReader<T> {
  return (s, at) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) out[names[i]!] = decode(decodings[i]!, s[at + positions[i]!]!, states);
    return out as T;
  };
}

function expression(decoding: SlotDecoding, slot: number): string {
  const value = `s[at + ${slot}]`;
  switch (decoding) {
    case 'flag':
      return `${value} === 1`;
    case 'number':
      return value;
    case 'nullable':
      return `${value} === ${value} ? ${value} : null`;
    case 'state':
      return `states[${value}] ?? 'UNKNOWN'`;
  }
}

/**
 * A function that turns slots from `at` on into an object, name i from slot
 * at + positions[i] (by default at + i), decoded as `decodings[i]` says.
 */
export function slotReader<T>(
  names: readonly string[],
  decodings: readonly SlotDecoding[],
  states: readonly string[] = [],
  positions: readonly number[] = names.map((_, i) => i),
): SlotReader<T> {
  if (names.length !== decodings.length || names.length !== positions.length) throw new Error('tcp-keepalive: a slot reader needs one decoding and one position per name');
  if (!positions.every((position) => Number.isInteger(position) && position >= 0)) throw new Error('tcp-keepalive: slot positions must be whole numbers');
  // The names come from the addon; anything but a plain identifier is refused.
  for (const name of names) {
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name)) throw new Error(`tcp-keepalive: unexpected native field name ${JSON.stringify(name)}`);
  }
  const properties = names.map((name, i) => `${name}: ${expression(decodings[i]!, positions[i]!)}`);
  try {
    return new Function('states', `return function readSlots(s, at) { return { ${properties.join(', ')} }; };`)(states) as SlotReader<T>;
  } catch (error) {
    if (error instanceof EvalError) return loopSlotReader(names, decodings, states, positions); // code generation disallowed
    throw error;
  }
}

// Text from outside the process (command lines, paths, addresses, what a
// peer or /proc says) on its way to a terminal: every character that could
// move the cursor, retitle the window, reorder the line or hide bytes is shown
// as an escape instead (\x1b, \u202e, \xff). --json needs none of this: JSON
// escapes control characters itself.

import { escapeText } from '../../escape';

// One escaping for the package's messages and the command's (lib/escape.ts).
export { escapeText };

/** Text of several lines, each escaped as escapeText does; the line breaks stay. */
export function escapeLines(text: string): string {
  return text.split('\n').map(escapeText).join('\n');
}

/**
 * Bytes (a file from /proc, a peer's data) as text: valid UTF-8 decoded and
 * escaped like escapeText, each byte that is not valid UTF-8 shown as \xNN.
 */
export function escapeBytes(bytes: Uint8Array): string {
  let out = '';
  let start = 0; // start of the valid run not yet decoded
  let i = 0;
  const flush = (end: number): void => {
    if (end > start) out += escapeText(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8'));
  };
  while (i < bytes.length) {
    const length = utf8SequenceLength(bytes, i);
    if (length > 0) {
      i += length;
      continue;
    }
    flush(i);
    out += `\\x${bytes[i]!.toString(16).padStart(2, '0')}`;
    i += 1;
    start = i;
  }
  flush(i);
  return out;
}

/** Length of the well-formed UTF-8 sequence at `i` (RFC 3629), or 0. */
function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const first = bytes[i]!;
  if (first < 0x80) return 1;
  const continuation = (at: number, low = 0x80, high = 0xbf): boolean => at < bytes.length && bytes[at]! >= low && bytes[at]! <= high;
  if (first >= 0xc2 && first <= 0xdf) return continuation(i + 1) ? 2 : 0;
  if (first >= 0xe0 && first <= 0xef) {
    // No overlong forms (E0 A0..), no surrogates (ED ..9F).
    const low = first === 0xe0 ? 0xa0 : 0x80;
    const high = first === 0xed ? 0x9f : 0xbf;
    return continuation(i + 1, low, high) && continuation(i + 2) ? 3 : 0;
  }
  if (first >= 0xf0 && first <= 0xf4) {
    const low = first === 0xf0 ? 0x90 : 0x80;
    const high = first === 0xf4 ? 0x8f : 0xbf;
    return continuation(i + 1, low, high) && continuation(i + 2) && continuation(i + 3) ? 4 : 0;
  }
  return 0;
}

// Text from outside the process (an environment variable, a command line, a
// path, what a peer or /proc says) on its way to a terminal: every character
// that could move the cursor, retitle the window, reorder the line or hide
// bytes is shown as an escape instead (\x1b, \u202e, \xff). Shared by the
// messages of the package and of the command (through lib/diagnostics.ts).

// C0 controls and DEL, C1 controls, and the bidirectional formatting marks
// (LRE..RLO, LRI..PDI, LRM/RLM/ALM) that can make a line read differently
// from the bytes in it; also the line and paragraph separators.
// With the u flag, the surrogate range matches only lone (unpaired) surrogates.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]/gu;
// The same class without `g`: a test that keeps no lastIndex between calls.
const ANY_UNSAFE = new RegExp(UNSAFE.source, 'u');

function escapeCharacter(character: string): string {
  const code = character.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` with every control, bidi mark and lone surrogate written as a visible escape. */
export function escapeText(text: string): string {
  // Nearly every line is safe: a test allocates nothing, a replace builds a copy.
  return ANY_UNSAFE.test(text) ? text.replace(UNSAFE, escapeCharacter) : text;
}

/** The most characters of a value a message quotes; the rest is counted, not shown. */
export const SHOWN_CHARACTERS = 80;

/**
 * A value quoted in a one-line message: escaped as escapeText does, cut after
 * SHOWN_CHARACTERS characters with the length left out named, between `quote`s.
 */
export function shownText(text: string, quote = "'"): string {
  const characters = Array.from(text);
  if (characters.length <= SHOWN_CHARACTERS) return `${quote}${escapeText(text)}${quote}`;
  const head = characters.slice(0, SHOWN_CHARACTERS).join('');
  return `${quote}${escapeText(head)}${quote}... (${characters.length} characters)`;
}

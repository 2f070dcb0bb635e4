// lib/cli/terminal/: what talks to the terminal and files: the command line
// (args), exit codes and CliError (exit), help texts, escaping, formats,
// the Reporter (output, the one door to the terminal), signals, and child
// processes that speak JSON lines.
// May import: ../../diagnostics (durations), ../../escape (the one escaping,
// addon-free, so an error can be printed when the addon cannot load) and
// node:*; nothing else of lib/cli.
//
// Where the command writes: on a terminal, event lines with a status line
// kept up to date in place below them; piped, one line per event; with
// --json, one JSON object per line for scripts. Every text line passes
// through escapeText here, the one door to the terminal: text from outside
// (a command line, an address, a peer's message) cannot drive it.
import { escapeText } from './escape';
import { formatOffset } from './format';

export type OutputMode = 'tty' | 'lines' | 'json';

const CLEAR_LINE = '\r\x1b[2K';
/** Characters `batch` holds before it writes: few writes, and little text held. */
const BATCH_CHUNK = 64 * 1024;

export class Reporter {
  readonly mode: OutputMode;
  private statusText = '';
  private statusShown = false;
  /** Text held by `batch`, written in chunks of BATCH_CHUNK characters. */
  private pending: string | null = null;

  constructor(
    json: boolean,
    /** Event times are shown relative to this (ms since the epoch). */
    readonly startedAt: number = Date.now(),
    private readonly stream: NodeJS.WriteStream = process.stdout,
  ) {
    this.mode = json ? 'json' : stream.isTTY ? 'tty' : 'lines';
  }

  get json(): boolean {
    return this.mode === 'json';
  }

  /** Plain text (headers, tables); nothing in JSON mode. */
  line(text = ''): void {
    if (this.mode === 'json') return;
    this.write(`${escapeText(text)}\n`);
  }

  /**
   * One event: a JSON object, or a line starting with the time since the
   * command started. `text` null: JSON only.
   */
  event(name: string, fields: Record<string, unknown>, text: string | null, at: number = Date.now()): void {
    if (this.mode === 'json') {
      const record = {
        event: name,
        time: new Date(at).toISOString(),
        elapsedMs: Math.round((at - this.startedAt) * 1000) / 1000,
        ...fields,
      };
      this.write(`${JSON.stringify(record)}\n`);
      return;
    }
    if (text !== null) this.write(`${formatOffset(at - this.startedAt)}  ${escapeText(text)}\n`);
  }

  /** A timestamped line for people only: nothing in JSON mode. */
  note(text: string, at: number = Date.now()): void {
    if (this.mode === 'json') return;
    this.write(`${formatOffset(at - this.startedAt)}  ${escapeText(text)}\n`);
  }

  /** The line kept at the bottom of a terminal; ignored elsewhere. */
  status(text: string): void {
    if (this.mode !== 'tty') return;
    const width = Math.max(20, (this.stream.columns || 120) - 1);
    text = escapeText(text);
    this.statusText = text.length > width ? `${text.slice(0, width - 3)}...` : text;
    this.stream.write(`${CLEAR_LINE}${this.statusText}`);
    this.statusShown = true;
  }

  /** Removes the status line for good (before the last lines and exit). */
  endStatus(): void {
    if (this.statusShown) this.stream.write(CLEAR_LINE);
    this.statusShown = false;
    this.statusText = '';
  }

  /**
   * Runs `work` with what it reports held back and written in large chunks:
   * a table of 10,000 rows is a few writes, not 10,000 (each a system call on
   * a pipe or file). For output that is complete at once, never for a live view.
   */
  batch<T>(work: () => T): T {
    if (this.pending !== null) return work();
    this.pending = '';
    try {
      return work();
    } finally {
      const text = this.pending;
      this.pending = null;
      if (text) this.write(text);
    }
  }

  private write(text: string): void {
    if (this.pending !== null) {
      this.pending += text;
      if (this.pending.length < BATCH_CHUNK) return;
      text = this.pending;
      this.pending = '';
    }
    if (this.statusShown) {
      this.stream.write(`${CLEAR_LINE}${text}${this.statusText}`);
    } else {
      this.stream.write(text);
    }
  }
}

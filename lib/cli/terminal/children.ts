// A child process that speaks in JSON lines on stdout: the demo's own
// `tcp-keepalive ... --json` children, and the tests' commands and fixtures.
// Every object it prints is kept in order; a caller waits for the first one
// that matches (seen already or to come) or takes them one by one.
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export type JsonMessage = Record<string, unknown>;

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

interface Waiter {
  readonly match: (message: JsonMessage) => boolean;
  readonly consume: boolean;
  readonly resolve: (message: JsonMessage) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class JsonLinesChild {
  /** Every JSON object printed so far, in order. */
  readonly messages: JsonMessage[] = [];
  /** Raw stdout (JSON and other lines) and stderr so far. */
  stdout = '';
  stderr = '';
  /** Settles once the process has exited and its output is read. */
  readonly exited: Promise<ChildExit>;
  private exit: ChildExit | null = null;
  private readonly unconsumed: JsonMessage[] = [];
  private readonly waiters: Waiter[] = [];

  constructor(
    readonly process: ChildProcess,
    /** Named in failures ('peer', 'connect A'). */
    readonly name = 'child',
    private readonly onMessage: (message: JsonMessage) => void = () => undefined,
  ) {
    createInterface({ input: process.stdout! }).on('line', (line) => {
      this.stdout += `${line}\n`;
      const message = parseObject(line);
      if (message) this.deliver(message);
    });
    process.stderr?.setEncoding('utf8').on('data', (text: string) => (this.stderr += text));
    // A child that exits while we write to it must not crash this process.
    process.stdin?.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      const finish = (exit: ChildExit): void => {
        if (this.exit) return;
        this.exit = exit;
        for (const waiter of this.waiters.splice(0)) {
          clearTimeout(waiter.timer);
          waiter.reject(new Error(`${this.name} exited (${describeExit(exit)}) before a matching message${this.tail()}`));
        }
        resolve(exit);
      };
      // 'close' comes after stdout has ended: every line has been read.
      process.on('close', (code, signal) => finish({ code, signal }));
      process.on('error', (error) => {
        this.stderr += `spawn error: ${error.message}\n`;
        finish({ code: null, signal: null });
      });
    });
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  get hasExited(): boolean {
    return this.exit !== null;
  }

  /** The first message that matches, printed already or to come; fails after `timeoutMs` or at exit. */
  waitFor(match: (message: JsonMessage) => boolean, timeoutMs: number, what = 'matching message'): Promise<JsonMessage> {
    const seen = this.messages.find(match);
    if (seen) return Promise.resolve(seen);
    return this.wait(match, false, timeoutMs, what);
  }

  /** The first message not taken yet that matches, which is then taken. */
  next(match: (message: JsonMessage) => boolean, timeoutMs: number, what = 'matching message'): Promise<JsonMessage> {
    const index = this.unconsumed.findIndex(match);
    if (index !== -1) return Promise.resolve(this.unconsumed.splice(index, 1)[0]!);
    return this.wait(match, true, timeoutMs, what);
  }

  /** One JSON line to the child's stdin. */
  send(message: unknown): void {
    this.process.stdin!.write(`${JSON.stringify(message)}\n`);
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (!this.exit) this.process.kill(signal);
  }

  /** The last lines of stderr and what was not taken, for failure messages. */
  tail(): string {
    const parts: string[] = [];
    const stderr = this.stderr.trim();
    if (stderr) parts.push(`stderr: ${stderr.slice(-2000)}`);
    if (this.unconsumed.length > 0) parts.push(`not taken: ${JSON.stringify(this.unconsumed).slice(-2000)}`);
    return parts.length > 0 ? `\n${parts.join('\n')}` : '';
  }

  private wait(match: (message: JsonMessage) => boolean, consume: boolean, timeoutMs: number, what: string): Promise<JsonMessage> {
    if (this.exit) return Promise.reject(new Error(`${this.name} already exited (${describeExit(this.exit)}), no ${what}${this.tail()}`));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        consume,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(new Error(`${this.name}: no ${what} within ${timeoutMs} ms${this.tail()}`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  private deliver(message: JsonMessage): void {
    this.messages.push(message);
    this.onMessage(message);
    let taken = false;
    for (const waiter of [...this.waiters]) {
      if (!waiter.match(message) || (waiter.consume && taken)) continue;
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      clearTimeout(waiter.timer);
      if (waiter.consume) taken = true;
      waiter.resolve(message);
    }
    if (!taken) this.unconsumed.push(message);
  }
}

function parseObject(line: string): JsonMessage | null {
  const text = line.trim();
  if (!text.startsWith('{')) return null;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonMessage) : null;
  } catch {
    return null;
  }
}

function describeExit(exit: ChildExit): string {
  return exit.signal !== null ? `signal ${exit.signal}` : `code ${String(exit.code)}`;
}

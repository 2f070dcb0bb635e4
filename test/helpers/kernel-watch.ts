// An independent reader (kernel-watch.py, CPython's socket module) kept
// running for property tests, which ask after every call: it inherits the
// descriptors to watch once, then answers one question per line in about a
// millisecond instead of a process start per question.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

const PYTHON = process.env.PYTHON ?? 'python3';
const READER = path.join(__dirname, 'kernel-watch.py');

/** One socket's keepalive options in kernel units; null where the socket refuses the option. */
export interface WatchedKeepalive {
  keepalive: number | null;
  idle: number | null;
  interval: number | null;
  count: number | null;
  userTimeout: number | null;
}

export class KernelWatch {
  private readonly child: ChildProcess;
  private readonly waiting: Array<(line: string) => void> = [];
  /** Parent descriptor number -> the number the reader knows it by. */
  private readonly slots = new Map<number, number>();

  constructor(fds: readonly number[]) {
    const stdio: Array<'pipe' | 'inherit' | number> = ['pipe', 'pipe', 'inherit', ...fds];
    fds.forEach((fd, index) => this.slots.set(fd, index + 3));
    this.child = spawn(PYTHON, [READER, ...fds.map((_, index) => String(index + 3))], { stdio });
    readline.createInterface({ input: this.child.stdout! }).on('line', (line) => this.waiting.shift()?.(line));
  }

  private ask<T>(question: object): Promise<T> {
    return new Promise((resolve, reject) => {
      if (this.child.exitCode !== null) return reject(new Error('the independent reader has exited'));
      this.waiting.push((line) => resolve(JSON.parse(line) as T));
      this.child.stdin!.write(`${JSON.stringify(question)}\n`);
    });
  }

  private slot(fd: number): number {
    const slot = this.slots.get(fd);
    if (slot === undefined) throw new Error(`descriptor ${fd} is not watched`);
    return slot;
  }

  /** Every watched socket's keepalive options, by parent descriptor number. */
  async readAll(): Promise<Map<number, WatchedKeepalive>> {
    const bySlot = await this.ask<Record<string, WatchedKeepalive>>({ do: 'read' });
    return new Map([...this.slots].map(([fd, slot]) => [fd, bySlot[slot]]));
  }

  /** getsockopt as an int, or the errno it failed with. */
  int(fd: number, level: number, name: number): Promise<number | { errno: number } | null> {
    return this.ask({ do: 'int', fd: this.slot(fd), level, name });
  }

  /** tcpi_state of a TCP socket. */
  tcpState(fd: number): Promise<number> {
    return this.ask({ do: 'tcpinfo', fd: this.slot(fd) });
  }

  close(): void {
    this.child.stdin!.end();
  }
}

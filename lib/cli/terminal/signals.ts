// Ctrl-C (or SIGTERM) while a command is setting up or running a step of
// its own: whatever it is waiting for is abandoned, `cleanup` runs at once,
// and the command ends with the signal's exit code. The one way the commands
// handle a signal before their live view (live/monitor.ts Controls) takes over.
import { CliError, exitCodeForSignal } from './exit';

export class SignalGate {
  private received: NodeJS.Signals | null = null;
  private readonly waiting = new Set<(error: CliError) => void>();
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    this.received ??= signal;
    this.cleanup?.();
    for (const reject of this.waiting) reject(this.error());
  };

  /**
   * @param outcome how the one-line message goes on after "interrupted (SIGINT)",
   *   e.g. ' before the connection was up' or '; the demo closed its connection'
   * @param cleanup run synchronously when the signal comes
   */
  constructor(
    private readonly outcome = ' before the connection was up',
    private readonly cleanup?: () => void,
  ) {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  /** `promise`, unless a signal comes first. */
  race<T>(promise: Promise<T>): Promise<T> {
    if (this.received) return Promise.reject(this.error());
    return new Promise<T>((resolve, reject) => {
      this.waiting.add(reject);
      promise.then(
        (value) => {
          this.waiting.delete(reject);
          resolve(value);
        },
        (error: unknown) => {
          this.waiting.delete(reject);
          reject(error);
        },
      );
    });
  }

  dispose(): void {
    process.removeListener('SIGINT', this.onSignal);
    process.removeListener('SIGTERM', this.onSignal);
  }

  private error(): CliError {
    const signal = this.received ?? 'SIGINT';
    return new CliError(`interrupted (${signal})${this.outcome}`, exitCodeForSignal(signal), signal);
  }
}

/** Runs `work` until it is done or a signal comes; the handlers are in place before it starts. */
export async function interruptible<T>(work: () => Promise<T>, outcome: string, cleanup: () => void): Promise<T> {
  const gate = new SignalGate(outcome, cleanup);
  try {
    return await gate.race(work());
  } finally {
    gate.dispose();
  }
}

// Ctrl-C (or SIGTERM) while a command is still setting up: whatever it is
// waiting for is abandoned and the command ends with the signal's exit code.
import { CliError, exitCodeForSignal } from '../exit';

export class SignalGate {
  private received: NodeJS.Signals | null = null;
  private readonly waiting = new Set<(error: CliError) => void>();
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    this.received ??= signal;
    for (const reject of this.waiting) reject(this.error());
  };

  constructor() {
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
    return new CliError(`interrupted (${signal}) before the connection was up`, exitCodeForSignal(signal), signal);
  }
}

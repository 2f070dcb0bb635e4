// Exit codes of the command, documented in `tcp-keepalive --help`, and the
// error type that carries one up to main().

export const ExitCode = {
  /** Done; for connect, the peer closed the connection. */
  OK: 0,
  /** A bug or an unexpected failure. */
  INTERNAL: 1,
  /** Bad command line: unknown option, bad duration, count out of range... */
  USAGE: 2,
  /** The host name could not be resolved. */
  RESOLVE: 3,
  /** Could not connect: refused, unreachable, timed out. */
  CONNECT: 4,
  /** Could not listen: address in use, permission denied. */
  LISTEN: 5,
  /** The connection was dropped with ETIMEDOUT (keepalive or user timeout). */
  TIMED_OUT: 6,
  /** The connection was reset (ECONNRESET) or failed with another error. */
  RESET: 7,
  /** Not permitted (inspect without ptrace rights). */
  PERMISSION: 8,
  /** No such process (inspect). */
  NO_PROCESS: 9,
  /** Not available on this platform. */
  UNSUPPORTED: 10,
  /** report --expect: a field this platform does not honour. */
  NOT_HONOURED: 11,
  /** The native addon is missing or does not load here (ERR_TCP_KEEPALIVE_NO_ADDON). */
  NO_ADDON: 12,
  /** Interrupted (Ctrl-C, SIGINT). */
  INTERRUPTED: 130,
  /** Terminated (SIGTERM). */
  TERMINATED: 143,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure to report as one line, with the exit code that goes with it. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
    /** A short machine-readable code for --json ('EADDRINUSE', 'USAGE', ...). */
    readonly code: string = 'ERROR',
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function usageError(message: string): CliError {
  return new CliError(message, ExitCode.USAGE, 'USAGE');
}

/** The exit code for a signal that ends the command. */
export function exitCodeForSignal(signal: NodeJS.Signals): ExitCodeValue {
  return signal === 'SIGTERM' ? ExitCode.TERMINATED : ExitCode.INTERRUPTED;
}

/** A failed connect in the command's words and exit code (connect, path). */
export function connectFailure(error: NodeJS.ErrnoException, endpoint: string): CliError {
  const code = error.code ?? 'ERROR';
  const why: Record<string, string> = {
    ECONNREFUSED: 'connection refused: nothing is listening there',
    EHOSTUNREACH: 'no route to the host',
    ENETUNREACH: 'the network is unreachable',
    EADDRNOTAVAIL: 'the address is not available here',
  };
  return new CliError(`cannot connect to ${endpoint}: ${why[code] ?? error.message} (${code})`, ExitCode.CONNECT, code);
}

// The errors a path measurement ends with besides the connect errors Node
// reports itself: shaped like Node's (a `code` to branch on, a `cause`).

/** What Node's own abortable APIs reject with: name 'AbortError', code 'ABORT_ERR', the signal's reason as cause. */
export function abortError(reason: unknown): Error & { code: string } {
  const error = new Error('The operation was aborted', reason === undefined ? undefined : { cause: reason }) as Error & { code: string };
  error.name = 'AbortError';
  error.code = 'ABORT_ERR';
  return error;
}

/**
 * The run could not finish with a true answer: ERR_PATH_LOST (the target or
 * the path went down: the control connection died and a new connection
 * failed), ERR_PATH_CHANGED (the evidence contradicts itself),
 * ERR_PATH_PROBE_NOT_SENT (the kernel did not probe when asked).
 */
export function pathError(code: string, message: string, cause?: unknown): Error & { code: string } {
  const error = new Error(message, cause === undefined ? undefined : { cause }) as Error & { code: string };
  error.code = code;
  return error;
}

// The one duration syntax of the package, shared by the command line
// (`--idle 30s`) and the TCP_KEEPALIVE variable (`idle=30s`).

const DURATION = /^(\d+(?:\.\d*)?|\.\d+)(ms|s|m|min|h)?$/i;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** What the syntax accepts, for error messages. */
export const DURATION_SYNTAX = 'use seconds (30) or a unit: 500ms, 30s, 2m, 1h';

/**
 * "30" (seconds), "500ms", "30s", "2m", "1h", "1.5s" -> milliseconds.
 * NaN when `text` is not a duration, Infinity when it is too large to hold.
 */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) return Number.NaN;
  const ms = Number(match[1]) * UNIT_MS[(match[2] ?? 's').toLowerCase()]!;
  if (!Number.isFinite(ms)) return Number.POSITIVE_INFINITY;
  return Math.round(ms * 1000) / 1000;
}

/** The shortest way to write `ms` in the syntax above: 30000 -> "30s", 1500 -> "1500ms". */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

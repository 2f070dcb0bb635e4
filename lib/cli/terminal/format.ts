// How numbers, times and addresses are written for people.

/** A setting (idle, interval, user timeout), in the unit it was most likely given. */
export function formatSetting(ms: number): string {
  if (ms % 1000 !== 0) return `${ms} ms`;
  const seconds = ms / 1000;
  return seconds >= 120 ? `${seconds} s (${formatLongDuration(ms)})` : `${seconds} s`;
}

/** A bound with the timers' 12.5 % lateness in it: seconds with their fraction (29.25 s), never rounded. */
export function formatBound(ms: number): string {
  return ms % 1000 === 0 ? formatSetting(ms) : `${ms / 1000} s`;
}

/** "2 h 11 min 15 s", for times of minutes and more. */
export function formatLongDuration(ms: number): string {
  let rest = Math.round(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['min', 60]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)} ${unit}`);
      rest %= size;
    }
  }
  if (rest > 0 || parts.length === 0) parts.push(`${rest} s`);
  return parts.join(' ');
}

/** A measured time: "0.06 ms", "850 ms", "4.1 s", "2 h 3 min". */
export function formatElapsed(ms: number): string {
  const value = Math.max(0, ms);
  if (value < 1) return `${value.toFixed(2)} ms`;
  if (value < 1000) return `${Math.round(value)} ms`;
  if (value < 120_000) return `${(value / 1000).toFixed(1)} s`;
  return formatLongDuration(value);
}

/** A countdown shown in the live view: "0.6 s", "1 h 59 min 58 s". */
export function formatCountdown(ms: number): string {
  if (ms <= 0) return 'due';
  return ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : formatLongDuration(ms);
}

/** The timestamp at the start of each event line: seconds since the command started. */
export function formatOffset(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(3).padStart(8)}s`;
}

/** "127.0.0.1:80", "[::1]:80". IPv4-mapped IPv6 addresses are shown as IPv4. */
export function formatEndpoint(address: string, port: number): string {
  if (!address.includes(':')) return `${address}:${port}`; // IPv4 (the common case, and no pattern to run)
  const plain = unmapIPv4(address);
  return plain.includes(':') ? `[${plain}]:${port}` : `${plain}:${port}`;
}

/** "::ffff:10.0.0.1" -> "10.0.0.1": the packets of such a connection are IPv4. */
export function unmapIPv4(address: string): string {
  const match = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return match ? match[1]! : address;
}

export function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}

// The text of addresses as the kernel's records hold them: dotted quads and
// RFC 5952 IPv6, with a small cache for the few IPv4 addresses a large table
// repeats.

/** Dotted quad, or RFC 5952 text for 16 bytes (IPv4-mapped as ::ffff:a.b.c.d). */
export function formatAddress(bytes: Uint8Array, at: number, family: 4 | 6): string {
  if (family === 4) return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
  return formatIPv6(bytes, at);
}

/** RFC 5952 text for 16 bytes: lower case, longest run of zero groups as "::". */
export function formatIPv6(bytes: Uint8Array, at = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[at + 2 * i]! << 8) | bytes[at + 2 * i + 1]!);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${formatAddress(bytes, at + 12, 4)}`;
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i > 1) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

// The text of recent IPv4 addresses: a table of 10,000 connections usually
// has a handful of addresses, and one string each will do.
const IPV4_TEXT = new Map<number, string>();
const IPV4_TEXT_MAX = 4096;
// The address asked for last: a server's own address, asked again and again.
let lastIPv4 = -1;
let lastIPv4Text = '';

export function ipv4Text(bytes: Uint8Array, at: number): string {
  const key = bytes[at]! * 0x1000000 + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!);
  if (key === lastIPv4) return lastIPv4Text;
  let text = IPV4_TEXT.get(key);
  if (text === undefined) {
    text = formatAddress(bytes, at, 4);
    if (IPV4_TEXT.size >= IPV4_TEXT_MAX) IPV4_TEXT.clear();
    IPV4_TEXT.set(key, text);
  }
  lastIPv4 = key;
  lastIPv4Text = text;
  return text;
}

export function unmapped(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

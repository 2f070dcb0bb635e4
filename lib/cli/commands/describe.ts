// Text shared by the commands: the table of keepalive settings (asked, held
// by the kernel, system default) and the sysctl names behind the defaults.
import { capabilities, type KeepaliveOptions, type KeepaliveState, type SystemDefaults } from '../../index';
import { formatElapsed, formatSetting } from '../terminal/format';
import { detectionTime } from './settings';

/** Where each default lives on this platform, for people who want to change it. */
export interface DefaultNames {
  readonly idle: string;
  readonly interval: string;
  readonly count: string;
  /** How to change them, one line. */
  readonly change: string;
}

export function defaultNames(): DefaultNames {
  switch (capabilities().backend) {
    case 'darwin':
      return {
        idle: 'net.inet.tcp.keepidle (ms)',
        interval: 'net.inet.tcp.keepintvl (ms)',
        count: 'net.inet.tcp.keepcnt',
        change: 'sudo sysctl -w net.inet.tcp.keepidle=600000 net.inet.tcp.keepintvl=30000 net.inet.tcp.keepcnt=5',
      };
    case 'win32':
      return {
        idle: 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\\KeepAliveTime (ms)',
        interval: '...\\Tcpip\\Parameters\\KeepAliveInterval (ms)',
        count: 'fixed (10 probes since Windows Vista)',
        change: 'set the registry values above (DWORD, ms) as an administrator, then reboot',
      };
    default:
      return {
        idle: 'net.ipv4.tcp_keepalive_time',
        interval: 'net.ipv4.tcp_keepalive_intvl',
        count: 'net.ipv4.tcp_keepalive_probes',
        change:
          'sysctl -w net.ipv4.tcp_keepalive_time=600 net.ipv4.tcp_keepalive_intvl=30 net.ipv4.tcp_keepalive_probes=5 (per network namespace; persist in /etc/sysctl.d/)',
      };
  }
}

function settingText(value: number | null | undefined, kind: 'time' | 'count' | 'userTimeout'): string {
  if (value === undefined) return '-';
  if (value === null) return 'n/a';
  if (kind === 'count') return String(value);
  if (kind === 'userTimeout' && value === 0) return '0 (off)';
  return formatSetting(value);
}

function pad(text: string, width: number): string {
  return text.length >= width ? `${text} ` : text.padEnd(width);
}

/**
 * The settings table: what was asked (null: nothing, keepalive left off), what the
 * kernel holds now, and the system default each falls back to.
 */
export function settingsTable(asked: KeepaliveOptions | null, held: KeepaliveState, defaults: SystemDefaults | null): string[] {
  const names = defaultNames();
  const rows: [string, string, string, string][] = [
    ['', 'asked', 'kernel holds', 'system default'],
    ['keepalive', asked === null ? '(left off)' : asked.enable === false ? 'off' : 'on', held.enable ? 'on' : 'off', 'off (a program turns it on)'],
    [
      'idle',
      settingText(asked?.idle, 'time'),
      settingText(held.idle, 'time'),
      defaults ? `${formatSetting(defaults.idle)}  ${names.idle}` : 'unknown',
    ],
    [
      'interval',
      settingText(asked?.interval, 'time'),
      settingText(held.interval, 'time'),
      defaults ? `${formatSetting(defaults.interval)}  ${names.interval}` : 'unknown',
    ],
    [
      'count',
      settingText(asked?.count, 'count'),
      settingText(held.count, 'count'),
      defaults ? `${defaults.count}  ${names.count}` : 'unknown',
    ],
    ['user timeout', settingText(asked?.userTimeout, 'userTimeout'), settingText(held.userTimeout, 'userTimeout'), '0 (off; no sysctl)'],
  ];
  const lines = rows.map(([name, a, h, d]) => `  ${pad(name, 14)}${pad(a, 12)}${pad(h, 15)}${d}`.trimEnd());
  const rounded = (['idle', 'interval', 'userTimeout'] as const).filter(
    (field) => asked?.[field] !== undefined && held[field] !== null && held[field] !== asked[field],
  );
  if (rounded.length > 0) lines.push(`  (${rounded.join(', ')} rounded up to the kernel's unit)`);
  lines.push(`  ${detectionSentence(held)}`);
  return lines;
}

export function detectionSentence(held: KeepaliveState): string {
  if (!held.enable) {
    return 'keepalive is off: a peer that vanishes silently goes unnoticed (half-open) until this side sends data';
  }
  const detection = detectionTime(held);
  if (!detection) return 'keepalive is on';
  return `a silent peer is noticed within ${formatElapsed(detection.ms)}: ${detection.formula}`;
}

// Help texts. Each command lists only the exit codes (exit.ts) it can end with.
import { ExitCode, type ExitCodeValue } from './exit';

const EXIT_CODE_TEXT: Record<ExitCodeValue, string> = {
  [ExitCode.OK]: 'done',
  [ExitCode.INTERNAL]: 'unexpected failure (a bug: please report it)',
  [ExitCode.USAGE]: 'bad command line: unknown option, bad duration, count out of range, ...',
  [ExitCode.RESOLVE]: 'the host name could not be resolved',
  [ExitCode.CONNECT]: 'could not connect: refused, unreachable, no answer',
  [ExitCode.LISTEN]: 'could not listen: port in use, permission denied',
  [ExitCode.TIMED_OUT]: 'the connection was dropped with ETIMEDOUT (keepalive or user timeout)',
  [ExitCode.RESET]: 'the connection was reset (ECONNRESET) or failed with another error',
  [ExitCode.PERMISSION]: "not permitted (inspect without the right to read the process's sockets)",
  [ExitCode.NO_PROCESS]: 'no such process (inspect)',
  [ExitCode.UNSUPPORTED]: 'not available on this platform',
  [ExitCode.NOT_HONOURED]: 'report --expect: a field this platform does not honour',
  [ExitCode.NO_ADDON]: 'no native addon for this platform, or it does not load (the message says what to do)',
  [ExitCode.INTERRUPTED]: 'interrupted (Ctrl-C, SIGINT)',
  [ExitCode.TERMINATED]: 'terminated (SIGTERM)',
};

/** The exit codes section: `codes` in order; `done` says what exit code 0 means for the command. */
function exitCodes(codes: readonly ExitCodeValue[], done: string = EXIT_CODE_TEXT[ExitCode.OK]): string {
  const lines = [...codes].sort((a, b) => a - b).map((code) => `  ${String(code).padEnd(5)}${code === ExitCode.OK ? done : EXIT_CODE_TEXT[code]}`);
  return `Exit codes:\n${lines.join('\n')}\n`;
}

const { OK, INTERNAL, NO_ADDON, USAGE, RESOLVE, CONNECT, LISTEN, TIMED_OUT, RESET, PERMISSION, NO_PROCESS, UNSUPPORTED, INTERRUPTED, TERMINATED } = ExitCode;
const SIGNALS = [INTERRUPTED, TERMINATED] as const;

/** Every code, for the top-level help. */
const EXIT_CODES = exitCodes(Object.values(ExitCode), 'done; for connect, the peer closed the connection (or --duration or q ended it)');

const DURATIONS = `Durations: a plain number is seconds; 500ms, 30s, 2m, 1h are accepted.`;

/** connect's and listen's options and what they watch; `extra`: the command's own lines for the Watching options. */
function watchOptions(extra = ''): string {
  return `Keepalive options:
  -d, --idle T            idle time before the first probe (TCP_KEEPIDLE)
  -i, --interval T        time between unanswered probes (TCP_KEEPINTVL)
  -c, --count N           unanswered probes before the connection is dropped (TCP_KEEPCNT)
      --user-timeout T    TCP_USER_TIMEOUT (Linux): limit for unacknowledged data; when set,
                          it also replaces --count for ending an unanswered keepalive
      --no-keepalive      leave keepalive off (to watch a connection without it)
  Options not given keep the system default (see 'tcp-keepalive defaults').

Watching:
  -p, --probe             send one probe on demand, as soon as the connection has been idle 1 s
      --probe-every T     send a probe on demand every T (at least 1 s)
      --duration T        stop after T (exit code 0)
      --json              one JSON object per line, per event (see below)
${extra}  -h, --help              this help

Live view: the TCP state, the countdown to the next probe, each probe and its answer
(ACK or RST), the unanswered probes so far, and how and when the connection ended.
On a terminal a status line is updated in place (keys: p = probe now, q = quit with
exit code 0); piped, one line per event. SIGUSR2 sends a probe on demand too (for
scripts).

Packets: as root (or with CAP_NET_RAW) on Linux, the connection's own segments are
captured (AF_PACKET socket with a BPF filter for its 4-tuple) and labelled as Wireshark
does: "TCP Keep-Alive", "TCP Keep-Alive ACK". Otherwise probes and answers are inferred
from TCP_INFO, and each line says so.

A probe on demand lowers the idle time to 1 s (the connection has been idle longer,
so the kernel probes at once) and puts the idle time back right after the probe
left, as an explicit setting.

JSON events (all with "event", "time", "elapsedMs", and "id" for a connection):
  connected / connection   endpoints, asked options, what the kernel holds, defaults
  listening                the listening socket and its options (listen)
  packet                   a captured keep-alive, keep-alive ACK, RST, FIN or SYN segment:
                           direction, label, seq, ack, length, window, flags ('ACK', 'RST,ACK')
  probe                    a probe this side sent: probe, unanswered, source (capture|inferred)
  answer                   its answer: kind (ACK|RST), rttMs, source
  peer-probe               a probe from the peer
  data, fin, state         data received, the peer's FIN, a TCP state change
  status                   every second: state, nextProbeInMs, unanswered, lastAckAgoMs
  probe-request            a probe on demand: result (waiting|sent|refused)
  end                      reason (ETIMEDOUT|ECONNRESET|closed-by-peer|interrupted|stopped|error),
                           message, unanswered, sinceLastAckMs, durationMs
  error                    a failure of the command: code, message, exitCode`;
}

export const MAIN_HELP = `Usage: tcp-keepalive <command> [options]

See TCP keepalive at work: the timers in force, each probe and its answer, and how
a connection ends.

Commands:
  defaults [--json]                   the system defaults, where they come from, how to change them
  connect HOST:PORT [options]         connect, apply the options, watch the connection live
  listen [HOST:]PORT [options]        a server that shows each connection as it is probed and ends
  inspect PID [--json]                the TCP connections of a running process (Linux)
  demo [--json] [--loopback]          why keepalive matters, live (as root: namespaced hosts)
  report [--json|--markdown]          what this OS, kernel and Node honour, found by trying it
  advise --detect-within T [options]  values that find a dead peer in time, and the TCP_KEEPALIVE= line
  path HOST:PORT [options]            how long the path keeps an idle connection, and how it forgets

Options belong to each command: 'tcp-keepalive <command> --help' lists them
(for example 'tcp-keepalive connect --help' for -d/--idle, -i/--interval, -c/--count).
Without a command:
  -h, --help       this help
  -V, --version    the version

${DURATIONS}

${EXIT_CODES}`;

export const ADVISE_HELP = `Usage: tcp-keepalive advise --detect-within T [--idle-timeout T | --path HOST:PORT [--max T]]
                            [--connections N] [--busy] [--json]

Recommends idle, interval and count that find a dead peer within T of its last packet
and send the first probe before a NAT, load balancer or firewall forgets an idle
connection, both even when the kernel's timers fire 12.5 % late (they may); shows the probe traffic at N connections, and prints the TCP_KEEPALIVE=
line (for node --require tcp-keepalive/register) and the code line.

  --detect-within T    the longest a dead peer may go unnoticed (required)
  --idle-timeout T     the idle timeout of the middlebox on the path (default 240 s:
                       Azure Load Balancer's 4 min, the strictest documented default;
                       AWS Gateway Load Balancer and Network Firewall: 350 s)
  --path HOST:PORT     measure the idle timeout of the path to this server first (as
                       'tcp-keepalive path' does) and advise for the longest idle it kept
  --max T              with --path: the longest idle to test (default 30 min)
  --connections N      connections to cost the probes for (default 1)
  --busy               the connections carry data: also bound unacknowledged data with
                       userTimeout (keepalive does not probe while data is in flight)
  --json               one JSON object: options, detectionMs, traffic, environment, code
  -h, --help           this help

${DURATIONS}

${exitCodes([OK, INTERNAL, NO_ADDON, USAGE, RESOLVE, CONNECT, RESET, UNSUPPORTED, ...SIGNALS])}
(3, 4, 7, 10, 130 and 143 only with --path.)`;

export const DEFAULTS_HELP = `Usage: tcp-keepalive defaults [--json]

The keepalive defaults that sockets without their own settings follow (on Linux those
of this network namespace), where they are read from, and the sysctl names to change
them.

  --json       one JSON object: idleMs, intervalMs, count, source, settings, detectionMs
  -h, --help   this help

${exitCodes([OK, INTERNAL, NO_ADDON, USAGE, UNSUPPORTED])}`;

export const CONNECT_HELP = `Usage: tcp-keepalive connect HOST:PORT [options]

Connects, applies the options (like the classic tcp_keepalive_client: -d idle,
-i interval, -c count), prints what was asked and what the kernel holds, then watches
the connection live until it ends. IPv6: [::1]:8080.

  --connect-timeout T     give up connecting after T (default 10 s)

${watchOptions()}

${DURATIONS}

${exitCodes([OK, INTERNAL, NO_ADDON, USAGE, RESOLVE, CONNECT, TIMED_OUT, RESET, UNSUPPORTED, ...SIGNALS], 'the peer closed the connection, or --duration or q ended it')}`;

export const LISTEN_HELP = `Usage: tcp-keepalive listen [HOST:]PORT [options]

A server: prints the defaults and the options of its listening socket (connections
it accepts inherit them), then each connection as it comes, is probed and ends.
It sends nothing and discards what it receives. Port 0 picks a free port.
Ctrl-C stops it (exit code 130). It ends with the verdict 'inspect' gives (see
'tcp-keepalive inspect --help') on the connections still open.

What it binds: a bare PORT listens on every interface, so other hosts can connect
(it says "listening on *:PORT (all interfaces)"); 127.0.0.1:PORT or [::1]:PORT
accepts connections from this host only.

${watchOptions(`      --silent-after T    for the verdict at the end: keepalive off and silent this long
                          is a half-open candidate (default 1h; see 'inspect --help')
      --close-wait-after T
                          for the verdict: CLOSE_WAIT this long is a leak (default 60s)
`)}

${DURATIONS}

${exitCodes([OK, INTERNAL, NO_ADDON, USAGE, LISTEN, UNSUPPORTED, ...SIGNALS], '--duration or q ended it')}`;

export const INSPECT_HELP = `Usage: tcp-keepalive inspect PID [--json]

Every TCP socket of a running process, in any language: its state, peer, whether
keepalive is on, the idle / interval / count / user timeout in force (* = equal to
the system default of its network namespace: inherited, or set to the same value),
the time to the next probe and the unanswered probes: what 'ss -o' cannot tell.

Linux only. Each socket is read through a duplicate made with pidfd_getfd (Linux 5.6+),
which needs root or CAP_SYS_PTRACE, or the same user with ptrace allowed
(kernel.yama.ptrace_scope = 0). The process's sockets are only read, never changed.

It ends with a verdict: connections per state, and each finding with what to do:
half-open candidates (ESTABLISHED and silent longer than keepalive allows, or with
keepalive off and silent for --silent-after), CLOSE_WAIT connections older than
--close-wait-after (the peer closed, the process never did: a leak keepalive cannot
fix), and several connections from one peer address of which only the newest is live.

  --json                   one JSON object for the process, one per socket, then the verdict
  --silent-after DURATION  keepalive off and silent this long: half-open candidate (default 1h)
  --close-wait-after DURATION
                           CLOSE_WAIT this long: a leak (default 60s)
  -h, --help               this help

${exitCodes([OK, INTERNAL, NO_ADDON, USAGE, PERMISSION, NO_PROCESS, UNSUPPORTED])}`;

export const DEMO_HELP = `Usage: tcp-keepalive demo [--json] [--loopback]

Why keepalive matters, live (in a checkout of this package: 'npm run demo').

As root on Linux: two test hosts in network namespaces of their own, joined by a veth
pair. The client holds two connections to the peer, one with keepalive (1 s / 1 s / 3)
and one without. The peer goes silent (a blackhole route in its namespace; iproute2
only); the probes go unanswered and the first connection fails with ETIMEDOUT about
4 s after the last ACK, while the second still claims ESTABLISHED (half-open).
Everything is removed afterwards, also on Ctrl-C. A demo killed outright (kill -9)
leaves its namespaces behind: the next demo removes those whose demo process is gone,
and only those. No sysctl is changed.

Without root: the loopback version (defaults, set, read back, probes answered).

  --loopback   run the loopback version even as root
  --json       one JSON object per line, per event
  -h, --help   this help

${exitCodes([OK, INTERNAL, NO_ADDON, USAGE, ...SIGNALS], 'the demo ran to its end')}`;

export const PATH_HELP = `Usage: tcp-keepalive path HOST:PORT [--max T] [--connections N] [--json]

Finds the idle time after which the path to a TCP server (a NAT, load balancer or
firewall, or the server itself) forgets a connection, and how, with keepalive probes
alone: no application bytes are sent, any TCP server you can reach will do (your
database, an SSH or HTTPS endpoint). Then the keepalive values for that path.

How: connections opened together, each probed at a chosen moment (the idle time
lowered below the idle already elapsed sends a probe at once): a ladder of idle times
25 % apart from 2 s up to --max, then a bisection between the longest idle answered
and the shortest unanswered. Every figure comes from the kernel's own times (TCP_INFO),
never from the times asked. A control connection, probed every second, shows the
target and the path stay up; if it dies the run stops with an error. A terminal
shows the progress (what is tried, the bracket so far, the time left at worst);
Ctrl-C closes every connection (exit code 130). Linux only (the kernel must probe at
a chosen moment). See docs/path.md.

It reports the mode (silent: later probes go unanswered; reset: a reset answers them;
closed: the far end closes idle connections itself; none: nothing forgot up to
--max), the bracket (longest idle kept, shortest forgotten; at most max(3 %, 1 s)
wide), whether keepalive probes alone keep a connection alive through the path, the
RFC 5382 REQ-5 verdict (at least 2 h 4 min), and idle, interval and count for the
path by the rules of 'advise' (every timer up to 12.5 % late), with the
TCP_KEEPALIVE= line and the code line. It takes about 1.5 to 2.4 times the timeout
found, and --max for 'none'.

  --max T            the longest idle to test (default 30 min: AWS NAT gateway and load
                     balancers 350 s, Azure 4 min, Google Cloud NAT 20 min; at least 3 s;
                     --max 2h5m tests RFC 5382)
  --connections N    the most connections open at once, the control one included
                     (default 16, 2 to 64)
  --json             one JSON object at the end: target, mode, lowerMs, upperMs (null for
                     none), refreshedByKeepalive, connections, elapsedMs, rfc5382, advice, ...
  -h, --help         this help

${DURATIONS}

${exitCodes([OK, INTERNAL, NO_ADDON, USAGE, RESOLVE, CONNECT, RESET, UNSUPPORTED, ...SIGNALS])}`;

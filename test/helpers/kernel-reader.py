# An independent reader for the tests: calls getsockopt/setsockopt on the
# test's socket through CPython's socket module, so assertions never rely on
# the code under test. Prints one JSON object.
# Usage: python3 kernel-reader.py '{"do": "read" | "write" | "tcpinfo" | "int" | "bytes" | "setbytes" |
#   "attach-filter" | "filter-length" | "options", ...}'
#
# The socket: on Linux and macOS it is inherited as descriptor 3. On Windows
# a SOCKET cannot be inherited that way: the request names it ("socket") and
# the process holding it ("pid"), and the reader duplicates the handle.
#
# Option names are the ones this platform's CPython defines: the idle time is
# TCP_KEEPIDLE (Linux, Windows 10 1709+) or TCP_KEEPALIVE (macOS); a field
# whose option Python does not define (TCP_USER_TIMEOUT outside Linux) reads
# as null and cannot be written. Values are in the kernel's own units.
#
# {"do": "session", "targets": [{"pid", "fd"}, ...]} (Linux) reads sockets of other processes
# instead: descriptor fd of process pid, duplicated with pidfd_getfd (Linux 5.6+, needs ptrace
# rights over it: we are root), kept, and read on each request line (see below).
import ctypes, json, os, socket, struct, sys, time

T = socket.IPPROTO_TCP


def option(*names):
    for name in names:
        if hasattr(socket, name):
            return getattr(socket, name)
    return None


OPTIONS = {
    "keepalive": (socket.SOL_SOCKET, socket.SO_KEEPALIVE),
    "idle": (T, option("TCP_KEEPIDLE", "TCP_KEEPALIVE")),
    "interval": (T, option("TCP_KEEPINTVL")),
    "count": (T, option("TCP_KEEPCNT")),
    "userTimeout": (T, option("TCP_USER_TIMEOUT")),
}
# struct tcp_connection_info (macOS <netinet/tcp.h>): tcpi_state at 0, tcpi_rxbytes at 88.
TCP_CONNECTION_INFO = option("TCP_CONNECTION_INFO") or (0x106 if sys.platform == "darwin" else None)


def open_socket(op):
    if sys.platform != "win32":
        return socket.socket(fileno=3), None
    import ctypes
    from ctypes import wintypes
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    PROCESS_DUP_HANDLE, DUPLICATE_SAME_ACCESS = 0x40, 2
    process = kernel32.OpenProcess(PROCESS_DUP_HANDLE, False, op["pid"])
    if not process:
        raise OSError(ctypes.get_last_error(), "OpenProcess")
    duplicate = wintypes.HANDLE()
    ok = kernel32.DuplicateHandle(process, wintypes.HANDLE(op["socket"]), kernel32.GetCurrentProcess(), ctypes.byref(duplicate), 0, False, DUPLICATE_SAME_ACCESS)
    kernel32.CloseHandle(process)
    if not ok:
        raise OSError(ctypes.get_last_error(), "DuplicateHandle")
    return socket.socket(fileno=duplicate.value), lambda: kernel32.CloseHandle(duplicate)


def read(s):
    out = {}
    for field, (level, name) in OPTIONS.items():
        out[field] = None if name is None else s.getsockopt(level, name)
    return out


def write(s, values):
    for field, value in values.items():
        if value is None:
            continue
        level, name = OPTIONS[field]
        if name is None:
            raise OSError(f"this platform's Python defines no option for {field}")
        s.setsockopt(level, name, value)


def tcpinfo(s):
    if sys.platform == "darwin":
        raw = s.getsockopt(T, TCP_CONNECTION_INFO, 256)
        # macOS numbers states from CLOSED 0 (ESTABLISHED 4); no probe counter.
        return {"state": raw[0], "probes": None, "bytesReceived": struct.unpack_from("=Q", raw, 88)[0], "length": len(raw)}
    raw = s.getsockopt(T, socket.TCP_INFO, 256)
    now = time.time() * 1000
    last_data_recv, last_ack_recv = struct.unpack_from("=II", raw, 52)
    return {"state": raw[0], "probes": raw[3], "unacked": struct.unpack_from("=I", raw, 24)[0],
            "bytesReceived": struct.unpack_from("=Q", raw, 128)[0], "length": len(raw),
            # Date.now() of the moment the kernel last heard from the peer (what keepalive counts from).
            "lastPacketAt": now - min(last_data_recv, last_ack_recv),
            "localPort": s.getsockname()[1] if s.family in (socket.AF_INET, socket.AF_INET6) else None}


def remote(pid, fd):
    SYS_pidfd_getfd = 438  # x86_64 and aarch64 alike (the generic syscall table)
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    try:
        copy = libc.syscall(SYS_pidfd_getfd, pidfd, fd, 0)
        if copy < 0:
            err = ctypes.get_errno()
            raise OSError(err, "pidfd_getfd(pid %d, fd %d): %s" % (pid, fd, os.strerror(err)))
    finally:
        os.close(pidfd)
    return socket.socket(fileno=copy)


op = json.loads(sys.argv[1])
if op["do"] == "options":
    # What this reader can read: no socket needed.
    print(json.dumps({field: name is not None for field, (level, name) in OPTIONS.items()}))
    sys.exit(0)
if op["do"] == "session":
    # Hold duplicates of every target from now on (a socket closed by its process stays
    # readable: TCP_INFO of a connection that ended still says when its peer last spoke), then
    # answer each request line on stdin with one line, the answers for all targets in order.
    held = [remote(t["pid"], t["fd"]) for t in op["targets"]]
    print(json.dumps("ready"), flush=True)
    for line in sys.stdin:
        if line.strip():
            request = json.loads(line)
            print(json.dumps([tcpinfo(h) if request["do"] == "tcpinfo" else read(h) for h in held]), flush=True)
    sys.exit(0)
s, release = open_socket(op)
try:
    if op["do"] == "write":
        write(s, op["values"])
        out = read(s)
    elif op["do"] == "tcpinfo":
        out = tcpinfo(s)
    elif op["do"] == "int":
        out = s.getsockopt(op["level"], op["name"])
    elif op["do"] == "bytes":
        out = s.getsockopt(op["level"], op["name"], op["length"]).hex()
    elif op["do"] == "setbytes":
        s.setsockopt(op["level"], op["name"], bytes.fromhex(op["hex"]))
        out = None
    elif op["do"] == "attach-filter":
        # A classic BPF socket filter of n instructions that accepts every packet:
        # n - 1 "ld #0", then "ret #-1". struct sock_fprog holds a pointer to them.
        n = op["instructions"]
        program = (ctypes.c_ubyte * (8 * n))()
        for i in range(n - 1):
            struct.pack_into("=HBBI", program, 8 * i, 0x00, 0, 0, 0)
        struct.pack_into("=HBBI", program, 8 * (n - 1), 0x06, 0, 0, 0xFFFFFFFF)
        s.setsockopt(socket.SOL_SOCKET, 26, struct.pack("@HP", n, ctypes.addressof(program)))
        out = None
    elif op["do"] == "filter-length":
        # SO_GET_FILTER with optlen 0 answers the attached filter's length in
        # instructions (0 when none), writing nothing.
        libc = ctypes.CDLL(None, use_errno=True)
        length = ctypes.c_uint(0)
        if libc.getsockopt(s.fileno(), socket.SOL_SOCKET, 26, None, ctypes.byref(length)) != 0:
            raise OSError(ctypes.get_errno(), "getsockopt SO_GET_FILTER")
        out = length.value
    else:
        out = read(s)
finally:
    s.detach()
    if release:
        release()
print(json.dumps(out))

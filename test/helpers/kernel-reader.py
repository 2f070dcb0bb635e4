# An independent reader for the tests: inherits a socket as descriptor 3 and
# calls getsockopt/setsockopt through CPython's socket module, so assertions
# never rely on the code under test. Prints one JSON object.
# Usage: python3 kernel-reader.py '{"do": "read" | "write" | "tcpinfo" | "int", ...}'
# {"do": "session", "targets": [{"pid", "fd"}, ...]} reads sockets of other processes instead:
# descriptor fd of process pid, duplicated with pidfd_getfd (Linux 5.6+, needs ptrace rights
# over it: we are root), kept, and read on each request line (see below).
import ctypes, json, os, socket, struct, sys, time
op = json.loads(sys.argv[1])
T = socket.IPPROTO_TCP

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

def read(s):
    return {
        "keepalive": s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
        "idle": s.getsockopt(T, socket.TCP_KEEPIDLE),
        "interval": s.getsockopt(T, socket.TCP_KEEPINTVL),
        "count": s.getsockopt(T, socket.TCP_KEEPCNT),
        "userTimeout": s.getsockopt(T, socket.TCP_USER_TIMEOUT),
    }

def handle(s):
    if op["do"] == "write":
        v = op["values"]
        if "idle" in v: s.setsockopt(T, socket.TCP_KEEPIDLE, v["idle"])
        if "interval" in v: s.setsockopt(T, socket.TCP_KEEPINTVL, v["interval"])
        if "count" in v: s.setsockopt(T, socket.TCP_KEEPCNT, v["count"])
        if "userTimeout" in v: s.setsockopt(T, socket.TCP_USER_TIMEOUT, v["userTimeout"])
        if "keepalive" in v: s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, v["keepalive"])
        return read(s)
    if op["do"] == "tcpinfo":
        raw = s.getsockopt(T, socket.TCP_INFO, 256)
        now = time.time() * 1000
        last_data_recv, last_ack_recv = struct.unpack_from("=II", raw, 52)
        return {"state": raw[0], "probes": raw[3], "unacked": struct.unpack_from("=I", raw, 24)[0],
                "bytesReceived": struct.unpack_from("=Q", raw, 128)[0], "length": len(raw),
                # Date.now() of the moment the kernel last heard from the peer (what keepalive counts from).
                "lastPacketAt": now - min(last_data_recv, last_ack_recv),
                "localPort": s.getsockname()[1] if s.family in (socket.AF_INET, socket.AF_INET6) else None}
    if op["do"] == "int":
        return s.getsockopt(op["level"], op["name"])
    return read(s)

if op["do"] == "session":
    # Hold duplicates of every target from now on (a socket closed by its process stays
    # readable: TCP_INFO of a connection that ended still says when its peer last spoke), then
    # answer each request line on stdin with one line, the answers for all targets in order.
    held = [remote(t["pid"], t["fd"]) for t in op["targets"]]
    print(json.dumps("ready"), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        op = json.loads(line)
        print(json.dumps([handle(s) for s in held]), flush=True)
    sys.exit(0)
s = socket.socket(fileno=3)
out = handle(s)
s.detach()
print(json.dumps(out))

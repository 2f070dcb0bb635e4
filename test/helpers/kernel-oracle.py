# The independent view of the kernel for the Windows tests under Wine.
#
# Wine gives every Windows SOCKET a real Linux socket, open both in the
# node.exe process and in wineserver. This server, run on the Linux side by
# tools/windows/test.ts, finds that socket from the addresses the test names
# (/proc/net/tcp{,6} give the inode, /proc/PID/fd the descriptor holding it),
# takes a duplicate with pidfd_getfd (needs ptrace rights: root here), and
# reads or writes it with CPython's socket module. Nothing here uses the code
# under test. Like test/helpers/kernel-reader.py, in the kernel's own units.
#
# Usage: python3 kernel-oracle.py PORT_FILE   (listens on 127.0.0.1, port 0,
# writes the port it got to PORT_FILE). Requests: POST / with one JSON object
#   {"do": "read" | "write" | "int" | "pids", "local": [addr, port],
#    "remote": [addr, port] | null, "values": {...}, "level": n, "name": n}
import ctypes, ipaddress, json, os, socket, struct, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

SYS_pidfd_open, SYS_pidfd_getfd = 434, 438
libc = ctypes.CDLL(None, use_errno=True)
T = socket.IPPROTO_TCP


def proc_entries():
    for name, family in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 6)):
        with open(name) as f:
            next(f)
            for line in f:
                fields = line.split()
                yield family, fields[1], fields[2], fields[3], int(fields[9])


def decode(hexaddr, family):
    addr, port = hexaddr.split(":")
    raw = bytes.fromhex(addr)
    # The kernel prints 32-bit words in host byte order (little-endian here).
    raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    ip = ipaddress.ip_address(raw)
    if family == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return str(ip), int(port, 16)


def normal(address):
    ip = ipaddress.ip_address(address.split("%")[0])
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return str(ip)


def find_inode(local, remote):
    want_local = (normal(local[0]), local[1])
    want_remote = (normal(remote[0]), remote[1]) if remote else None
    for family, l, r, state, inode in proc_entries():
        if inode == 0 or decode(l, family) != want_local:
            continue
        if want_remote is None:
            if state == "0A":  # LISTEN
                return inode
        elif decode(r, family) == want_remote:
            return inode
    raise LookupError("no TCP socket %r -> %r in /proc/net/tcp{,6}" % (local, remote))


def holders(inode):
    target = "socket:[%d]" % inode
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir("/proc/%s/fd" % pid):
                try:
                    if os.readlink("/proc/%s/fd/%s" % (pid, fd)) == target:
                        found.append((int(pid), int(fd)))
                except OSError:
                    pass
        except OSError:
            pass
    return found


def duplicate(inode):
    for pid, fd in holders(inode):
        pidfd = libc.syscall(SYS_pidfd_open, pid, 0)
        if pidfd < 0:
            continue
        try:
            dup = libc.syscall(SYS_pidfd_getfd, pidfd, fd, 0)
            if dup >= 0:
                return dup
        finally:
            os.close(pidfd)
    raise PermissionError("socket inode %d: no holder could be duplicated "
                          "(pidfd_getfd needs ptrace rights)" % inode)


def read(s):
    return {
        "keepalive": s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
        "idle": s.getsockopt(T, socket.TCP_KEEPIDLE),
        "interval": s.getsockopt(T, socket.TCP_KEEPINTVL),
        "count": s.getsockopt(T, socket.TCP_KEEPCNT),
        "userTimeout": s.getsockopt(T, socket.TCP_USER_TIMEOUT),
    }


def handle(op):
    s = socket.socket(fileno=duplicate(find_inode(op["local"], op.get("remote"))))
    try:
        if op["do"] == "write":
            v = op["values"]
            if "idle" in v: s.setsockopt(T, socket.TCP_KEEPIDLE, v["idle"])
            if "interval" in v: s.setsockopt(T, socket.TCP_KEEPINTVL, v["interval"])
            if "count" in v: s.setsockopt(T, socket.TCP_KEEPCNT, v["count"])
            if "keepalive" in v: s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, v["keepalive"])
            return read(s)
        if op["do"] == "int":
            return s.getsockopt(op["level"], op["name"])
        return read(s)
    finally:
        s.close()  # closes the duplicate only


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            status, out = 200, {"ok": handle(json.loads(body))}
        except Exception as error:  # reported to the test, which fails
            status, out = 500, {"error": "%s: %s" % (type(error).__name__, error)}
        data = json.dumps(out).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    server = HTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[1], "w") as f:
        f.write(str(server.server_address[1]))
    server.serve_forever()

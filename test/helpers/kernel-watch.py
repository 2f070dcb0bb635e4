# The independent reader for property tests (see kernel-watch.ts): CPython's
# socket module, never the code under test. The descriptors to watch are
# inherited (their numbers in argv[1:]); each stdin line asks one question,
# each stdout line answers it:
#   {"do": "read"}                          -> every watched descriptor's keepalive
#                                              options (one the socket refuses: null)
#   {"do": "int", "fd", "level", "name"}   -> the value, or {"errno": n}
#   {"do": "tcpinfo", "fd"}                -> tcpi_state
import json, socket, sys
T = socket.IPPROTO_TCP
KEEPALIVE_OPTIONS = {
    "keepalive": (socket.SOL_SOCKET, socket.SO_KEEPALIVE),
    "idle": (T, socket.TCP_KEEPIDLE),
    "interval": (T, socket.TCP_KEEPINTVL),
    "count": (T, socket.TCP_KEEPCNT),
    "userTimeout": (T, socket.TCP_USER_TIMEOUT),
}
watched = {int(fd): socket.socket(fileno=int(fd)) for fd in sys.argv[1:]}

def option(sock, level, name):
    try:
        return sock.getsockopt(level, name)
    except OSError as error:
        return None if error.errno is None else {"errno": error.errno}

for line in sys.stdin:
    op = json.loads(line)
    if op["do"] == "read":
        out = {fd: {key: option(sock, *where) for key, where in KEEPALIVE_OPTIONS.items()}
               for fd, sock in watched.items()}
    elif op["do"] == "int":
        out = option(watched[op["fd"]], op["level"], op["name"])
    else:
        out = watched[op["fd"]].getsockopt(T, socket.TCP_INFO, 256)[0]
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
for sock in watched.values():
    sock.detach()

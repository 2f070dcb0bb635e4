# An independent reader for the tests: inherits a socket as descriptor 3 and
# calls getsockopt/setsockopt through CPython's socket module, so assertions
# never rely on the code under test. Prints one JSON object.
# Usage: python3 kernel-reader.py '{"do": "read" | "write" | "tcpinfo" | "int", ...}'
import json, socket, struct, sys
s = socket.socket(fileno=3)
T = socket.IPPROTO_TCP
def read():
    return {
        "keepalive": s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
        "idle": s.getsockopt(T, socket.TCP_KEEPIDLE),
        "interval": s.getsockopt(T, socket.TCP_KEEPINTVL),
        "count": s.getsockopt(T, socket.TCP_KEEPCNT),
        "userTimeout": s.getsockopt(T, socket.TCP_USER_TIMEOUT),
    }
op = json.loads(sys.argv[1])
if op["do"] == "write":
    v = op["values"]
    if "idle" in v: s.setsockopt(T, socket.TCP_KEEPIDLE, v["idle"])
    if "interval" in v: s.setsockopt(T, socket.TCP_KEEPINTVL, v["interval"])
    if "count" in v: s.setsockopt(T, socket.TCP_KEEPCNT, v["count"])
    if "userTimeout" in v: s.setsockopt(T, socket.TCP_USER_TIMEOUT, v["userTimeout"])
    if "keepalive" in v: s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, v["keepalive"])
    out = read()
elif op["do"] == "tcpinfo":
    raw = s.getsockopt(T, socket.TCP_INFO, 256)
    out = {"state": raw[0], "probes": raw[3], "bytesReceived": struct.unpack_from("=Q", raw, 128)[0], "length": len(raw)}
elif op["do"] == "int":
    out = s.getsockopt(op["level"], op["name"])
else:
    out = read()
s.detach()
print(json.dumps(out))

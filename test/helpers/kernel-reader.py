# An independent reader for the tests: inherits a socket as descriptor 3 and
# calls getsockopt/setsockopt through CPython's socket module, so assertions
# never rely on the code under test. Prints one JSON object.
# Usage: python3 kernel-reader.py '{"do": "read" | "write" | "tcpinfo" | "int" | "bytes" |
#   "setbytes" | "attach-filter" | "filter-length", ...}'
import ctypes, json, socket, struct, sys
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
    if libc.getsockopt(3, socket.SOL_SOCKET, 26, None, ctypes.byref(length)) != 0:
        raise OSError(ctypes.get_errno(), "getsockopt SO_GET_FILTER")
    out = length.value
else:
    out = read()
s.detach()
print(json.dumps(out))

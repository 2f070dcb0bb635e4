// Windows back end (Winsock 2). Error translation (win/error.cc), the
// registry's system defaults (win/registry.cc) and the remembered values
// (win/remembered.cc) are in their own files, shared through win/backend.h.
//
// enable + idle + interval: WSAIoctl(SIO_KEEPALIVE_VALS), in ms, all three at
// once (Windows 2000+). It is write-only.
// count, and reading idle/interval back: IPPROTO_TCP TCP_KEEPCNT (Windows 10
// 1703+), TCP_KEEPIDLE and TCP_KEEPINTVL (1709+), in seconds. Whether this
// system has them is probed once; where it does not (older Windows, Wine),
// count is not settable (capabilities() says so, the facade refuses it with
// ERR_FEATURE_UNAVAILABLE_ON_PLATFORM) and idle/interval are reported as
// remembered from the last set through this library, flagged in
// KeepaliveState::remembered.
// userTimeout has no Windows equivalent with the same meaning (TCP_MAXRT
// bounds retransmission only): not supported, reachable through setSockOpt.
#ifdef _WIN32

#include <cmath>
#include <cstring>

#include "core/keepalive.h"
#include "win/backend.h"
#include "core/socket_headers.h"

namespace tcpka {

namespace {

constexpr int kUvENOPROTOOPT = -4035;
constexpr int kUvENOTSUP = -4049;

constexpr double kMaxTimeMs = 4294967.0 * 1000;  // whole seconds in a u_long of ms

Status WsaStatus(Syscall syscall) {
  return Status{UvErrorFromWin(WSAGetLastError()), syscall};
}

// Which IPPROTO_TCP keepalive options this system has, probed once on a
// fresh socket: both getsockopt and setsockopt must work.
struct OptionSupport {
  bool idle = false;
  bool interval = false;
  bool count = false;
};

bool RoundTrips(SOCKET sock, int name) {
  DWORD value = 0;
  int length = sizeof(value);
  if (getsockopt(sock, IPPROTO_TCP, name, reinterpret_cast<char*>(&value),
                 &length) != 0)
    return false;
  return setsockopt(sock, IPPROTO_TCP, name,
                    reinterpret_cast<const char*>(&value), sizeof(value)) == 0;
}

const OptionSupport& Support() {
  static const OptionSupport kSupport = [] {
    OptionSupport support;
    // Node has started Winsock already; the pair only keeps the count right.
    WSADATA data;
    if (WSAStartup(MAKEWORD(2, 2), &data) != 0) return support;
    SOCKET sock = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (sock != INVALID_SOCKET) {
      support.idle = RoundTrips(sock, TCP_KEEPIDLE);
      support.interval = RoundTrips(sock, TCP_KEEPINTVL);
      support.count = RoundTrips(sock, TCP_KEEPCNT);
      closesocket(sock);
    }
    WSACleanup();
    return support;
  }();
  return kSupport;
}

// --- Socket option helpers -------------------------------------------------

Status GetDword(SOCKET sock, int level, int name, DWORD* value) {
  *value = 0;  // BOOL options may answer with fewer bytes
  int length = sizeof(*value);
  if (getsockopt(sock, level, name, reinterpret_cast<char*>(value), &length) !=
      0)
    return WsaStatus(Syscall::kGetsockopt);
  return Status{};
}

Status SetDword(SOCKET sock, int level, int name, DWORD value) {
  if (setsockopt(sock, level, name, reinterpret_cast<const char*>(&value),
                 sizeof(value)) != 0)
    return WsaStatus(Syscall::kSetsockopt);
  return Status{};
}

// Refuses anything that is not a TCP stream (a UDP socket, an AF_UNIX
// socket, a bad handle) before any option is read or changed. Wine, for
// one, would turn SO_KEEPALIVE on for a UDP socket and only then fail.
Status CheckTcp(SOCKET sock) {
  WSAPROTOCOL_INFOW info;
  int length = sizeof(info);
  if (getsockopt(sock, SOL_SOCKET, SO_PROTOCOL_INFOW,
                 reinterpret_cast<char*>(&info), &length) != 0)
    return WsaStatus(Syscall::kGetsockopt);
  if (info.iSocketType != SOCK_STREAM || info.iProtocol != IPPROTO_TCP ||
      (info.iAddressFamily != AF_INET && info.iAddressFamily != AF_INET6))
    return Status{kUvENOPROTOOPT, Syscall::kGetsockopt};
  return Status{};
}

Status SetKeepaliveVals(SOCKET sock, bool on, double idle_ms,
                        double interval_ms) {
  tcp_keepalive vals;
  vals.onoff = on ? 1 : 0;
  vals.keepalivetime = static_cast<u_long>(idle_ms);
  vals.keepaliveinterval = static_cast<u_long>(interval_ms);
  DWORD returned = 0;
  if (WSAIoctl(sock, SIO_KEEPALIVE_VALS, &vals, sizeof(vals), nullptr, 0,
               &returned, nullptr, nullptr) != 0)
    return WsaStatus(Syscall::kWSAIoctl);
  return Status{};
}

// Puts back what `applied` covers. Best effort: the original failure is what
// the caller reports. SIO_KEEPALIVE_VALS only takes timers while turning
// keepalive on, so timers are restored with keepalive on and the switch is
// set afterwards.
void Restore(SOCKET sock, const KeepaliveState& before, unsigned applied) {
  if (applied & (FieldBit(kIdle) | FieldBit(kInterval)))
    SetKeepaliveVals(sock, true, before.idle_ms, before.interval_ms);
  if (applied & (FieldBit(kEnable) | FieldBit(kIdle) | FieldBit(kInterval)))
    SetDword(sock, SOL_SOCKET, SO_KEEPALIVE, before.enable ? TRUE : FALSE);
  if (applied & FieldBit(kCount))
    SetDword(sock, IPPROTO_TCP, TCP_KEEPCNT, static_cast<DWORD>(before.count));
}

}  // namespace

const Capabilities& GetCapabilities() {
  static const Capabilities kCapabilities = [] {
    const OptionSupport& support = Support();
    Capabilities caps;
    caps.backend = "win32";
    caps.fields[kEnable] = {true, true, 0, 1, 0};
    // SIO_KEEPALIVE_VALS takes ms, but TCP_KEEPIDLE/TCP_KEEPINTVL report
    // seconds (and Wine passes seconds to Linux): whole seconds keep what is
    // set and what is read back the same.
    caps.fields[kIdle] = {true, support.idle, 1000, kMaxTimeMs, 1000};
    caps.fields[kInterval] = {true, support.interval, 1000, kMaxTimeMs, 1000};
    // 255: the cap Windows has always applied to its probe count.
    caps.fields[kCount] = {support.count, support.count, 1, 255, 0};
    caps.fields[kUserTimeout] = {false, false, 0, 0, 0};
    caps.tcp_info = false;
    caps.system_defaults = true;
    // Windows documents no inheritance of SIO_KEEPALIVE_VALS by accepted
    // sockets: the facade configures each accepted connection.
    caps.listener_inheritance = false;
    return caps;
  }();
  return kCapabilities;
}

Status GetKeepalive(SocketHandle handle, KeepaliveState* out) {
  SOCKET sock = static_cast<SOCKET>(handle);
  const OptionSupport& support = Support();
  KeepaliveState state;
  Status status = CheckTcp(sock);
  if (!status.ok()) return status;

  DWORD value = 0;
  status = GetDword(sock, SOL_SOCKET, SO_KEEPALIVE, &value);
  if (!status.ok()) return status;
  state.enable = value != 0;

  // Timers: read where the system can, otherwise what this library last set
  // (or, if it never did, the system default the socket started with).
  double remembered_idle = 0, remembered_interval = 0;
  if (!support.idle || !support.interval) {
    if (!Recall(handle, &remembered_idle, &remembered_interval)) {
      const RegistryDefaults& defaults = ReadRegistryDefaults();
      remembered_idle = defaults.status.ok() ? defaults.defaults.idle_ms
                                             : kDocumentedIdleMs;
      remembered_interval = defaults.status.ok()
                                ? defaults.defaults.interval_ms
                                : kDocumentedIntervalMs;
    }
  }
  if (support.idle) {
    status = GetDword(sock, IPPROTO_TCP, TCP_KEEPIDLE, &value);
    if (!status.ok()) return status;
    state.idle_ms = value * 1000.0;
  } else {
    state.idle_ms = remembered_idle;
    state.remembered |= FieldBit(kIdle);
  }
  if (support.interval) {
    status = GetDword(sock, IPPROTO_TCP, TCP_KEEPINTVL, &value);
    if (!status.ok()) return status;
    state.interval_ms = value * 1000.0;
  } else {
    state.interval_ms = remembered_interval;
    state.remembered |= FieldBit(kInterval);
  }
  if (support.count) {
    status = GetDword(sock, IPPROTO_TCP, TCP_KEEPCNT, &value);
    if (!status.ok()) return status;
    state.count = value;
  } else {
    state.unsupported |= FieldBit(kCount);
  }
  state.unsupported |= FieldBit(kUserTimeout);
  *out = state;
  return Status{};
}

Status SetKeepalive(SocketHandle handle, const KeepaliveRequest& request,
                    KeepaliveState* out) {
  SOCKET sock = static_cast<SOCKET>(handle);
  const OptionSupport& support = Support();
  // The facade checks capabilities first; this keeps the back end honest if
  // it is called directly.
  if ((request.fields & FieldBit(kUserTimeout)) ||
      ((request.fields & FieldBit(kCount)) && !support.count))
    return Status{kUvENOPROTOOPT, Syscall::kSetsockopt};

  // The snapshot is the TCP check, the values to restore, and the timer that
  // SIO_KEEPALIVE_VALS needs when only one of the two is being changed.
  KeepaliveState before;
  Status status = GetKeepalive(handle, &before);
  if (!status.ok()) return status;

  const bool timers =
      (request.fields & (FieldBit(kIdle) | FieldBit(kInterval))) != 0;
  const double idle_ms =
      request.fields & FieldBit(kIdle) ? request.idle_ms : before.idle_ms;
  const double interval_ms = request.fields & FieldBit(kInterval)
                                 ? request.interval_ms
                                 : before.interval_ms;
  unsigned applied = 0;

  // Count first: nothing else has changed if the system refuses it.
  if (request.fields & FieldBit(kCount)) {
    status = SetDword(sock, IPPROTO_TCP, TCP_KEEPCNT,
                      static_cast<DWORD>(request.count));
    if (!status.ok()) return status;
    applied |= FieldBit(kCount);
  }

  if (timers) {
    // Timers are only taken while turning keepalive on; it is turned off
    // again right after when that is what was asked for.
    applied |= FieldBit(kEnable) | FieldBit(kIdle) | FieldBit(kInterval);
    status = SetKeepaliveVals(sock, true, idle_ms, interval_ms);
    if (status.ok() && !request.enable)
      status = SetDword(sock, SOL_SOCKET, SO_KEEPALIVE, FALSE);
  } else {
    applied |= FieldBit(kEnable);
    status = SetDword(sock, SOL_SOCKET, SO_KEEPALIVE,
                      request.enable ? TRUE : FALSE);
  }
  if (!status.ok()) {
    Restore(sock, before, applied);
    return status;
  }
  if (timers && (!support.idle || !support.interval))
    Remember(handle, idle_ms, interval_ms);

  // Read back what the system made of it (remembered where it cannot say).
  KeepaliveState after;
  status = GetKeepalive(handle, &after);
  if (!status.ok()) {
    Restore(sock, before, applied);
    return status;
  }
  *out = after;
  return Status{};
}

Status WriteKeepaliveNoRollback(SocketHandle handle,
                          const KeepaliveRequest& request) {
  // SIO_KEEPALIVE_VALS sets enable, idle and interval together, so the full
  // path is needed to know the values not being changed.
  KeepaliveState unused;
  return SetKeepalive(handle, request, &unused);
}

Status GetTcpInfo(SocketHandle, TcpInfo*) {
  // capabilities().tcpInfo is false: the facade never gets here.
  return Status{kUvENOTSUP, Syscall::kGetsockopt};
}

namespace {
// Reserved past the usable bytes, never committed: large enough that a
// provider writing records at a stride past the end still lands in it.
constexpr size_t kGuardLength = size_t{1} << 20;
}  // namespace

GuardedScratch::~GuardedScratch() {
  if (mapping_ != nullptr) VirtualFree(mapping_, 0, MEM_RELEASE);
}

uint8_t* GuardedScratch::Tail(size_t length) {
  if (length > kMaxOptionLength) return nullptr;
  if (mapping_ == nullptr) {
    void* mapping = VirtualAlloc(nullptr, kMaxOptionLength + kGuardLength,
                                 MEM_RESERVE, PAGE_NOACCESS);
    if (mapping == nullptr) return nullptr;
    if (VirtualAlloc(mapping, kMaxOptionLength, MEM_COMMIT, PAGE_READWRITE) ==
        nullptr) {
      VirtualFree(mapping, 0, MEM_RELEASE);
      return nullptr;
    }
    mapping_ = mapping;
    guard_ = static_cast<uint8_t*>(mapping) + kMaxOptionLength;
  }
  return guard_ - length;
}

// Winsock's documented options (winsock2.h, ws2def.h, ws2ipdef.h, mstcpip.h);
// source filters go through WSAIoctl there, not socket options.
const RefusedOption* GetRefusedOptions(size_t* count) {
  static const RefusedOption kRefused[] = {
      {SOL_SOCKET, 0x1009, 0x1009, "SO_BSP_STATE",
       "the result is a CSADDR_INFO whose SOCKET_ADDRESS members are "
       "pointers into the buffer"},
  };
  *count = sizeof(kRefused) / sizeof(kRefused[0]);
  return kRefused;
}

Status GetSockOptBytes(SocketHandle sock, int level, int name, void* buffer,
                       size_t* length) {
  int len = static_cast<int>(*length);
  if (getsockopt(static_cast<SOCKET>(sock), level, name,
                 static_cast<char*>(buffer), &len) != 0)
    return WsaStatus(Syscall::kGetsockopt);
  size_t written = len < 0 ? 0 : static_cast<size_t>(len);
  *length = written < *length ? written : *length;
  return Status{};
}

Status SetSockOptBytes(SocketHandle sock, int level, int name,
                       const void* buffer, size_t length) {
  if (setsockopt(static_cast<SOCKET>(sock), level, name,
                 static_cast<const char*>(buffer),
                 static_cast<int>(length)) != 0)
    return WsaStatus(Syscall::kSetsockopt);
  return Status{};
}

}  // namespace tcpka

#endif  // _WIN32

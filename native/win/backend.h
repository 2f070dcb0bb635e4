// Internal to the Windows back end: what win/keepalive.cc, win/error.cc,
// win/registry.cc, win/remembered.cc and win/socket_lookup.cc share, and
// what win/binding.cc binds.
#ifndef TCP_KEEPALIVE_KEEPALIVE_WIN_H_
#define TCP_KEEPALIVE_KEEPALIVE_WIN_H_
#ifdef _WIN32

#include <cstdint>
#include <string>

#include "core/keepalive.h"

struct uv_loop_s;

namespace tcpka {

// Calls only the Windows code makes, and their names. Their numbers continue
// the core Syscall list, so that a Status can carry them and the binding's
// `syscalls` names them (win/binding.cc).
#define TCPKA_WIN_SYSCALLS(X) \
  X(kUvWalk, "uv_walk")       \
  X(kHandleScan, "handle scan")

enum class WinSyscall : int {
  // The last core number, so that the first call here gets Syscall::kCount.
  kCoreLast = static_cast<int>(Syscall::kCount) - 1,
#define TCPKA_ENUM(syscall, name) syscall,
  TCPKA_WIN_SYSCALLS(TCPKA_ENUM)
#undef TCPKA_ENUM
  kEnd
};

inline Status WinStatus(int error, WinSyscall syscall) {
  return Status{error, static_cast<Syscall>(syscall)};
}

// A Win32 or Winsock error code (GetLastError(), WSAGetLastError(), a
// registry call's result) as libuv names it: the negative UV_E* value, so
// that util.getSystemErrorName() gives the code Node itself would give.
int UvErrorFromWin(unsigned long error);

// Documented defaults (SIO_KEEPALIVE_VALS remarks): a socket starts with a
// 2 h timeout and a 1 s interval unless the registry says otherwise, and
// Windows Vista and later send 10 probes.
inline constexpr double kDocumentedIdleMs = 7200000;
inline constexpr double kDocumentedIntervalMs = 1000;
inline constexpr double kDocumentedCount = 10;

// The system defaults as the registry holds them (read once: Tcpip reads
// them at boot), or the registry call's failure (win/registry.cc).
struct RegistryDefaults {
  Status status;
  SystemDefaults defaults;
};
const RegistryDefaults& ReadRegistryDefaults();

// The idle and interval last set through this library on `sock`, false if
// none or if the handle value now belongs to another socket (its addresses
// differ); Remember records them (win/remembered.cc).
bool Recall(SocketHandle sock, double* idle_ms, double* interval_ms);
void Remember(SocketHandle sock, double idle_ms, double interval_ms);

// One end of a TCP connection as Node reports it (socket.localAddress,
// socket.remotePort, server.address(), ...). `family` is 4 or 6, or 0 for
// "no peer": a listening socket, which must then have no peer.
struct Endpoint {
  int family = 0;
  std::string address;
  uint16_t port = 0;
};

enum class LookupMethod : int {
  kAuto = 0,       // uv_walk where the host exports libuv, else kHandleScan
  kUvWalk = 1,     // the handles of the caller's event loop only
  kHandleScan = 2  // every handle value of the process (slow; for comparison)
};

// Finds the SOCKET of the TCP handle whose addresses are `local` and
// `remote`. Node gives no SOCKET on Windows (`_handle.fd` is -1), so the
// caller's libuv loop is walked with libuv's public, exported API
// (uv_walk, uv_handle_get_type, uv_fileno) and each TCP handle's socket is
// compared by getsockname/getpeername. Fails with UV_ENOTCONN for a
// connection (reset connections have no peer any more) and UV_EBADF for a
// listening socket when nothing matches.
Status FindSocket(uv_loop_s* loop, const Endpoint& local, const Endpoint& remote,
                  LookupMethod method, SocketHandle* out);

}  // namespace tcpka

#endif  // _WIN32
#endif  // TCP_KEEPALIVE_KEEPALIVE_WIN_H_

// Finding the SOCKET behind a Node handle on Windows, where Node reports
// `fd` -1 and offers no accessor.
//
// Node links libuv statically and exports its API from the executable, so
// the caller's event loop (napi_get_uv_event_loop) can be walked with
// libuv's public, ABI-stable functions: uv_walk, uv_handle_get_type and
// uv_fileno (which gives a TCP handle's SOCKET). The TCP handle whose
// addresses are the ones the caller passed is the one. Nothing here depends
// on the layout of Node's or libuv's structures.
//
// A socket's addresses never change, so they are cached by SOCKET: a lookup
// then costs one pass over the loop's handles in memory, newest first, plus
// system calls for sockets not seen before and for the match, which is
// always checked against the system (SOCKET values are reused after close,
// so a cached entry may describe a closed socket).
//
// Where the host exports no libuv (an embedder that hides it), every handle
// value of the process is tried instead: correct, but ~1000 times slower.
#ifdef _WIN32

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
// clang-format off
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
// clang-format on

#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "win/backend.h"

namespace tcpka {
namespace {

constexpr int kUvEBADF = -4083;
constexpr int kUvENOTCONN = -4053;
constexpr int kUvEINVAL = -4071;
constexpr int kUvENOSYS = -4054;
constexpr int kUvTcp = 12;  // UV_TCP in libuv 1.x's uv_handle_type

// libuv's exported API, as declared in uv.h (cdecl, the only x64 convention).
using UvWalkCb = void (*)(void* handle, void* arg);
using UvWalk = void (*)(uv_loop_s* loop, UvWalkCb callback, void* arg);
using UvHandleGetType = int (*)(const void* handle);
using UvFileno = int (*)(const void* handle, HANDLE* fd);

struct UvApi {
  UvWalk walk = nullptr;
  UvHandleGetType get_type = nullptr;
  UvFileno fileno = nullptr;
  bool ok() const { return walk && get_type && fileno; }
};

const UvApi& Uv() {
  static const UvApi kApi = [] {
    UvApi api;
    // The executable first (node.exe, Electron), then the shared-library
    // builds of Node.
    const HMODULE candidates[] = {GetModuleHandleW(nullptr),
                                  GetModuleHandleW(L"libnode.dll"),
                                  GetModuleHandleW(L"node.dll")};
    for (HMODULE module : candidates) {
      if (!module) continue;
      api.walk = reinterpret_cast<UvWalk>(
          reinterpret_cast<void*>(GetProcAddress(module, "uv_walk")));
      api.get_type = reinterpret_cast<UvHandleGetType>(
          reinterpret_cast<void*>(GetProcAddress(module, "uv_handle_get_type")));
      api.fileno = reinterpret_cast<UvFileno>(
          reinterpret_cast<void*>(GetProcAddress(module, "uv_fileno")));
      if (api.ok()) break;
    }
    return api;
  }();
  return kApi;
}

// An Endpoint parsed once into what getsockname/getpeername return.
struct Wanted {
  int family = 0;  // AF_INET, AF_INET6, or 0 for "no peer"
  unsigned char address[16] = {};
  uint16_t port = 0;  // network order
};

bool Parse(const Endpoint& endpoint, Wanted* out) {
  out->family = 0;
  if (endpoint.family == 0) return true;
  // Node may append a scope to link-local IPv6 addresses ("fe80::1%eth0").
  std::string text = endpoint.address.substr(0, endpoint.address.find('%'));
  out->family = endpoint.family == 6 ? AF_INET6 : AF_INET;
  out->port = htons(endpoint.port);
  return inet_pton(out->family, text.c_str(), out->address) == 1;
}

bool Matches(const sockaddr_storage& name, const Wanted& wanted) {
  if (name.ss_family != wanted.family) return false;
  if (wanted.family == AF_INET) {
    const sockaddr_in& in = reinterpret_cast<const sockaddr_in&>(name);
    return in.sin_port == wanted.port &&
           std::memcmp(&in.sin_addr, wanted.address, 4) == 0;
  }
  const sockaddr_in6& in6 = reinterpret_cast<const sockaddr_in6&>(name);
  return in6.sin6_port == wanted.port &&
         std::memcmp(&in6.sin6_addr, wanted.address, 16) == 0;
}

// A socket's addresses, as getsockname/getpeername give them.
struct Names {
  sockaddr_storage local{};
  sockaddr_storage peer{};
  bool has_local = false;
  bool has_peer = false;
};

Names Query(SOCKET sock) {
  Names names;
  int length = sizeof(names.peer);
  names.has_peer =
      getpeername(sock, reinterpret_cast<sockaddr*>(&names.peer), &length) == 0;
  length = sizeof(names.local);
  names.has_local =
      getsockname(sock, reinterpret_cast<sockaddr*>(&names.local), &length) == 0;
  return names;
}

bool IsTheSocket(const Names& names, const Wanted& local, const Wanted& remote) {
  if (!names.has_local || !Matches(names.local, local)) return false;
  return remote.family == 0 ? !names.has_peer
                            : names.has_peer && Matches(names.peer, remote);
}

std::mutex cache_mutex;
std::unordered_map<SOCKET, Names> cache;  // guarded by cache_mutex

struct WalkState {
  const UvApi* api;
  std::vector<SOCKET> sockets;  // the loop's TCP sockets, oldest first
};

void CollectTcp(void* handle, void* arg) {
  WalkState* state = static_cast<WalkState*>(arg);
  if (state->api->get_type(handle) != kUvTcp) return;
  HANDLE fd = INVALID_HANDLE_VALUE;
  if (state->api->fileno(handle, &fd) != 0) return;  // closing, or no socket
  state->sockets.push_back(reinterpret_cast<SOCKET>(fd));
}

// Newest first: the connection being configured is almost always among the
// handles created last (a server configures each one as it is accepted).
// Pass 1 asks the system only about sockets not seen before and about a
// cached match; pass 2, only if that found nothing, asks about the rest,
// whose cached addresses may belong to a closed socket with the same value.
SOCKET Search(const std::vector<SOCKET>& sockets, const Wanted& local,
              const Wanted& remote) {
  std::vector<bool> asked(sockets.size(), false);
  for (size_t i = sockets.size(); i-- > 0;) {
    SOCKET sock = sockets[i];
    auto it = cache.find(sock);
    if (it != cache.end() && !IsTheSocket(it->second, local, remote)) continue;
    Names now = Query(sock);
    asked[i] = true;
    if (now.has_local) cache.insert_or_assign(sock, now);
    if (IsTheSocket(now, local, remote)) return sock;
  }
  for (size_t i = sockets.size(); i-- > 0;) {
    if (asked[i]) continue;
    Names now = Query(sockets[i]);
    if (now.has_local) cache.insert_or_assign(sockets[i], now);
    if (IsTheSocket(now, local, remote)) return sockets[i];
  }
  return INVALID_SOCKET;
}

SOCKET ScanHandles(const Wanted& local, const Wanted& remote) {
  // Kernel handle values are multiples of 4; a process rarely has more
  // than a few thousand.
  for (uintptr_t value = 4; value <= 65536 * 4; value += 4) {
    SOCKET sock = static_cast<SOCKET>(value);
    if (IsTheSocket(Query(sock), local, remote)) return sock;
  }
  return INVALID_SOCKET;
}

}  // namespace

Status FindSocket(uv_loop_s* loop, const Endpoint& local,
                  const Endpoint& remote, LookupMethod method,
                  SocketHandle* out) {
  Wanted wanted_local, wanted_remote;
  if (local.family == 0 || !Parse(local, &wanted_local) ||
      !Parse(remote, &wanted_remote))
    return WinStatus(kUvEINVAL, WinSyscall::kUvWalk);

  const UvApi& api = Uv();
  bool walk = method == LookupMethod::kUvWalk ||
              (method == LookupMethod::kAuto && api.ok());
  if (walk && (!api.ok() || loop == nullptr))
    return WinStatus(kUvENOSYS, WinSyscall::kUvWalk);

  SOCKET found = INVALID_SOCKET;
  if (walk) {
    WalkState state{&api, {}};
    api.walk(loop, CollectTcp, &state);
    std::lock_guard<std::mutex> lock(cache_mutex);
    found = Search(state.sockets, wanted_local, wanted_remote);
  } else {
    found = ScanHandles(wanted_local, wanted_remote);
  }
  if (found == INVALID_SOCKET) {
    return WinStatus(remote.family == 0 ? kUvEBADF : kUvENOTCONN,
                     walk ? WinSyscall::kUvWalk : WinSyscall::kHandleScan);
  }
  *out = static_cast<SocketHandle>(found);
  return Status{};
}

}  // namespace tcpka

#endif  // _WIN32

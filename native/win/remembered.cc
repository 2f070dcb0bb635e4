// What was last set through this library on a socket whose options cannot
// be read back (SIO_KEEPALIVE_VALS is write-only): win/backend.h.
#ifdef _WIN32

#include "core/socket_headers.h"

#include <cstring>
#include <mutex>
#include <unordered_map>

#include "win/backend.h"

namespace tcpka {

namespace {

// What was last set through this library on a socket whose options cannot
// be read back. SOCKET values are reused after close, so each entry keeps
// the socket's addresses and is dropped when they no longer match.
struct Remembered {
  double idle_ms = 0;
  double interval_ms = 0;
  sockaddr_storage local{};
  int local_length = 0;
  sockaddr_storage peer{};
  int peer_length = 0;  // 0: no peer (a listening socket)
};

std::mutex remembered_mutex;
std::unordered_map<SocketHandle, Remembered> remembered;

void Addresses(SOCKET sock, Remembered* entry) {
  entry->local_length = sizeof(entry->local);
  if (getsockname(sock, reinterpret_cast<sockaddr*>(&entry->local),
                  &entry->local_length) != 0)
    entry->local_length = 0;
  entry->peer_length = sizeof(entry->peer);
  if (getpeername(sock, reinterpret_cast<sockaddr*>(&entry->peer),
                  &entry->peer_length) != 0)
    entry->peer_length = 0;
}

bool SameAddresses(const Remembered& a, const Remembered& b) {
  return a.local_length == b.local_length && a.peer_length == b.peer_length &&
         std::memcmp(&a.local, &b.local, a.local_length) == 0 &&
         std::memcmp(&a.peer, &b.peer, a.peer_length) == 0;
}

}  // namespace

bool Recall(SocketHandle sock, double* idle_ms, double* interval_ms) {
  std::lock_guard<std::mutex> lock(remembered_mutex);
  auto it = remembered.find(sock);
  if (it == remembered.end()) return false;
  Remembered now;
  Addresses(static_cast<SOCKET>(sock), &now);
  if (!SameAddresses(now, it->second)) {
    remembered.erase(it);  // another socket got the same handle value
    return false;
  }
  *idle_ms = it->second.idle_ms;
  *interval_ms = it->second.interval_ms;
  return true;
}

void Remember(SocketHandle sock, double idle_ms, double interval_ms) {
  Remembered entry;
  entry.idle_ms = idle_ms;
  entry.interval_ms = interval_ms;
  Addresses(static_cast<SOCKET>(sock), &entry);
  std::lock_guard<std::mutex> lock(remembered_mutex);
  remembered[sock] = entry;
}

}  // namespace tcpka

#endif  // _WIN32

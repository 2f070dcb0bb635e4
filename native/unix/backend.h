// Internal to the POSIX back ends: what unix/keepalive.cc (shared by Linux and
// macOS) needs from the OS-specific file, linux/keepalive.cc or
// darwin/keepalive.cc.
#ifndef TCP_KEEPALIVE_KEEPALIVE_UNIX_H_
#define TCP_KEEPALIVE_KEEPALIVE_UNIX_H_

#include <cerrno>

#include "core/keepalive.h"

namespace tcpka {
namespace unix_backend {

// How one keepalive field maps to a socket option on this OS.
struct OptionSpec {
  bool available;
  int level;
  int name;
  // Milliseconds per kernel unit for times (1000 for seconds, 1 for ms);
  // 0 for counts and booleans, which are passed through unchanged.
  double unit_ms;
};

// Defined by the OS-specific file.
const OptionSpec& Option(Field field);

inline Status ErrnoStatus(Syscall syscall) {
  // libuv's convention on Unix: the negated errno.
  return Status{-errno, syscall};
}

}  // namespace unix_backend
}  // namespace tcpka

#endif  // TCP_KEEPALIVE_KEEPALIVE_UNIX_H_

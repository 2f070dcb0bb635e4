// What every part of the command's Linux diagnostics shares: the system
// calls they name in errors. The parts: capture.h (one connection's
// packets), process.h (another process's sockets), sock_diag.h (the kernel's
// socket table); binding.h binds them. Like core/keepalive.h, nothing here
// knows about JavaScript.
#ifndef TCP_KEEPALIVE_DIAGNOSTICS_LINUX_DIAGNOSTICS_H_
#define TCP_KEEPALIVE_DIAGNOSTICS_LINUX_DIAGNOSTICS_H_

#include "core/keepalive.h"

namespace tcpka {

// System calls that only the diagnostics make, and their names. Their
// numbers continue the core Syscall list, so that a Status can carry them and
// the binding's `syscalls` names them (diagnostics/linux/binding.cc).
#define TCPKA_DIAG_SYSCALLS(X)      \
  X(kSocket, "socket")              \
  X(kBind, "bind")                  \
  X(kRecvmsg, "recvmsg")            \
  X(kPidfdOpen, "pidfd_open")       \
  X(kPidfdGetfd, "pidfd_getfd")     \
  X(kSetns, "setns")                \
  X(kThread, "pthread_create")      \
  X(kSendmsg, "sendmsg")

enum class DiagSyscall : int {
  // The last core number, so that the first call here gets Syscall::kCount.
  kCoreLast = static_cast<int>(Syscall::kCount) - 1,
#define TCPKA_ENUM(syscall, name) syscall,
  TCPKA_DIAG_SYSCALLS(TCPKA_ENUM)
#undef TCPKA_ENUM
  kEnd
};

inline Status DiagStatus(int error, DiagSyscall syscall) {
  return Status{error, static_cast<Syscall>(syscall)};
}

}  // namespace tcpka

#endif  // TCP_KEEPALIVE_DIAGNOSTICS_LINUX_DIAGNOSTICS_H_

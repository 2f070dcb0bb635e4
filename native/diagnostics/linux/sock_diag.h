// Every TCP socket of a network namespace in one netlink request, as ss(8)
// reads them: NETLINK_SOCK_DIAG (inet_diag) dumps, filtered in the kernel by
// port, each answer carrying the socket's state, its pending timer (the
// keepalive timer and its unanswered probes) and its TCP_INFO. Used by the
// command's live view and by `inspect`; nothing here knows about JavaScript.
#ifndef TCP_KEEPALIVE_DIAGNOSTICS_LINUX_SOCK_DIAG_H_
#define TCP_KEEPALIVE_DIAGNOSTICS_LINUX_SOCK_DIAG_H_

#include <cstddef>
#include <cstdint>

#include "core/keepalive.h"

namespace tcpka {

// One record per socket: these slots (doubles), then the TCP_INFO slots in
// TCPKA_TCP_INFO_FIELDS order (NaN where the kernel gave none), then the
// local and remote addresses (16 bytes each, IPv4 in the first 4).
#define TCPKA_SOCK_DIAG_SLOTS(X)                                            \
  X(inode, "inode")                                                         \
  X(family, "family")          /* 4 or 6 */                                 \
  X(state, "state")            /* TcpState */                               \
  X(local_port, "localPort")                                                \
  X(remote_port, "remotePort")                                              \
  X(timer, "timer")            /* 0 none 1 retransmit 2 keepalive 3 time-wait 4 zero-window probe */ \
  X(timer_left_ms, "timerLeftMs")                                           \
  X(timer_probes, "timerProbes") /* keepalive/0-window probes out, or retransmits */ \
  X(uid, "uid")                                                             \
  X(receive_queue, "receiveQueue")                                          \
  X(send_queue, "sendQueue")

enum SockDiagSlot : unsigned {
#define TCPKA_ENUM(field, name) kSockDiag_##field,
  TCPKA_SOCK_DIAG_SLOTS(TCPKA_ENUM)
#undef TCPKA_ENUM
  kSockDiagSlotCount
};

constexpr size_t kSockDiagTcpInfoSlot = kSockDiagSlotCount;
constexpr size_t kSockDiagAddressOffset =
    (kSockDiagSlotCount + kTcpInfoFieldCount) * sizeof(double);
constexpr size_t kSockDiagRecordSize = kSockDiagAddressOffset + 32;

// Which sockets: `family` 4, 6 or 0 (both); a zero port matches any.
struct SockDiagFilter {
  int family = 0;
  uint16_t local_port = 0;
  uint16_t remote_port = 0;
  // When set, only these inodes (sorted ascending) are counted and written:
  // the kernel cannot filter by inode, and a host may hold many more sockets.
  const double* inodes = nullptr;
  size_t inode_count = 0;
};

// A NETLINK_SOCK_DIAG socket in this thread's network namespace, or, with
// `netns_fd` >= 0, in that one (a short-lived thread joins it to create the
// socket, which stays bound to it). Close it with close().
Status SockDiagOpen(int netns_fd, int* fd_out);

// Dumps the matching TCP sockets into `out` (capacity / kSockDiagRecordSize
// records at most); *found receives how many matched, which may be more
// than were written: the caller retries with more room.
Status SockDiagDump(int fd, const SockDiagFilter& filter, uint8_t* out,
                    size_t capacity, size_t* found);

}  // namespace tcpka

#endif  // TCP_KEEPALIVE_DIAGNOSTICS_LINUX_SOCK_DIAG_H_

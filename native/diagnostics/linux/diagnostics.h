// Diagnostics for the `tcp-keepalive` command: seeing one connection's
// packets (capture_linux.cc) and reading the sockets of another process
// (inspect_linux.cc). Like keepalive.h, nothing here knows about JavaScript.
//
// Only Linux implements these (AF_PACKET, pidfd_getfd, setns);
// binding_linux.cc binds them, and the command falls back to what TCP_INFO
// tells elsewhere.
#ifndef TCP_KEEPALIVE_DIAGNOSTICS_H_
#define TCP_KEEPALIVE_DIAGNOSTICS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "keepalive.h"

namespace tcpka {

// System calls that only the diagnostics make. Their numbers continue the
// core Syscall list, so that a Status can carry them and the binding's
// `syscalls` names them (kDiagSyscallNames in binding_linux.cc).
enum class DiagSyscall : int {
  kSocket = static_cast<int>(Syscall::kCount),
  kBind,
  kRecvmsg,
  kPidfdOpen,
  kPidfdGetfd,
  kSetns,
  kThread,
  kSendmsg,
  kEnd
};

inline Status DiagStatus(int error, DiagSyscall syscall) {
  return Status{error, static_cast<Syscall>(syscall)};
}

// --- Packet capture ---------------------------------------------------------

// The TCP flow to capture, in both directions. An empty address or a zero
// port matches any; `family` is 4, 6, or 0 for both (only with both
// addresses empty). At least one port must be given.
struct FlowSpec {
  int family = 0;
  std::string local_address;
  uint16_t local_port = 0;
  std::string remote_address;
  uint16_t remote_port = 0;
};

// One captured TCP segment, as written to the caller's buffer: little-endian,
// kPacketRecordSize bytes each.
//   0  f64  kernel receive/send time, ms since the Unix epoch
//   8  u32  interface index
//   12 u8   packet type (PACKET_HOST 0 ... PACKET_OUTGOING 4)
//   13 u8   IP version (4 or 6)
//   14 u8   TCP flags (FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 ...)
//   15 u8   TCP header length, bytes
//   16 u16  source port        18 u16  destination port
//   20 u32  sequence number    24 u32  acknowledgment number
//   28 u32  payload length     32 u32  window (as sent, unscaled)
//   36 u32  reserved
//   40 [16] source address (IPv4 in the first 4 bytes)
//   56 [16] destination address
constexpr size_t kPacketRecordSize = 72;

// Opens a non-blocking AF_PACKET socket that receives only `flow`'s
// segments, on every interface, outgoing and incoming (loopback's outgoing
// copies are skipped so that each segment is seen once). Needs CAP_NET_RAW.
Status CaptureOpen(const FlowSpec& flow, int* fd_out);
// Narrows (or widens) an open capture to another flow.
Status CaptureSetFlow(int fd, const FlowSpec& flow);
// Reads what is queued, never blocking, into `out` (capacity / record size
// records at most); *count receives the number of records written.
Status CaptureRead(int fd, uint8_t* out, size_t capacity, size_t* count);

// --- Another process's sockets ----------------------------------------------

// pidfd_open(2): a descriptor for process `pid`.
Status PidfdOpen(int pid, int* fd_out);
// pidfd_getfd(2): a duplicate, in this process, of descriptor `target_fd` of
// the process behind `pidfd`. Needs ptrace rights over it. The duplicate is
// only ever read (getsockopt); closing it leaves the original open.
Status PidfdGetfd(int pidfd, int target_fd, int* fd_out);
// A descriptor of another process that is a socket, and the socket's inode.
struct SocketDescriptor {
  int fd;
  uint64_t inode;
};
// The socket descriptors of process `pid`, in descriptor order, from
// /proc/PID/fd (as ss -p finds them). Needs ptrace read rights over it.
Status ListSocketDescriptors(int pid, std::vector<SocketDescriptor>* out);
// The keepalive settings of descriptor `target_fd` of the process behind
// `pidfd`, read through a duplicate that is closed before returning.
Status ProcessKeepalive(int pidfd, int target_fd, KeepaliveState* out);
// Runs `work` on a short-lived thread that has joined the network namespace
// `netns_fd` (setns changes only the calling thread); this thread and
// process stay where they are. What `work` creates there (a socket) stays
// bound to that namespace.
Status InNetworkNamespace(int netns_fd, const std::function<Status()>& work);
// The keepalive system defaults as seen inside the network namespace
// `netns_fd` (an open /proc/PID/ns/net), read by a short-lived thread that
// joins that namespace; this thread and process stay where they are.
Status SystemDefaultsInNetns(int netns_fd, SystemDefaults* out);

}  // namespace tcpka

#endif  // TCP_KEEPALIVE_DIAGNOSTICS_H_

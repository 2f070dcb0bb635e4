// Reading the sockets of another process (process.cc): pidfd_open and
// pidfd_getfd for its descriptors, setns for its network namespace's
// system defaults.
#ifndef TCP_KEEPALIVE_DIAGNOSTICS_LINUX_PROCESS_H_
#define TCP_KEEPALIVE_DIAGNOSTICS_LINUX_PROCESS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "diagnostics/linux/diagnostics.h"

namespace tcpka {

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
// ProcessKeepalive for `count` descriptors, state i and status i for fds[i],
// spread over a few threads when there are thousands.
void ProcessKeepaliveAll(int pidfd, const int32_t* fds, size_t count,
                         KeepaliveState* states, Status* statuses);
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

#endif  // TCP_KEEPALIVE_DIAGNOSTICS_LINUX_PROCESS_H_

// Reading the sockets of another process on Linux: pidfd_open + pidfd_getfd
// give this process a duplicate of one of its descriptors (kernel 5.6+),
// which is then only ever read with getsockopt. Its system defaults are read
// from inside its network namespace by a thread that joins it.
#if defined(__linux__)

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <string>
#include <thread>

#include "diagnostics/linux/process.h"

// Older headers lack the numbers; they are the same on every architecture
// that uses the generic syscall table, x86-64 included.
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

namespace tcpka {

Status PidfdOpen(int pid, int* fd_out) {
  long fd = syscall(SYS_pidfd_open, pid, 0);  // close-on-exec by default
  if (fd < 0) return DiagStatus(-errno, DiagSyscall::kPidfdOpen);
  *fd_out = static_cast<int>(fd);
  return Status{};
}

Status PidfdGetfd(int pidfd, int target_fd, int* fd_out) {
  long fd = syscall(SYS_pidfd_getfd, pidfd, target_fd, 0);  // close-on-exec
  if (fd < 0) return DiagStatus(-errno, DiagSyscall::kPidfdGetfd);
  *fd_out = static_cast<int>(fd);
  return Status{};
}

Status ListSocketDescriptors(int pid, std::vector<SocketDescriptor>* out) {
  const std::string path = "/proc/" + std::to_string(pid) + "/fd";
  DIR* dir = opendir(path.c_str());
  if (!dir) return Status{-errno, Syscall::kOpen};
  out->clear();
  static const char kPrefix[] = "socket:[";
  constexpr size_t kPrefixLength = sizeof(kPrefix) - 1;
  char link[64];
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    ssize_t length = readlinkat(dirfd(dir), entry->d_name, link, sizeof(link) - 1);
    if (length < 0) continue;  // closed meanwhile
    link[length] = '\0';
    if (std::strncmp(link, kPrefix, kPrefixLength) != 0) continue;
    out->push_back({std::atoi(entry->d_name), std::strtoull(link + kPrefixLength, nullptr, 10)});
  }
  closedir(dir);
  std::sort(out->begin(), out->end(), [](const SocketDescriptor& a, const SocketDescriptor& b) { return a.fd < b.fd; });
  return Status{};
}

Status ProcessKeepalive(int pidfd, int target_fd, KeepaliveState* out) {
  int copy = -1;
  Status status = PidfdGetfd(pidfd, target_fd, &copy);
  if (!status.ok()) return status;
  status = GetKeepalive(copy, out);
  close(copy);
  return status;
}

Status InNetworkNamespace(int netns_fd, const std::function<Status()>& work) {
  // /proc/sys/net and new sockets resolve through the namespace of the
  // thread; the worker ends right after, so no other code ever runs there.
  Status status;
  try {
    std::thread worker([&] {
      if (setns(netns_fd, CLONE_NEWNET) != 0) {
        status = DiagStatus(-errno, DiagSyscall::kSetns);
        return;
      }
      status = work();
    });
    worker.join();
  } catch (const std::system_error& error) {
    return DiagStatus(-error.code().value(), DiagSyscall::kThread);
  }
  return status;
}

Status SystemDefaultsInNetns(int netns_fd, SystemDefaults* out) {
  return InNetworkNamespace(netns_fd, [out] { return GetSystemDefaults(out); });
}

}  // namespace tcpka

#endif  // __linux__

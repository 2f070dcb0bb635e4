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
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <string>
#include <thread>
#include <vector>

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

namespace {

// Runs work(begin, end) over [0, count) in a few contiguous chunks, one per
// core up to four, the last on this thread: each pidfd_getfd, readlink and
// getsockopt is independent of the others, and with thousands of sockets
// they are most of inspect's time. Few items, or no thread to be had: all
// on this thread.
void ForEachChunk(size_t count, const std::function<void(size_t, size_t)>& work) {
  constexpr size_t kLeastPerThread = 1024;
  constexpr size_t kMostThreads = 4;
  const size_t cores = std::max<size_t>(1, std::thread::hardware_concurrency());
  const size_t threads = std::min({kMostThreads, cores, std::max<size_t>(1, count / kLeastPerThread)});
  const size_t chunk = (count + threads - 1) / threads;
  std::vector<std::thread> workers;
  size_t begin = 0;
  for (; threads > 1 && begin + chunk < count; begin += chunk) {
    try {
      workers.emplace_back(work, begin, begin + chunk);
    } catch (const std::system_error&) {
      break;  // no more threads: the rest here
    }
  }
  work(begin, count);
  for (std::thread& worker : workers) worker.join();
}

}  // namespace

Status ListSocketDescriptors(int pid, std::vector<SocketDescriptor>* out) {
  const std::string path = "/proc/" + std::to_string(pid) + "/fd";
  DIR* dir = opendir(path.c_str());
  if (!dir) return Status{-errno, Syscall::kOpen};
  out->clear();
  std::vector<int> fds;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    fds.push_back(std::atoi(entry->d_name));
  }
  // Each descriptor's link, "socket:[INODE]" for a socket; 0: not a socket,
  // or closed meanwhile.
  std::vector<uint64_t> inodes(fds.size(), 0);
  const int dir_fd = dirfd(dir);
  ForEachChunk(fds.size(), [&](size_t begin, size_t end) {
    static const char kPrefix[] = "socket:[";
    constexpr size_t kPrefixLength = sizeof(kPrefix) - 1;
    char name[16];
    char link[64];
    for (size_t i = begin; i < end; ++i) {
      std::snprintf(name, sizeof(name), "%d", fds[i]);
      ssize_t length = readlinkat(dir_fd, name, link, sizeof(link) - 1);
      if (length < 0) continue;  // closed meanwhile
      link[length] = '\0';
      if (std::strncmp(link, kPrefix, kPrefixLength) != 0) continue;
      inodes[i] = std::strtoull(link + kPrefixLength, nullptr, 10);
    }
  });
  closedir(dir);
  for (size_t i = 0; i < fds.size(); ++i)
    if (inodes[i] != 0) out->push_back({fds[i], inodes[i]});
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

void ProcessKeepaliveAll(int pidfd, const int32_t* fds, size_t count,
                         KeepaliveState* states, Status* statuses) {
  ForEachChunk(count, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i)
      statuses[i] = ProcessKeepalive(pidfd, fds[i], &states[i]);
  });
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

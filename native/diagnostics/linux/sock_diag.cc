// NETLINK_SOCK_DIAG dumps of TCP sockets (see sock_diag.h): one
// request per address family, the port filter applied by the kernel while
// it walks its tables, and each answer's INET_DIAG_INFO attribute turned
// into the same TCP_INFO slots getsockopt gives.
#if defined(__linux__)

#include "diagnostics/linux/sock_diag.h"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "diagnostics/linux/diagnostics.h"
#include "diagnostics/linux/process.h"
#include "linux/tcp_info.h"

namespace tcpka {
namespace {

// Big enough for the kernel to pack many sockets per read (it fills up to
// this much per message batch), small enough for the stack of any thread.
constexpr size_t kReceiveBuffer = 64 * 1024;
// Every TCP state, TIME_WAIT and the request sockets included.
constexpr uint32_t kAllStates = 0xfff;

Status CreateSocket(int* fd_out) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return DiagStatus(-errno, DiagSyscall::kSocket);
  *fd_out = fd;
  return Status{};
}

Status SendRequest(int fd, int family, const SockDiagFilter& filter) {
  struct {
    nlmsghdr header;
    inet_diag_req_v2 request;
  } message;
  std::memset(&message, 0, sizeof(message));
  message.header.nlmsg_len = sizeof(message);
  message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  message.request.sdiag_family = static_cast<uint8_t>(family);
  message.request.sdiag_protocol = IPPROTO_TCP;
  message.request.idiag_states = kAllStates;
  message.request.idiag_ext = 1 << (INET_DIAG_INFO - 1);
  // In a dump the kernel skips sockets whose ports differ from non-zero ones.
  message.request.id.idiag_sport = htons(filter.local_port);
  message.request.id.idiag_dport = htons(filter.remote_port);
  message.request.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  message.request.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  sockaddr_nl kernel;
  std::memset(&kernel, 0, sizeof(kernel));
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do {
    sent = sendto(fd, &message, sizeof(message), 0,
                  reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel));
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return DiagStatus(-errno, DiagSyscall::kSendmsg);
  return Status{};
}

void WriteRecord(const inet_diag_msg& diag, size_t payload, uint8_t* record) {
  double slots[kSockDiagSlotCount + kTcpInfoFieldCount];
  slots[kSockDiag_inode] = diag.idiag_inode;
  slots[kSockDiag_family] = diag.idiag_family == AF_INET6 ? 6 : 4;
  // Linux numbers its states as TcpState does; 12 (TCP_NEW_SYN_RECV) is SYN_RECV.
  const int state = diag.idiag_state == 12 ? static_cast<int>(TcpState::kSynRecv)
                    : diag.idiag_state < static_cast<int>(TcpState::kCount)
                        ? diag.idiag_state
                        : 0;
  slots[kSockDiag_state] = state;
  slots[kSockDiag_local_port] = ntohs(diag.id.idiag_sport);
  slots[kSockDiag_remote_port] = ntohs(diag.id.idiag_dport);
  slots[kSockDiag_timer] = diag.idiag_timer;
  slots[kSockDiag_timer_left_ms] = diag.idiag_timer ? diag.idiag_expires : 0;
  slots[kSockDiag_timer_probes] = diag.idiag_retrans;
  slots[kSockDiag_uid] = diag.idiag_uid;
  slots[kSockDiag_receive_queue] = diag.idiag_rqueue;
  slots[kSockDiag_send_queue] = diag.idiag_wqueue;

  TcpInfo info;
  for (double& value : info.values) value = NAN;
  const uint8_t* attributes =
      reinterpret_cast<const uint8_t*>(&diag) + NLMSG_ALIGN(sizeof(diag));
  size_t left = payload > NLMSG_ALIGN(sizeof(diag)) ? payload - NLMSG_ALIGN(sizeof(diag)) : 0;
  for (const rtattr* attribute = reinterpret_cast<const rtattr*>(attributes);
       RTA_OK(attribute, left); attribute = RTA_NEXT(attribute, left)) {
    if (attribute->rta_type == INET_DIAG_INFO)
      TcpInfoFromKernel(RTA_DATA(attribute), RTA_PAYLOAD(attribute), &info);
  }
  // TCP_INFO's state is the socket's; a request or TIME_WAIT socket has none.
  if (std::isnan(info.values[kTcpInfo_state])) info.values[kTcpInfo_state] = state;
  std::memcpy(slots + kSockDiagTcpInfoSlot, info.values, sizeof(info.values));
  std::memcpy(record, slots, sizeof(slots));
  std::memcpy(record + kSockDiagAddressOffset, diag.id.idiag_src, 16);
  std::memcpy(record + kSockDiagAddressOffset + 16, diag.id.idiag_dst, 16);
}

bool Wanted(const SockDiagFilter& filter, uint32_t inode) {
  return filter.inodes == nullptr ||
         std::binary_search(filter.inodes, filter.inodes + filter.inode_count, static_cast<double>(inode));
}

// Reads the answers to one dump request until NLMSG_DONE.
Status ReceiveDump(int fd, const SockDiagFilter& filter, uint8_t* out, size_t capacity, size_t* found) {
  alignas(nlmsghdr) static thread_local uint8_t buffer[kReceiveBuffer];
  for (;;) {
    ssize_t length;
    do {
      length = recv(fd, buffer, sizeof(buffer), 0);
    } while (length < 0 && errno == EINTR);
    if (length < 0) return DiagStatus(-errno, DiagSyscall::kRecvmsg);
    size_t left = static_cast<size_t>(length);
    for (const nlmsghdr* header = reinterpret_cast<const nlmsghdr*>(buffer);
         NLMSG_OK(header, left); header = NLMSG_NEXT(header, left)) {
      if (header->nlmsg_type == NLMSG_DONE) return Status{};
      if (header->nlmsg_type == NLMSG_ERROR) {
        const nlmsgerr* error = static_cast<const nlmsgerr*>(NLMSG_DATA(header));
        return DiagStatus(error->error < 0 ? error->error : -EPROTO, DiagSyscall::kRecvmsg);
      }
      if (header->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
          header->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg)))
        continue;
      const inet_diag_msg& diag = *static_cast<const inet_diag_msg*>(NLMSG_DATA(header));
      if (!Wanted(filter, diag.idiag_inode)) continue;
      const size_t index = (*found)++;
      if ((index + 1) * kSockDiagRecordSize > capacity) continue;
      WriteRecord(diag,
                  header->nlmsg_len - NLMSG_LENGTH(0),
                  out + index * kSockDiagRecordSize);
    }
  }
}

}  // namespace

Status SockDiagOpen(int netns_fd, int* fd_out) {
  if (netns_fd < 0) return CreateSocket(fd_out);
  return InNetworkNamespace(netns_fd, [fd_out] { return CreateSocket(fd_out); });
}

Status SockDiagDump(int fd, const SockDiagFilter& filter, uint8_t* out,
                    size_t capacity, size_t* found) {
  *found = 0;
  for (int family : {AF_INET, AF_INET6}) {
    if (filter.family == 4 && family != AF_INET) continue;
    if (filter.family == 6 && family != AF_INET6) continue;
    Status status = SendRequest(fd, family, filter);
    if (status.ok()) status = ReceiveDump(fd, filter, out, capacity, found);
    // A kernel without IPv6 has no AF_INET6 handler: no such sockets.
    if (!status.ok() && !(family == AF_INET6 && status.error == -ENOENT)) return status;
  }
  return Status{};
}

}  // namespace tcpka

#endif  // __linux__

// Seeing one TCP connection's packets on Linux: an AF_PACKET socket with a
// classic BPF filter for the connection's 4-tuple, so that the kernel copies
// only those segments (and only their headers) to us.
#if defined(__linux__)

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "diagnostics/linux/capture.h"

namespace tcpka {
namespace {

// Bytes of each packet the filter keeps: an IPv6 header (40) and the
// longest TCP header (60) fit; payload is never needed.
constexpr uint32_t kSnapLength = 128;
constexpr uint16_t kEthertypeIPv4 = 0x0800;
constexpr uint16_t kEthertypeIPv6 = 0x86dd;
constexpr uint8_t kProtocolTcp = 6;

Status ErrnoStatus(DiagSyscall syscall) { return DiagStatus(-errno, syscall); }

// A classic BPF program builder with forward labels: jumps are written with
// label ids and resolved to the relative offsets BPF wants once the program
// is complete.
class BpfProgram {
 public:
  static constexpr int kNext = -1;

  int NewLabel() {
    labels_.push_back(-1);
    return static_cast<int>(labels_.size()) - 1;
  }
  void Bind(int label) { labels_[label] = static_cast<int>(code_.size()); }
  void Stmt(uint16_t code, uint32_t k) { code_.push_back({code, k, kNext, kNext}); }
  void Jump(uint16_t code, uint32_t k, int if_true, int if_false) {
    code_.push_back({code, k, if_true, if_false});
  }

  // False if a jump is longer than BPF's 8-bit offsets allow (it never is for
  // the programs built here, which are well under 100 instructions).
  bool Assemble(std::vector<sock_filter>* out) const {
    out->clear();
    for (size_t i = 0; i < code_.size(); ++i) {
      const Insn& insn = code_[i];
      int jt = 0, jf = 0;
      if (BPF_CLASS(insn.code) == BPF_JMP) {
        if (!Offset(i, insn.if_true, &jt) || !Offset(i, insn.if_false, &jf)) return false;
      }
      out->push_back({insn.code, static_cast<uint8_t>(jt), static_cast<uint8_t>(jf), insn.k});
    }
    return true;
  }

 private:
  struct Insn {
    uint16_t code;
    uint32_t k;
    int if_true;
    int if_false;
  };

  bool Offset(size_t from, int label, int* offset) const {
    if (label == kNext) {
      *offset = 0;
      return true;
    }
    int target = labels_[label];
    int distance = target - static_cast<int>(from) - 1;
    if (target < 0 || distance < 0 || distance > 255) return false;
    *offset = distance;
    return true;
  }

  std::vector<Insn> code_;
  std::vector<int> labels_;
};

// One endpoint of the flow, parsed.
struct Endpoint {
  bool any_address = true;
  uint32_t words[4] = {0, 0, 0, 0};  // address in host order, 32 bits at a time
  uint16_t port = 0;                 // 0 = any
};

bool ParseEndpoint(int family, const std::string& text, uint16_t port, Endpoint* out) {
  out->port = port;
  if (text.empty()) return true;
  out->any_address = false;
  unsigned char bytes[16] = {0};
  if (inet_pton(family == 4 ? AF_INET : AF_INET6, text.c_str(), bytes) != 1) return false;
  int words = family == 4 ? 1 : 4;
  for (int i = 0; i < words; ++i) {
    uint32_t network;
    std::memcpy(&network, bytes + 4 * i, 4);
    out->words[i] = ntohl(network);
  }
  return true;
}

// Checks that the segment goes from `src` to `dst`; jumps to `fail` if not.
// The X register must hold the IPv4 header length (ports are at X + 0/2);
// IPv6 ports are at fixed offsets since the filter wants next header = TCP.
void EmitDirection(BpfProgram& bpf, int family, const Endpoint& src, const Endpoint& dst, int fail) {
  const uint32_t src_offset = family == 4 ? 12 : 8;
  const uint32_t dst_offset = family == 4 ? 16 : 24;
  const int words = family == 4 ? 1 : 4;
  for (int side = 0; side < 2; ++side) {
    const Endpoint& endpoint = side == 0 ? src : dst;
    if (endpoint.any_address) continue;
    const uint32_t base = side == 0 ? src_offset : dst_offset;
    for (int i = 0; i < words; ++i) {
      bpf.Stmt(BPF_LD | BPF_W | BPF_ABS, base + 4 * i);
      bpf.Jump(BPF_JMP | BPF_JEQ | BPF_K, endpoint.words[i], BpfProgram::kNext, fail);
    }
  }
  for (int side = 0; side < 2; ++side) {
    const Endpoint& endpoint = side == 0 ? src : dst;
    if (endpoint.port == 0) continue;
    const uint32_t offset = side == 0 ? 0 : 2;
    if (family == 4) {
      bpf.Stmt(BPF_LD | BPF_H | BPF_IND, offset);
    } else {
      bpf.Stmt(BPF_LD | BPF_H | BPF_ABS, 40 + offset);
    }
    bpf.Jump(BPF_JMP | BPF_JEQ | BPF_K, endpoint.port, BpfProgram::kNext, fail);
  }
}

// The segments of the flow in either direction, for one IP version.
void EmitFamily(BpfProgram& bpf, int family, const Endpoint& local, const Endpoint& remote, int drop) {
  if (family == 4) {
    bpf.Stmt(BPF_LD | BPF_B | BPF_ABS, 9);  // protocol
    bpf.Jump(BPF_JMP | BPF_JEQ | BPF_K, kProtocolTcp, BpfProgram::kNext, drop);
    bpf.Stmt(BPF_LD | BPF_H | BPF_ABS, 6);  // flags + fragment offset
    bpf.Jump(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, drop, BpfProgram::kNext);
    bpf.Stmt(BPF_LDX | BPF_B | BPF_MSH, 0);  // X = IP header length
  } else {
    bpf.Stmt(BPF_LD | BPF_B | BPF_ABS, 6);  // next header
    bpf.Jump(BPF_JMP | BPF_JEQ | BPF_K, kProtocolTcp, BpfProgram::kNext, drop);
  }
  int inbound = bpf.NewLabel();
  EmitDirection(bpf, family, local, remote, inbound);
  bpf.Stmt(BPF_RET | BPF_K, kSnapLength);
  bpf.Bind(inbound);
  EmitDirection(bpf, family, remote, local, drop);
  bpf.Stmt(BPF_RET | BPF_K, kSnapLength);
}

// For SOCK_DGRAM packet sockets the filter sees the packet from its network
// header on, whatever the link layer (loopback, Ethernet, veth, tunnels).
Status BuildFilter(const FlowSpec& flow, std::vector<sock_filter>* out) {
  const bool any_family = flow.family == 0;
  if (!(flow.family == 4 || flow.family == 6 || any_family) ||
      (flow.local_port == 0 && flow.remote_port == 0) ||
      (any_family && !(flow.local_address.empty() && flow.remote_address.empty())))
    return DiagStatus(-EINVAL, DiagSyscall::kSocket);

  BpfProgram bpf;
  const int drop = bpf.NewLabel();
  const int ipv4 = bpf.NewLabel();
  const int ipv6 = bpf.NewLabel();
  bpf.Stmt(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL);  // ethertype
  if (flow.family == 4 || any_family)
    bpf.Jump(BPF_JMP | BPF_JEQ | BPF_K, kEthertypeIPv4, ipv4, any_family ? BpfProgram::kNext : drop);
  if (flow.family == 6 || any_family)
    bpf.Jump(BPF_JMP | BPF_JEQ | BPF_K, kEthertypeIPv6, ipv6, drop);

  for (int family : {4, 6}) {
    if (!(flow.family == family || any_family)) continue;
    Endpoint local, remote;
    if (!ParseEndpoint(family, flow.local_address, flow.local_port, &local) ||
        !ParseEndpoint(family, flow.remote_address, flow.remote_port, &remote))
      return DiagStatus(-EINVAL, DiagSyscall::kSocket);
    bpf.Bind(family == 4 ? ipv4 : ipv6);
    EmitFamily(bpf, family, local, remote, drop);
  }
  // Labels of a family not emitted stay unbound and unused.
  bpf.Bind(drop);
  bpf.Stmt(BPF_RET | BPF_K, 0);
  if (!bpf.Assemble(out)) return DiagStatus(-E2BIG, DiagSyscall::kSocket);
  return Status{};
}

Status AttachFilter(int fd, const FlowSpec& flow) {
  std::vector<sock_filter> code;
  Status status = BuildFilter(flow, &code);
  if (!status.ok()) return status;
  sock_fprog program{static_cast<unsigned short>(code.size()), code.data()};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof(program)) != 0)
    return Status{-errno, Syscall::kSetsockopt};
  return Status{};
}

void PutU16(uint8_t* at, uint16_t v) {
  at[0] = v & 0xff;
  at[1] = v >> 8;
}
void PutU32(uint8_t* at, uint32_t v) {
  for (int i = 0; i < 4; ++i) at[i] = (v >> (8 * i)) & 0xff;
}
void PutF64(uint8_t* at, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  for (int i = 0; i < 8; ++i) at[i] = (bits >> (8 * i)) & 0xff;
}
uint16_t GetBE16(const uint8_t* at) { return static_cast<uint16_t>(at[0] << 8 | at[1]); }
uint32_t GetBE32(const uint8_t* at) {
  return static_cast<uint32_t>(at[0]) << 24 | static_cast<uint32_t>(at[1]) << 16 |
         static_cast<uint32_t>(at[2]) << 8 | at[3];
}

// Decodes an IP + TCP header into a record; false for anything malformed.
bool DecodeSegment(const uint8_t* packet, size_t length, uint16_t ethertype, uint8_t* record) {
  size_t ip_header = 0;
  size_t ip_payload = 0;  // TCP header + data, from the IP length fields
  uint8_t version = 0;
  size_t address_length = 0, src_at = 0, dst_at = 0;
  if (ethertype == kEthertypeIPv4) {
    if (length < 20 || (packet[0] >> 4) != 4 || packet[9] != kProtocolTcp) return false;
    ip_header = static_cast<size_t>(packet[0] & 0x0f) * 4;
    size_t total = GetBE16(packet + 2);
    if (ip_header < 20 || total < ip_header) return false;
    ip_payload = total - ip_header;
    version = 4;
    address_length = 4;
    src_at = 12;
    dst_at = 16;
  } else if (ethertype == kEthertypeIPv6) {
    if (length < 40 || (packet[0] >> 4) != 6 || packet[6] != kProtocolTcp) return false;
    ip_header = 40;
    ip_payload = GetBE16(packet + 4);
    version = 6;
    address_length = 16;
    src_at = 8;
    dst_at = 24;
  } else {
    return false;
  }
  if (length < ip_header + 20) return false;
  const uint8_t* tcp = packet + ip_header;
  size_t tcp_header = static_cast<size_t>(tcp[12] >> 4) * 4;
  if (tcp_header < 20 || ip_payload < tcp_header) return false;

  std::memset(record + 8, 0, kPacketRecordSize - 8);
  record[13] = version;
  record[14] = tcp[13];
  record[15] = static_cast<uint8_t>(tcp_header);
  PutU16(record + 16, GetBE16(tcp));
  PutU16(record + 18, GetBE16(tcp + 2));
  PutU32(record + 20, GetBE32(tcp + 4));
  PutU32(record + 24, GetBE32(tcp + 8));
  PutU32(record + 28, static_cast<uint32_t>(ip_payload - tcp_header));
  PutU32(record + 32, GetBE16(tcp + 14));
  std::memcpy(record + 40, packet + src_at, address_length);
  std::memcpy(record + 56, packet + dst_at, address_length);
  return true;
}

double TimestampMs(msghdr* message) {
  for (cmsghdr* c = CMSG_FIRSTHDR(message); c != nullptr; c = CMSG_NXTHDR(message, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec ts;
      std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
      return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
    }
  }
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return now.tv_sec * 1e3 + now.tv_nsec / 1e6;
}

}  // namespace

Status CaptureOpen(const FlowSpec& flow, int* fd_out) {
  // Protocol 0: the socket receives nothing until bind(), so no packet
  // slips in before the filter is attached.
  int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoStatus(DiagSyscall::kSocket);
  Status status = AttachFilter(fd, flow);
  int on = 1;
  if (status.ok() && setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) != 0)
    status = Status{-errno, Syscall::kSetsockopt};
  if (status.ok()) {
    sockaddr_ll address;
    std::memset(&address, 0, sizeof(address));
    address.sll_family = AF_PACKET;
    address.sll_protocol = htons(ETH_P_ALL);  // outgoing too; ifindex 0 = all
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0)
      status = ErrnoStatus(DiagSyscall::kBind);
  }
  if (!status.ok()) {
    close(fd);
    return status;
  }
  *fd_out = fd;
  return Status{};
}

Status CaptureSetFlow(int fd, const FlowSpec& flow) { return AttachFilter(fd, flow); }

Status CaptureRead(int fd, uint8_t* out, size_t capacity, size_t* count) {
  *count = 0;
  const size_t max_records = capacity / kPacketRecordSize;
  while (*count < max_records) {
    uint8_t packet[kSnapLength];
    sockaddr_ll from;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
    iovec io{packet, sizeof(packet)};
    msghdr message;
    std::memset(&message, 0, sizeof(message));
    message.msg_name = &from;
    message.msg_namelen = sizeof(from);
    message.msg_iov = &io;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof(control);
    ssize_t n = recvmsg(fd, &message, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return ErrnoStatus(DiagSyscall::kRecvmsg);
    }
    // On loopback every segment passes twice, leaving and arriving; keep the
    // arrival only, as libpcap does.
    if (from.sll_pkttype == PACKET_OUTGOING && from.sll_hatype == ARPHRD_LOOPBACK) continue;
    uint8_t* record = out + *count * kPacketRecordSize;
    size_t length = static_cast<size_t>(n) < sizeof(packet) ? static_cast<size_t>(n) : sizeof(packet);
    if (!DecodeSegment(packet, length, ntohs(from.sll_protocol), record)) continue;
    PutF64(record, TimestampMs(&message));
    PutU32(record + 8, static_cast<uint32_t>(from.sll_ifindex));
    record[12] = from.sll_pkttype;
    ++*count;
  }
  return Status{};
}

}  // namespace tcpka

#endif  // __linux__

// Linux specifics: option numbers and limits, TCP_INFO, and the system
// defaults from /proc/sys/net/ipv4 of the caller's network namespace.
#if defined(__linux__)

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "linux/tcp_info.h"
#include "unix/backend.h"

namespace tcpka {
namespace unix_backend {

const OptionSpec& Option(Field field) {
  static const OptionSpec kOptions[kFieldCount] = {
      /* kEnable */ {true, SOL_SOCKET, SO_KEEPALIVE, 0},
      /* kIdle */ {true, IPPROTO_TCP, TCP_KEEPIDLE, 1000},
      /* kInterval */ {true, IPPROTO_TCP, TCP_KEEPINTVL, 1000},
      /* kCount */ {true, IPPROTO_TCP, TCP_KEEPCNT, 0},
#ifdef TCP_USER_TIMEOUT
      /* kUserTimeout */ {true, IPPROTO_TCP, TCP_USER_TIMEOUT, 1},
#else
      /* kUserTimeout */ {false, 0, 0, 0},
#endif
  };
  return kOptions[field];
}

}  // namespace unix_backend

namespace {

// The kernel's struct tcp_info (include/uapi/linux/tcp.h), declared here
// rather than taken from a header so that the build does not depend on how
// new the installed headers are. The layout only ever grows at the end; the
// length getsockopt returns says how much of it the running kernel filled.
struct KernelTcpInfo {
  uint8_t state;
  uint8_t ca_state;
  uint8_t retransmits;
  uint8_t probes;
  uint8_t backoff;
  uint8_t options;
  uint8_t wscale;
  uint8_t flags;

  uint32_t rto;
  uint32_t ato;
  uint32_t snd_mss;
  uint32_t rcv_mss;

  uint32_t unacked;
  uint32_t sacked;
  uint32_t lost;
  uint32_t retrans;
  uint32_t fackets;

  uint32_t last_data_sent;
  uint32_t last_ack_sent;  // never filled in by Linux
  uint32_t last_data_recv;
  uint32_t last_ack_recv;

  uint32_t pmtu;
  uint32_t rcv_ssthresh;
  uint32_t rtt;
  uint32_t rttvar;
  uint32_t snd_ssthresh;
  uint32_t snd_cwnd;
  uint32_t advmss;
  uint32_t reordering;

  uint32_t rcv_rtt;
  uint32_t rcv_space;

  uint32_t total_retrans;

  uint64_t pacing_rate;
  uint64_t max_pacing_rate;
  uint64_t bytes_acked;
  uint64_t bytes_received;
  uint32_t segs_out;
  uint32_t segs_in;

  uint32_t notsent_bytes;
  uint32_t min_rtt;
  uint32_t data_segs_in;
  uint32_t data_segs_out;

  uint64_t delivery_rate;

  uint64_t busy_time;
  uint64_t rwnd_limited;
  uint64_t sndbuf_limited;

  uint32_t delivered;
  uint32_t delivered_ce;

  uint64_t bytes_sent;
  uint64_t bytes_retrans;
  uint32_t dsack_dups;
  uint32_t reord_seen;

  uint32_t rcv_ooopack;
  uint32_t snd_wnd;
  uint32_t rcv_wnd;
};
static_assert(offsetof(KernelTcpInfo, total_retrans) == 100,
              "struct tcp_info layout (Linux 2.6)");
static_assert(offsetof(KernelTcpInfo, bytes_acked) == 120,
              "struct tcp_info layout (Linux 4.1)");
static_assert(offsetof(KernelTcpInfo, rcv_wnd) == 232,
              "struct tcp_info layout (Linux 6.2)");

// Linux numbers its states 1..11 exactly as TcpState does; 12 is the
// request-socket state TCP_NEW_SYN_RECV, which is SYN_RECV to a user.
double PortableState(uint8_t state) {
  if (state >= 1 && state < static_cast<int>(TcpState::kCount)) return state;
  if (state == 12) return static_cast<double>(TcpState::kSynRecv);
  return static_cast<double>(TcpState::kUnknown);
}

Status ReadProcInt(const char* path, double* out) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return unix_backend::ErrnoStatus(Syscall::kOpen);
  char text[32];
  ssize_t n;
  do {
    n = read(fd, text, sizeof(text) - 1);
  } while (n < 0 && errno == EINTR);
  Status status;
  if (n < 0) {
    status = unix_backend::ErrnoStatus(Syscall::kRead);
  } else {
    text[n] = '\0';
    char* end = nullptr;
    long value = std::strtol(text, &end, 10);
    if (end == text) status = Status{-EINVAL, Syscall::kRead};
    *out = static_cast<double>(value);
  }
  close(fd);
  return status;
}

}  // namespace

const Capabilities& GetCapabilities() {
  static const Capabilities kCapabilities = [] {
    Capabilities caps;
    caps.backend = "linux";
    // Limits from net/ipv4/tcp.c: MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL and
    // MAX_TCP_KEEPCNT; TCP_USER_TIMEOUT rejects only negative values.
    caps.fields[kEnable] = {true, true, 0, 1, 0};
    caps.fields[kIdle] = {true, true, 1000, 32767 * 1000.0, 1000};
    caps.fields[kInterval] = {true, true, 1000, 32767 * 1000.0, 1000};
    caps.fields[kCount] = {true, true, 1, 127, 0};
    bool user_timeout = unix_backend::Option(kUserTimeout).available;
    caps.fields[kUserTimeout] = {user_timeout, user_timeout, 0, INT_MAX, 1};
    caps.tcp_info = true;
    caps.system_defaults = true;
    caps.listener_inheritance = true;
    caps.probe_at_chosen_moment = true;
    return caps;
  }();
  return kCapabilities;
}

// Found by reading the kernel's setsockopt/getsockopt handlers (net/core/
// sock.c, net/ipv4/tcp.c, ip_sockglue.c, igmp.c, ipv6_sockglue.c, tcp_ao.c,
// netfilter, af_packet.c, xdp, rds). Numbers are spelt out where older
// headers lack the name; they are part of the kernel ABI.
const RefusedOption* GetRefusedOptions(size_t* count) {
  static const RefusedOption kRefused[] = {
      {SOL_SOCKET, 26, 26, "SO_ATTACH_FILTER / SO_GET_FILTER",
       "setting takes a struct sock_fprog whose pointer the kernel reads "
       "from; getting reads optlen as a count of 8-byte BPF instructions "
       "and writes that many"},
      {SOL_SOCKET, 51, 51, "SO_ATTACH_REUSEPORT_CBPF",
       "it takes a struct sock_fprog whose pointer the kernel reads from"},
      {IPPROTO_TCP, 35, 35, "TCP_ZEROCOPY_RECEIVE",
       "the kernel maps pages at, and copies to, addresses inside the "
       "struct tcp_zerocopy_receive"},
      {IPPROTO_TCP, 41, 41, "TCP_AO_GET_KEYS",
       "the kernel writes as many records as the payload's nkeys asks for, "
       "whatever optlen says"},
      {IPPROTO_IP, 41, 41, "IP_MSFILTER",
       "getting writes as many sources as the payload's imsf_numsrc asks "
       "for, whatever optlen says"},
      {IPPROTO_IP, 48, 48, "MCAST_MSFILTER",
       "getting writes as many sources as the payload's gf_numsrc asks for, "
       "whatever optlen says"},
      {IPPROTO_IPV6, 48, 48, "MCAST_MSFILTER",
       "getting writes as many sources as the payload's gf_numsrc asks for, "
       "whatever optlen says"},
      {IPPROTO_IP, 64, 67, "IPT_SO_* (iptables)",
       "netfilter's table interface: struct ipt_replace holds a pointer to "
       "counters the kernel writes"},
      {IPPROTO_IP, 96, 99, "ARPT_SO_* (arptables)",
       "netfilter's table interface: struct arpt_replace holds a pointer to "
       "counters the kernel writes"},
      {IPPROTO_IP, 128, 131, "EBT_SO_* (ebtables)",
       "struct ebt_replace holds pointers to entries and counters the "
       "kernel reads and writes"},
      {IPPROTO_IPV6, 64, 69, "IP6T_SO_* (ip6tables)",
       "netfilter's table interface: struct ip6t_replace holds a pointer to "
       "counters the kernel writes"},
      {263 /* SOL_PACKET */, 22, 22, "PACKET_FANOUT_DATA",
       "for PACKET_FANOUT_CBPF it takes a struct sock_fprog whose pointer "
       "the kernel reads from"},
      {276 /* SOL_RDS */, 2, 2, "RDS_GET_MR",
       "it takes an address range the kernel pins and registers"},
      {276 /* SOL_RDS */, 7, 7, "RDS_GET_MR_FOR_DEST",
       "it takes an address range the kernel pins and registers"},
      {283 /* SOL_XDP */, 4, 4, "XDP_UMEM_REG",
       "it takes the address of memory the kernel pins and shares with the "
       "device"},
  };
  *count = sizeof(kRefused) / sizeof(kRefused[0]);
  return kRefused;
}

Status GetSystemDefaults(SystemDefaults* out) {
  // /proc/sys/net resolves to the network namespace of the process that
  // opens it, so this is read on every call and never cached.
  SystemDefaults defaults;
  double idle_s = 0, interval_s = 0, count = 0;
  Status status = ReadProcInt("/proc/sys/net/ipv4/tcp_keepalive_time", &idle_s);
  if (status.ok())
    status = ReadProcInt("/proc/sys/net/ipv4/tcp_keepalive_intvl", &interval_s);
  if (status.ok())
    status = ReadProcInt("/proc/sys/net/ipv4/tcp_keepalive_probes", &count);
  if (!status.ok()) return status;
  defaults.idle_ms = idle_s * 1000;
  defaults.interval_ms = interval_s * 1000;
  defaults.count = count;
  defaults.source = "/proc/sys/net/ipv4/tcp_keepalive_{time,intvl,probes}";
  *out = defaults;
  return Status{};
}

Status GetTcpInfo(SocketHandle sock, TcpInfo* out) {
  KernelTcpInfo info;
  std::memset(&info, 0, sizeof(info));
  socklen_t length = sizeof(info);
  if (getsockopt(sock, IPPROTO_TCP, TCP_INFO, &info, &length) != 0)
    return unix_backend::ErrnoStatus(Syscall::kGetsockopt);
  TcpInfoFromKernel(&info, length, out);
  return Status{};
}

void TcpInfoFromKernel(const void* data, size_t available, TcpInfo* out) {
  KernelTcpInfo info;
  std::memset(&info, 0, sizeof(info));
  const size_t length = available < sizeof(info) ? available : sizeof(info);
  std::memcpy(&info, data, length);

  for (double& value : out->values) value = NAN;
  // A field counts only if the running kernel filled it in.
#define TCPKA_HAS(member)                       \
  (offsetof(KernelTcpInfo, member) + sizeof(info.member) <= length)
#define TCPKA_SET(field, member) \
  if (TCPKA_HAS(member)) out->values[kTcpInfo_##field] = static_cast<double>(info.member)

  if (TCPKA_HAS(state)) out->values[kTcpInfo_state] = PortableState(info.state);
  TCPKA_SET(ca_state, ca_state);
  TCPKA_SET(probes, probes);
  TCPKA_SET(backoff, backoff);
  TCPKA_SET(retransmits, retransmits);
  TCPKA_SET(total_retrans, total_retrans);
  TCPKA_SET(rto, rto);
  TCPKA_SET(ato, ato);
  TCPKA_SET(snd_mss, snd_mss);
  TCPKA_SET(rcv_mss, rcv_mss);
  TCPKA_SET(unacked, unacked);
  TCPKA_SET(lost, lost);
  TCPKA_SET(retrans, retrans);
  TCPKA_SET(last_data_sent, last_data_sent);
  // last_ack_sent stays NaN: the kernel reports 0 ("not remembered").
  TCPKA_SET(last_data_recv, last_data_recv);
  TCPKA_SET(last_ack_recv, last_ack_recv);
  TCPKA_SET(pmtu, pmtu);
  TCPKA_SET(rtt, rtt);
  TCPKA_SET(rttvar, rttvar);
  TCPKA_SET(min_rtt, min_rtt);
  TCPKA_SET(snd_cwnd, snd_cwnd);
  TCPKA_SET(snd_ssthresh, snd_ssthresh);
  TCPKA_SET(snd_wnd, snd_wnd);
  TCPKA_SET(rcv_wnd, rcv_wnd);
  TCPKA_SET(bytes_sent, bytes_sent);
  TCPKA_SET(bytes_acked, bytes_acked);
  TCPKA_SET(bytes_received, bytes_received);
  TCPKA_SET(bytes_retrans, bytes_retrans);
  TCPKA_SET(segs_out, segs_out);
  TCPKA_SET(segs_in, segs_in);
  TCPKA_SET(notsent_bytes, notsent_bytes);
#undef TCPKA_SET
#undef TCPKA_HAS
}

}  // namespace tcpka

#endif  // __linux__

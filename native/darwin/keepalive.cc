// macOS specifics: TCP_KEEPALIVE is the idle time (macOS has no
// TCP_KEEPIDLE), defaults come from sysctl (already in milliseconds for the
// times), and TCP_CONNECTION_INFO stands in for Linux's TCP_INFO.
// Compiled with warnings as errors for x86_64 and arm64 on every CI run
// (tools/darwin/build.ts, with zig's macOS headers); run on the macOS
// runners of the GitHub workflow only.
#if defined(__APPLE__)

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/sysctl.h>
#include <sys/types.h>

#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "unix/backend.h"

// XNU's TCP states (bsd/netinet/tcp_fsm.h), which TCP_CONNECTION_INFO's
// tcpi_state reports. The SDK has the header; zig's macOS headers, used to
// cross-compile, lack it: there the SDK's values are defined here, and where
// the header exists they are checked against it.
#define TCPKA_XNU_TCP_STATES(X) \
  X(TCPS_CLOSED, 0)             \
  X(TCPS_LISTEN, 1)             \
  X(TCPS_SYN_SENT, 2)           \
  X(TCPS_SYN_RECEIVED, 3)       \
  X(TCPS_ESTABLISHED, 4)        \
  X(TCPS_CLOSE_WAIT, 5)         \
  X(TCPS_FIN_WAIT_1, 6)         \
  X(TCPS_CLOSING, 7)            \
  X(TCPS_LAST_ACK, 8)           \
  X(TCPS_FIN_WAIT_2, 9)         \
  X(TCPS_TIME_WAIT, 10)
#if __has_include(<netinet/tcp_fsm.h>)
#include <netinet/tcp_fsm.h>
#define TCPKA_XNU_STATE(name, value) \
  static_assert(name == value, "<netinet/tcp_fsm.h>: " #name " is not " #value);
#else
#define TCPKA_XNU_STATE(name, value) constexpr int name = value;
#endif
TCPKA_XNU_TCP_STATES(TCPKA_XNU_STATE)
#undef TCPKA_XNU_STATE

#if defined(TCP_CONNECTION_INFO)
// The layout GetTcpInfo reads, as the SDK's <netinet/tcp.h> declares struct
// tcp_connection_info (macOS 10.11 and later, both architectures): a header
// that differs fails the build instead of misreading the kernel's bytes.
#define TCPKA_CONNECTION_INFO_FIELD(field, offset, size)                 \
  static_assert(offsetof(struct tcp_connection_info, field) == offset,  \
                "tcp_connection_info." #field " is not at " #offset);    \
  static_assert(sizeof(tcp_connection_info::field) == size,             \
                "tcp_connection_info." #field " is not " #size " bytes");
TCPKA_CONNECTION_INFO_FIELD(tcpi_state, 0, 1)
TCPKA_CONNECTION_INFO_FIELD(tcpi_rto, 12, 4)
TCPKA_CONNECTION_INFO_FIELD(tcpi_maxseg, 16, 4)
TCPKA_CONNECTION_INFO_FIELD(tcpi_snd_ssthresh, 20, 4)
TCPKA_CONNECTION_INFO_FIELD(tcpi_snd_cwnd, 24, 4)
TCPKA_CONNECTION_INFO_FIELD(tcpi_snd_wnd, 28, 4)
TCPKA_CONNECTION_INFO_FIELD(tcpi_rcv_wnd, 36, 4)
TCPKA_CONNECTION_INFO_FIELD(tcpi_srtt, 44, 4)
TCPKA_CONNECTION_INFO_FIELD(tcpi_rttvar, 48, 4)
TCPKA_CONNECTION_INFO_FIELD(tcpi_txpackets, 56, 8)
TCPKA_CONNECTION_INFO_FIELD(tcpi_txbytes, 64, 8)
TCPKA_CONNECTION_INFO_FIELD(tcpi_txretransmitbytes, 72, 8)
TCPKA_CONNECTION_INFO_FIELD(tcpi_rxpackets, 80, 8)
TCPKA_CONNECTION_INFO_FIELD(tcpi_rxbytes, 88, 8)
TCPKA_CONNECTION_INFO_FIELD(tcpi_txretransmitpackets, 104, 8)
#undef TCPKA_CONNECTION_INFO_FIELD
static_assert(sizeof(struct tcp_connection_info) == 112,
              "struct tcp_connection_info is not 112 bytes");
#endif

namespace tcpka {
namespace unix_backend {

const OptionSpec& Option(Field field) {
  static const OptionSpec kOptions[kFieldCount] = {
      /* kEnable */ {true, SOL_SOCKET, SO_KEEPALIVE, 0},
      /* kIdle */ {true, IPPROTO_TCP, TCP_KEEPALIVE, 1000},
#if defined(TCP_KEEPINTVL)
      /* kInterval */ {true, IPPROTO_TCP, TCP_KEEPINTVL, 1000},
#else
      /* kInterval */ {false, 0, 0, 0},
#endif
#if defined(TCP_KEEPCNT)
      /* kCount */ {true, IPPROTO_TCP, TCP_KEEPCNT, 0},
#else
      /* kCount */ {false, 0, 0, 0},
#endif
      // TCP_RXT_CONNDROPTIME is not TCP_USER_TIMEOUT (seconds, retransmission
      // only, no effect on keepalive), so it is offered as a constant for the
      // generic functions rather than passed off as userTimeout.
      /* kUserTimeout */ {false, 0, 0, 0},
  };
  return kOptions[field];
}

}  // namespace unix_backend

namespace {

double PortableState(int state) {
  switch (state) {
    case TCPS_CLOSED: return static_cast<double>(TcpState::kClose);
    case TCPS_LISTEN: return static_cast<double>(TcpState::kListen);
    case TCPS_SYN_SENT: return static_cast<double>(TcpState::kSynSent);
    case TCPS_SYN_RECEIVED: return static_cast<double>(TcpState::kSynRecv);
    case TCPS_ESTABLISHED: return static_cast<double>(TcpState::kEstablished);
    case TCPS_CLOSE_WAIT: return static_cast<double>(TcpState::kCloseWait);
    case TCPS_FIN_WAIT_1: return static_cast<double>(TcpState::kFinWait1);
    case TCPS_CLOSING: return static_cast<double>(TcpState::kClosing);
    case TCPS_LAST_ACK: return static_cast<double>(TcpState::kLastAck);
    case TCPS_FIN_WAIT_2: return static_cast<double>(TcpState::kFinWait2);
    case TCPS_TIME_WAIT: return static_cast<double>(TcpState::kTimeWait);
    default: return static_cast<double>(TcpState::kUnknown);
  }
}

Status ReadSysctlInt(const char* name, double* out) {
  int value = 0;
  size_t length = sizeof(value);
  if (sysctlbyname(name, &value, &length, nullptr, 0) != 0)
    return unix_backend::ErrnoStatus(Syscall::kSysctlbyname);
  *out = value;
  return Status{};
}

}  // namespace

const Capabilities& GetCapabilities() {
  static const Capabilities kCapabilities = [] {
    Capabilities caps;
    caps.backend = "darwin";
    // XNU (bsd/netinet/tcp_usrreq.c) rejects times above UINT32_MAX ticks
    // of 1 ms; 0 would mean "use the system default", so 1 s is the floor.
    const double max_seconds = 4294967;
    const auto& interval = unix_backend::Option(kInterval);
    const auto& count = unix_backend::Option(kCount);
    caps.fields[kEnable] = {true, true, 0, 1, 0};
    caps.fields[kIdle] = {true, true, 1000, max_seconds * 1000, 1000};
    caps.fields[kInterval] = {interval.available, interval.available, 1000,
                              max_seconds * 1000, 1000};
    caps.fields[kCount] = {count.available, count.available, 1, INT_MAX, 0};
    caps.fields[kUserTimeout] = {false, false, 0, 0, 0};
    caps.tcp_info = true;
    caps.system_defaults = true;
    // BSD copies socket options to accepted sockets, but nothing documents
    // the TCP keepalive timers as inherited: configure each connection.
    caps.listener_inheritance = false;
    return caps;
  }();
  return kCapabilities;
}

// From XNU's netinet/in.h and netinet6/in6.h. Numbers are spelt out where
// an SDK hides the name; they are part of the kernel ABI.
const RefusedOption* GetRefusedOptions(size_t* count) {
  static const RefusedOption kRefused[] = {
      {IPPROTO_IP, 40, 45, "IP_FW_* (ipfw)",
       "ipfw's rule structures hold pointers, and IP_FW_GET writes a rule "
       "list whose length is not the caller's"},
      {IPPROTO_IP, 50, 56, "IP_OLD_FW_* / IP_NAT__XXX (old ipfw)",
       "old ipfw's rule structures hold pointers"},
      {IPPROTO_IP, 60, 64, "IP_DUMMYNET_* (dummynet)",
       "dummynet's pipe structures hold pointers, and IP_DUMMYNET_GET writes "
       "a list whose length is not the caller's"},
      {IPPROTO_IP, 74, 74, "IP_MSFILTER",
       "struct __msfilterreq holds a pointer (msfr_srcs) the kernel reads "
       "from and writes to"},
      {IPPROTO_IPV6, 74, 74, "IPV6_MSFILTER",
       "struct __msfilterreq holds a pointer (msfr_srcs) the kernel reads "
       "from and writes to"},
  };
  *count = sizeof(kRefused) / sizeof(kRefused[0]);
  return kRefused;
}

Status GetSystemDefaults(SystemDefaults* out) {
  SystemDefaults defaults;
  // keepidle and keepintvl are milliseconds; keepcnt is a count.
  Status status = ReadSysctlInt("net.inet.tcp.keepidle", &defaults.idle_ms);
  if (status.ok())
    status = ReadSysctlInt("net.inet.tcp.keepintvl", &defaults.interval_ms);
  if (status.ok()) status = ReadSysctlInt("net.inet.tcp.keepcnt", &defaults.count);
  if (!status.ok()) return status;
  defaults.source = "sysctl net.inet.tcp.{keepidle,keepintvl,keepcnt}";
  *out = defaults;
  return Status{};
}

Status GetTcpInfo(SocketHandle sock, TcpInfo* out) {
  for (double& value : out->values) value = NAN;
#if defined(TCP_CONNECTION_INFO)
  struct tcp_connection_info info;
  std::memset(&info, 0, sizeof(info));
  socklen_t length = sizeof(info);
  if (getsockopt(sock, IPPROTO_TCP, TCP_CONNECTION_INFO, &info, &length) != 0)
    return unix_backend::ErrnoStatus(Syscall::kGetsockopt);
  out->values[kTcpInfo_state] = PortableState(info.tcpi_state);
  // macOS reports times in ms where Linux uses us; convert to the
  // library's documented units (us for rto and rtt).
  out->values[kTcpInfo_rto] = info.tcpi_rto * 1000.0;
  out->values[kTcpInfo_rtt] = info.tcpi_srtt * 1000.0;
  out->values[kTcpInfo_rttvar] = info.tcpi_rttvar * 1000.0;
  out->values[kTcpInfo_snd_mss] = info.tcpi_maxseg;
  // Windows in bytes on both; congestion window in segments, as on Linux.
  out->values[kTcpInfo_snd_wnd] = info.tcpi_snd_wnd;
  out->values[kTcpInfo_rcv_wnd] = info.tcpi_rcv_wnd;
  if (info.tcpi_maxseg > 0) {
    out->values[kTcpInfo_snd_cwnd] =
        std::floor(static_cast<double>(info.tcpi_snd_cwnd) / info.tcpi_maxseg);
    out->values[kTcpInfo_snd_ssthresh] = std::floor(
        static_cast<double>(info.tcpi_snd_ssthresh) / info.tcpi_maxseg);
  }
  out->values[kTcpInfo_bytes_sent] = static_cast<double>(info.tcpi_txbytes);
  out->values[kTcpInfo_bytes_received] = static_cast<double>(info.tcpi_rxbytes);
  out->values[kTcpInfo_bytes_retrans] =
      static_cast<double>(info.tcpi_txretransmitbytes);
  out->values[kTcpInfo_segs_out] = static_cast<double>(info.tcpi_txpackets);
  out->values[kTcpInfo_segs_in] = static_cast<double>(info.tcpi_rxpackets);
  out->values[kTcpInfo_total_retrans] =
      static_cast<double>(info.tcpi_txretransmitpackets);
  return Status{};
#else
  (void)sock;
  return Status{-ENOPROTOOPT, Syscall::kGetsockopt};
#endif
}

}  // namespace tcpka

#endif  // __APPLE__

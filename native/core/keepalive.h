// The portable interface between the N-API bindings (addon.cc) and the
// per-OS back ends (unix/keepalive.cc with linux/keepalive.cc or
// darwin/keepalive.cc; win/keepalive.cc on Windows). Nothing here knows about
// JavaScript, and the back ends know nothing about N-API.
//
// Units at this boundary are the library's units: milliseconds for times,
// plain numbers for counts. Each back end converts to its kernel's unit.
#ifndef TCP_KEEPALIVE_KEEPALIVE_H_
#define TCP_KEEPALIVE_KEEPALIVE_H_

#include <cerrno>
#include <cstddef>
#include <cstdint>

namespace tcpka {

#ifdef _WIN32
using SocketHandle = uintptr_t;  // SOCKET
constexpr int kErrorNoMemory = -4057;  // UV_ENOMEM
#else
using SocketHandle = int;
constexpr int kErrorNoMemory = -ENOMEM;
#endif

// The system call that failed, so that JavaScript can build the same error
// shape Node uses ({ code, errno, syscall }): the enum and the name in
// errors. The order is part of the binding's contract: addon.cc exports the
// names in this order, an OS's own calls (WinSyscall, DiagSyscall) continue
// it.
#define TCPKA_SYSCALLS(X)            \
  X(kNone, "")                       \
  X(kGetsockopt, "getsockopt")       \
  X(kSetsockopt, "setsockopt")       \
  X(kWSAIoctl, "WSAIoctl")           \
  X(kOpen, "open")                   \
  X(kRead, "read")                   \
  X(kSysctlbyname, "sysctlbyname")   \
  X(kRegGetValue, "RegGetValue")

enum class Syscall : int {
#define TCPKA_ENUM(syscall, name) syscall,
  TCPKA_SYSCALLS(TCPKA_ENUM)
#undef TCPKA_ENUM
  kCount
};

// Outcome of a back-end call. `error` is 0 on success, otherwise the error in
// libuv's convention (a negative errno on Unix, a UV_E* value on Windows), so
// that util.getSystemErrorName() names it exactly as Node would.
struct Status {
  int error = 0;
  Syscall syscall = Syscall::kNone;
  bool ok() const { return error == 0; }
};

// The fields of a keepalive configuration, in order: the enum, the name
// JavaScript uses, the socket option named in errors and the kind of value
// ("flag": on or off; "time": milliseconds; "count": a whole number), which
// decides how JavaScript validates it. The one list every other one derives
// from: the binding exports the names, options and kinds, and a field's index
// is its bit in masks and its slot in the shared slots (binding.h).
#define TCPKA_KEEPALIVE_FIELDS(X)                          \
  X(kEnable, "enable", "SO_KEEPALIVE", "flag")             \
  X(kIdle, "idle", "TCP_KEEPIDLE", "time")                 \
  X(kInterval, "interval", "TCP_KEEPINTVL", "time")        \
  X(kCount, "count", "TCP_KEEPCNT", "count")               \
  X(kUserTimeout, "userTimeout", "TCP_USER_TIMEOUT", "time")

enum Field : unsigned {
#define TCPKA_ENUM(field, name, option, kind) field,
  TCPKA_KEEPALIVE_FIELDS(TCPKA_ENUM)
#undef TCPKA_ENUM
  kFieldCount
};
constexpr unsigned FieldBit(Field f) { return 1u << f; }

// What the kernel holds for one socket. `unsupported` has a bit set for each
// field this platform cannot report at all; `remembered` for each field that
// the platform cannot read back and that is reported as last set through this
// library (Windows' SIO_KEEPALIVE_VALS is write-only).
struct KeepaliveState {
  bool enable = false;
  double idle_ms = 0;
  double interval_ms = 0;
  double count = 0;
  double user_timeout_ms = 0;
  unsigned unsupported = 0;
  unsigned remembered = 0;
};

// A change request. Only fields whose bit is in `fields` are changed; the
// others are left exactly as they are in the kernel. Values are already
// validated and rounded up to the platform's unit by the caller.
struct KeepaliveRequest {
  unsigned fields = 0;
  bool enable = false;
  double idle_ms = 0;
  double interval_ms = 0;
  double count = 0;
  double user_timeout_ms = 0;
};

// Range and unit of one settable field, for validation before any syscall.
struct FieldLimits {
  bool settable = false;
  bool readable = false;
  double min = 0;
  double max = 0;
  double unit_ms = 0;  // granularity the kernel keeps (times); 0 for counts
};

struct Capabilities {
  const char* backend = "";  // "linux", "darwin", "win32"
  FieldLimits fields[kFieldCount];
  bool tcp_info = false;
  bool system_defaults = false;
  // Accepted sockets inherit keepalive options set on the listening socket,
  // guaranteed by the OS (Linux copies them in inet_csk_clone_lock()).
  bool listener_inheritance = false;
  // Lowering the idle time of an established connection below the idle
  // already elapsed sends a probe at once (Linux re-arms the timer from the
  // last segment received in tcp_sock_set_keepidle()).
  bool probe_at_chosen_moment = false;
};

struct SystemDefaults {
  double idle_ms = 0;
  double interval_ms = 0;
  double count = 0;
  const char* source = "";
  // True where a value is the OS's documented default because the system
  // holds no explicit setting (Windows registry values absent).
  bool documented_default = false;
};

// A portable view of TCP_INFO (Linux) / TCP_CONNECTION_INFO (macOS). Every
// field is a double so that "not available here" can be NaN. The X-macro
// keeps the order, the JavaScript names and the units in one place.
#define TCPKA_TCP_INFO_FIELDS(X)                                             \
  X(state, "state")                    /* TcpState below */                  \
  X(ca_state, "caState")               /* congestion-avoidance state */      \
  X(probes, "probes")                  /* unanswered keepalive/0-window */   \
  X(backoff, "backoff")                /* RTO backoff exponent */            \
  X(retransmits, "retransmits")        /* unrecovered RTO timeouts now */    \
  X(total_retrans, "totalRetrans")     /* segments retransmitted, total */   \
  X(rto, "rto")                        /* us */                              \
  X(ato, "ato")                        /* us */                              \
  X(snd_mss, "sndMss")                 /* bytes */                           \
  X(rcv_mss, "rcvMss")                 /* bytes */                           \
  X(unacked, "unacked")                /* segments */                        \
  X(lost, "lost")                      /* segments */                        \
  X(retrans, "retrans")                /* segments now in retransmission */  \
  X(last_data_sent, "lastDataSent")    /* ms since */                        \
  X(last_ack_sent, "lastAckSent")      /* ms since; Linux does not track */  \
  X(last_data_recv, "lastDataRecv")    /* ms since */                        \
  X(last_ack_recv, "lastAckRecv")      /* ms since */                        \
  X(pmtu, "pmtu")                      /* bytes */                           \
  X(rtt, "rtt")                        /* us, smoothed */                    \
  X(rttvar, "rttvar")                  /* us */                              \
  X(min_rtt, "minRtt")                 /* us */                              \
  X(snd_cwnd, "sndCwnd")               /* segments */                        \
  X(snd_ssthresh, "sndSsthresh")       /* segments */                        \
  X(snd_wnd, "sndWnd")                 /* bytes */                           \
  X(rcv_wnd, "rcvWnd")                 /* bytes */                           \
  X(bytes_sent, "bytesSent")           /* bytes */                           \
  X(bytes_acked, "bytesAcked")         /* bytes */                           \
  X(bytes_received, "bytesReceived")   /* bytes */                           \
  X(bytes_retrans, "bytesRetrans")     /* bytes */                           \
  X(segs_out, "segsOut")               /* segments */                        \
  X(segs_in, "segsIn")                 /* segments */                        \
  X(notsent_bytes, "notsentBytes")     /* bytes */

enum TcpInfoField : unsigned {
#define TCPKA_ENUM(field, name) kTcpInfo_##field,
  TCPKA_TCP_INFO_FIELDS(TCPKA_ENUM)
#undef TCPKA_ENUM
  kTcpInfoFieldCount
};

// Portable TCP states (the values of TcpInfo "state"), named as ss(8) and
// Linux name them. Back ends translate their own numbering to these.
enum class TcpState : int {
  kUnknown = 0,
  kEstablished,
  kSynSent,
  kSynRecv,
  kFinWait1,
  kFinWait2,
  kTimeWait,
  kClose,
  kCloseWait,
  kLastAck,
  kListen,
  kClosing,
  kCount
};

struct TcpInfo {
  double values[kTcpInfoFieldCount];
};

// A named platform constant (SOL_SOCKET, TCP_KEEPIDLE, ...), exported so that
// callers of the generic get/set functions use this platform's numbers.
struct Constant {
  const char* name;
  int value;
};

// An option the generic functions (getSockOpt/setSockOpt) refuse on this OS,
// in both directions, because the kernel would reach outside the caller's
// bytes: its payload holds a pointer the kernel dereferences, or its length
// is not a byte count (the kernel reads or writes as much as a number inside
// the payload, or optlen read as a count of something larger, says). Each
// back end lists its own; names first_name..last_name at `level` (a range
// for families of options such as netfilter's).
struct RefusedOption {
  int level;
  int first_name;
  int last_name;
  const char* label;   // the option's name(s), e.g. "SO_ATTACH_FILTER"
  const char* reason;  // why, in a few words
};

// The largest payload the generic functions pass to or take from the kernel.
constexpr size_t kMaxOptionLength = 65536;

// Private memory for the generic functions' payloads: kMaxOptionLength bytes
// followed by an inaccessible guard region (PROT_NONE on Unix, PAGE_NOACCESS
// on Windows). A payload is placed so that it ends where the guard begins,
// so a kernel that writes (or reads) past the length it was given faults on
// the guard and the call fails with EFAULT, instead of corrupting (or
// leaking) the process's memory; no option the refusal list missed can do
// better than that. The kernel copies to and from user memory in ascending
// order, so it meets the guard before anything beyond it. One per addon
// instance (per thread), mapped on first use.
class GuardedScratch {
 public:
  GuardedScratch() = default;
  ~GuardedScratch();
  GuardedScratch(const GuardedScratch&) = delete;
  GuardedScratch& operator=(const GuardedScratch&) = delete;

  // `length` (<= kMaxOptionLength) bytes ending at the guard, or nullptr if
  // the memory could not be mapped.
  uint8_t* Tail(size_t length);

 private:
  void* mapping_ = nullptr;
  uint8_t* guard_ = nullptr;  // the first inaccessible byte
};

// --- Implemented by each back end ----------------------------------------

const Capabilities& GetCapabilities();
// Returns the constants and writes their number to *count.
const Constant* GetConstants(size_t* count);

Status GetKeepalive(SocketHandle sock, KeepaliveState* out);
// All or nothing: on failure every option already changed is restored and the
// returned Status describes the first failure.
Status SetKeepalive(SocketHandle sock, const KeepaliveRequest& request,
                    KeepaliveState* out);
// Write only, for a socket that is destroyed if this fails (the library's
// own per-connection and on-connect paths): no snapshot, no rollback, no
// read-back, so no more calls than the options themselves. The first call
// is still a TCP-level one, so a socket that is not TCP fails before
// SO_KEEPALIVE is touched.
Status WriteKeepaliveNoRollback(SocketHandle sock, const KeepaliveRequest& request);
Status GetSystemDefaults(SystemDefaults* out);
Status GetTcpInfo(SocketHandle sock, TcpInfo* out);

// Generic options. `*length` is the capacity of `buffer` on entry and the
// length the kernel wrote on return; nothing is written past the capacity.
// These are the raw calls: the callers (addon.cc) check the refusal list
// and pass GuardedScratch memory, never the caller's own.
Status GetSockOptBytes(SocketHandle sock, int level, int name, void* buffer,
                       size_t* length);
Status SetSockOptBytes(SocketHandle sock, int level, int name,
                       const void* buffer, size_t length);

// The options the generic functions refuse here; writes their number.
const RefusedOption* GetRefusedOptions(size_t* count);

// The entry refusing (level, name), or nullptr if the option may be used.
inline const RefusedOption* FindRefusedOption(int level, int name) {
  size_t count = 0;
  const RefusedOption* options = GetRefusedOptions(&count);
  for (size_t i = 0; i < count; ++i) {
    if (options[i].level == level && name >= options[i].first_name &&
        name <= options[i].last_name)
      return &options[i];
  }
  return nullptr;
}

}  // namespace tcpka

#endif  // TCP_KEEPALIVE_KEEPALIVE_H_

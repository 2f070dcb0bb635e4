// The socket option numbers exported as `constants`, for callers of the
// generic getSockOpt/setSockOpt: one table for every OS, each entry present
// where this OS's headers define it.
#include <cstddef>

#include "core/keepalive.h"
#include "core/socket_headers.h"

namespace tcpka {

#define TCPKA_CONSTANT(name) {#name, name},

const Constant* GetConstants(size_t* count) {
  static const Constant kConstants[] = {
      TCPKA_CONSTANT(SOL_SOCKET)
      TCPKA_CONSTANT(IPPROTO_IP)
      TCPKA_CONSTANT(IPPROTO_IPV6)
      TCPKA_CONSTANT(IPPROTO_TCP)
      TCPKA_CONSTANT(SO_KEEPALIVE)
      TCPKA_CONSTANT(SO_REUSEADDR)
#ifdef SO_REUSEPORT
      TCPKA_CONSTANT(SO_REUSEPORT)
#endif
#ifdef SO_EXCLUSIVEADDRUSE
      TCPKA_CONSTANT(SO_EXCLUSIVEADDRUSE)
#endif
      TCPKA_CONSTANT(SO_RCVBUF)
      TCPKA_CONSTANT(SO_SNDBUF)
      TCPKA_CONSTANT(SO_LINGER)
      TCPKA_CONSTANT(SO_ERROR)
      TCPKA_CONSTANT(SO_TYPE)
#ifdef SO_DOMAIN
      TCPKA_CONSTANT(SO_DOMAIN)
#endif
#ifdef SO_PROTOCOL
      TCPKA_CONSTANT(SO_PROTOCOL)
#endif
#ifdef SO_MARK
      TCPKA_CONSTANT(SO_MARK)
#endif
#ifdef SO_NOSIGPIPE
      TCPKA_CONSTANT(SO_NOSIGPIPE)
#endif
      TCPKA_CONSTANT(TCP_NODELAY)
      TCPKA_CONSTANT(TCP_MAXSEG)
#ifdef TCP_MAXRT
      TCPKA_CONSTANT(TCP_MAXRT)
#endif
#ifdef TCP_TIMESTAMPS
      TCPKA_CONSTANT(TCP_TIMESTAMPS)
#endif
// Linux and macOS define it too; so far only the Windows list named it.
#if defined(TCP_FASTOPEN) && defined(_WIN32)
      TCPKA_CONSTANT(TCP_FASTOPEN)
#endif
#ifdef TCP_KEEPALIVE
      TCPKA_CONSTANT(TCP_KEEPALIVE)  // macOS: the idle time
#endif
#ifdef TCP_KEEPIDLE
      TCPKA_CONSTANT(TCP_KEEPIDLE)
#endif
#ifdef TCP_KEEPINTVL
      TCPKA_CONSTANT(TCP_KEEPINTVL)
#endif
#ifdef TCP_KEEPCNT
      TCPKA_CONSTANT(TCP_KEEPCNT)
#endif
#ifdef TCP_USER_TIMEOUT
      TCPKA_CONSTANT(TCP_USER_TIMEOUT)
#endif
#ifdef TCP_INFO
      TCPKA_CONSTANT(TCP_INFO)
#endif
#ifdef TCP_CORK
      TCPKA_CONSTANT(TCP_CORK)
#endif
#ifdef TCP_QUICKACK
      TCPKA_CONSTANT(TCP_QUICKACK)
#endif
#ifdef TCP_SYNCNT
      TCPKA_CONSTANT(TCP_SYNCNT)
#endif
#ifdef TCP_LINGER2
      TCPKA_CONSTANT(TCP_LINGER2)
#endif
#ifdef TCP_DEFER_ACCEPT
      TCPKA_CONSTANT(TCP_DEFER_ACCEPT)
#endif
#ifdef TCP_NOTSENT_LOWAT
      TCPKA_CONSTANT(TCP_NOTSENT_LOWAT)
#endif
#ifdef TCP_CONGESTION
      TCPKA_CONSTANT(TCP_CONGESTION)
#endif
#ifdef TCP_CONNECTIONTIMEOUT
      TCPKA_CONSTANT(TCP_CONNECTIONTIMEOUT)
#endif
#ifdef TCP_RXT_CONNDROPTIME
      TCPKA_CONSTANT(TCP_RXT_CONNDROPTIME)
#endif
#ifdef TCP_CONNECTION_INFO
      TCPKA_CONSTANT(TCP_CONNECTION_INFO)
#endif
  };
  *count = sizeof(kConstants) / sizeof(kConstants[0]);
  return kConstants;
}

#undef TCPKA_CONSTANT

}  // namespace tcpka

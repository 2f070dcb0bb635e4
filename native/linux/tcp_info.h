// Linux's struct tcp_info to the portable TCP_INFO slots, shared by the back
// end's getsockopt(TCP_INFO) (linux/keepalive.cc, which defines it) and the
// sock_diag dump's INET_DIAG_INFO (diagnostics/linux/sock_diag.cc).
#ifndef TCP_KEEPALIVE_LINUX_TCP_INFO_H_
#define TCP_KEEPALIVE_LINUX_TCP_INFO_H_

#include <cstddef>

#include "core/keepalive.h"

namespace tcpka {

// struct tcp_info as the kernel handed it, `length` bytes of it (older
// kernels give fewer fields; the missing ones stay NaN).
void TcpInfoFromKernel(const void* data, size_t length, TcpInfo* out);

}  // namespace tcpka

#endif  // TCP_KEEPALIVE_LINUX_TCP_INFO_H_

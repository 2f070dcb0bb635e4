// The OS's socket headers, for the files that name socket options (the
// back ends and constants.cc), with the Windows SDK's option numbers that
// mingw-w64's headers (10.x) lack, so that every build sees the same names.
#ifndef TCP_KEEPALIVE_SOCKET_HEADERS_H_
#define TCP_KEEPALIVE_SOCKET_HEADERS_H_

#ifdef _WIN32

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
// clang-format off
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mstcpip.h>
#include <windows.h>
// clang-format on

// The Windows SDK's ws2ipdef.h numbers.
#ifndef TCP_KEEPIDLE
#define TCP_KEEPIDLE 3  // also named TCP_KEEPALIVE
#endif
#ifndef TCP_MAXSEG
#define TCP_MAXSEG 4
#endif
#ifndef TCP_MAXRT
#define TCP_MAXRT 5
#endif
#ifndef TCP_TIMESTAMPS
#define TCP_TIMESTAMPS 10
#endif
#ifndef TCP_FASTOPEN
#define TCP_FASTOPEN 15
#endif
#ifndef TCP_KEEPCNT
#define TCP_KEEPCNT 16
#endif
#ifndef TCP_KEEPINTVL
#define TCP_KEEPINTVL 17
#endif

#else

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#endif  // _WIN32

#endif  // TCP_KEEPALIVE_SOCKET_HEADERS_H_

// Win32 and Winsock error codes as libuv names them (win/backend.h).
#ifdef _WIN32

#include "core/socket_headers.h"

#include "win/backend.h"

namespace tcpka {

int UvErrorFromWin(unsigned long error) {
  // The subset of libuv's uv_translate_sys_error() (src/win/error.c) that
  // socket options and registry reads can produce; values from
  // include/uv/errno.h for _WIN32.
  switch (error) {
    case 0: return 0;
    case WSAEACCES: return -4092;                 // EACCES
    case ERROR_ACCESS_DENIED: return -4048;       // EPERM
    case WSAEADDRINUSE: return -4091;             // EADDRINUSE
    case WSAEADDRNOTAVAIL: return -4090;          // EADDRNOTAVAIL
    case WSAEAFNOSUPPORT: return -4089;           // EAFNOSUPPORT
    case WSAEWOULDBLOCK: return -4088;            // EAGAIN
    case WSAEALREADY: return -4084;               // EALREADY
    case ERROR_INVALID_HANDLE: return -4083;      // EBADF
    case WSAECONNABORTED: return -4079;           // ECONNABORTED
    case WSAECONNREFUSED: return -4078;           // ECONNREFUSED
    case WSAECONNRESET:
    case WSAENETRESET: return -4077;              // ECONNRESET
    case WSAEFAULT: return -4074;                 // EFAULT
    case WSAEHOSTUNREACH: return -4073;           // EHOSTUNREACH
    case WSAEINTR: return -4072;                  // EINTR
    case WSAEINVAL:
    case ERROR_INVALID_PARAMETER: return -4071;   // EINVAL
    case WSAEISCONN: return -4069;                // EISCONN
    case WSAEMFILE: return -4066;                 // EMFILE
    case WSAEMSGSIZE: return -4065;               // EMSGSIZE
    case WSAENAMETOOLONG: return -4064;           // ENAMETOOLONG
    case WSAENETDOWN: return -4063;               // ENETDOWN
    case WSAENETUNREACH: return -4062;            // ENETUNREACH
    case WSAENOBUFS: return -4060;                // ENOBUFS
    case ERROR_FILE_NOT_FOUND: return -4058;      // ENOENT
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY: return -4057;         // ENOMEM
    case WSAENOTCONN: return -4053;               // ENOTCONN
    case WSAENOTSOCK: return -4050;               // ENOTSOCK
    case WSAEOPNOTSUPP: return -4049;             // ENOTSUP
    case WSAEPROTONOSUPPORT: return -4045;        // EPROTONOSUPPORT
    case WSAEPROTOTYPE: return -4044;             // EPROTOTYPE
    case WSAESHUTDOWN: return -4042;              // ESHUTDOWN
    case WSAETIMEDOUT: return -4039;              // ETIMEDOUT
    case WSAENOPROTOOPT: return -4035;            // ENOPROTOOPT
    case WSAEHOSTDOWN: return -4031;              // EHOSTDOWN
    case WSAESOCKTNOSUPPORT: return -4025;        // ESOCKTNOSUPPORT
    default: return -4094;                        // UNKNOWN
  }
}

}  // namespace tcpka

#endif  // _WIN32

// The Windows bindings beyond the portable ones: findSocket, the SOCKET
// behind a Node handle (win/backend.h, win/socket_lookup.cc).
#if defined(_WIN32)

#include <cstdint>

#include "core/binding.h"
#include "win/backend.h"

namespace tcpka {
namespace binding {
namespace {

// The numbers of WinSyscall continue Syscall's.
const char* const kWinSyscallNames[] = {
#define TCPKA_NAME(syscall, name) name,
    TCPKA_WIN_SYSCALLS(TCPKA_NAME)
#undef TCPKA_NAME
};

// (family, address, port) at `first`; family 0 means "none".
bool EndpointArgs(const Napi::CallbackInfo& info, size_t first,
                         Endpoint* endpoint) {
  if (info.Length() < first + 3 || !info[first].IsNumber() ||
      !info[first + 1].IsString() || !info[first + 2].IsNumber())
    return false;
  endpoint->family = info[first].As<Napi::Number>().Int32Value();
  endpoint->address = info[first + 1].As<Napi::String>().Utf8Value();
  endpoint->port =
      static_cast<uint16_t>(info[first + 2].As<Napi::Number>().Uint32Value());
  return true;
}

// findSocket(localFamily, localAddress, localPort, remoteFamily,
// remoteAddress, remotePort, method): the SOCKET, or a negative errno.
Napi::Value FindSocketJs(const Napi::CallbackInfo& info) {
  Endpoint local, remote;
  if (!EndpointArgs(info, 0, &local) || !EndpointArgs(info, 3, &remote) ||
      info.Length() < 7 || !info[6].IsNumber())
    return ThrowArgs(info);
  uv_loop_s* loop = nullptr;
  if (napi_get_uv_event_loop(info.Env(), &loop) != napi_ok) loop = nullptr;
  SocketHandle sock = 0;
  Status status = tcpka::FindSocket(
      loop, local, remote,
      static_cast<LookupMethod>(info[6].As<Napi::Number>().Int32Value()),
      &sock);
  if (!status.ok())
    return Result(info.Env(), static_cast<double*>(info.Data()), status);
  return Napi::Number::New(info.Env(), static_cast<double>(sock));
}

}  // namespace

void RegisterPlatformExtras(Napi::Env env, Napi::Object exports,
                            double* slots) {
  exports.DefineProperties({
      SlotsFunction(env, exports, "findSocket", FindSocketJs, slots),
  });
}

const char* const* PlatformSyscallNames(size_t* count) {
  *count = sizeof(kWinSyscallNames) / sizeof(kWinSyscallNames[0]);
  return kWinSyscallNames;
}

}  // namespace binding
}  // namespace tcpka

#endif  // _WIN32

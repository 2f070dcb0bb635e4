// N-API bindings only: argument unpacking, result packing, and nothing else.
// The socket work is in the back ends behind keepalive.h.
//
// Calls on the hot path (get/set keepalive, TCP_INFO, generic options) return
// a number: 0 (or a length) on success, a negative libuv-style errno on
// failure. Their values go into `results`, a Float64Array owned by this
// instance of the addon (one per thread), which saves creating an object per
// call; lib/native.ts turns them into plain objects and errors. A keepalive
// request comes in through the same slots, which saves converting five
// arguments per call.
#include <napi.h>

#include <cmath>
#include <cstdint>

#include "keepalive.h"
#if defined(__linux__)
#include <string>

#include "diagnostics.h"
#include "diagnostics_binding_linux.h"
#endif
#if defined(_WIN32)
#include <string>

#include "keepalive_win.h"
#endif

namespace tcpka {
namespace {

constexpr size_t kResultSlots = 64;
// On failure, the index into `syscalls` of the call that failed.
constexpr size_t kSyscallSlot = kResultSlots - 1;
static_assert(kTcpInfoFieldCount < kSyscallSlot, "results too small");

const char* const kSyscallNames[] = {"",     "getsockopt",   "setsockopt",
                                     "WSAIoctl", "open",     "read",
                                     "sysctlbyname", "RegGetValue"};
static_assert(sizeof(kSyscallNames) / sizeof(kSyscallNames[0]) ==
                  static_cast<size_t>(Syscall::kCount),
              "one name per Syscall");

#if defined(__linux__)
// Appended to `syscalls`: the numbers of DiagSyscall continue Syscall's.
const char* const kDiagSyscallNames[] = {"socket",      "bind",  "recvmsg",
                                         "pidfd_open",  "pidfd_getfd",
                                         "setns",       "pthread_create",
                                         "sendmsg"};
static_assert(sizeof(kDiagSyscallNames) / sizeof(kDiagSyscallNames[0]) ==
                  static_cast<size_t>(DiagSyscall::kEnd) -
                      static_cast<size_t>(Syscall::kCount),
              "one name per DiagSyscall");
#endif

#if defined(_WIN32)
// Appended to `syscalls`: the numbers of WinSyscall continue Syscall's.
const char* const kWinSyscallNames[] = {"uv_walk", "handle scan"};
static_assert(sizeof(kWinSyscallNames) / sizeof(kWinSyscallNames[0]) ==
                  static_cast<size_t>(WinSyscall::kEnd) -
                      static_cast<size_t>(Syscall::kCount),
              "one name per WinSyscall");
#endif

const char* const kTcpInfoNames[] = {
#define TCPKA_NAME(field, name) name,
    TCPKA_TCP_INFO_FIELDS(TCPKA_NAME)
#undef TCPKA_NAME
};

const char* const kTcpStateNames[] = {
    "UNKNOWN",    "ESTABLISHED", "SYN_SENT", "SYN_RECV",
    "FIN_WAIT1",  "FIN_WAIT2",   "TIME_WAIT", "CLOSE",
    "CLOSE_WAIT", "LAST_ACK",    "LISTEN",   "CLOSING"};
static_assert(sizeof(kTcpStateNames) / sizeof(kTcpStateNames[0]) ==
                  static_cast<size_t>(TcpState::kCount),
              "one name per TcpState");

const char* const kFieldNames[kFieldCount] = {"enable", "idle", "interval",
                                              "count", "userTimeout"};

template <size_t N>
Napi::Array StringArray(Napi::Env env, const char* const (&names)[N]) {
  Napi::Array array = Napi::Array::New(env, N);
  for (size_t i = 0; i < N; ++i) array.Set(static_cast<uint32_t>(i), names[i]);
  return array;
}

Napi::Array SyscallNames(Napi::Env env) {
  Napi::Array array = StringArray(env, kSyscallNames);
#if defined(__linux__)
  for (const char* name : kDiagSyscallNames) array.Set(array.Length(), name);
#endif
#if defined(_WIN32)
  for (const char* name : kWinSyscallNames) array.Set(array.Length(), name);
#endif
  return array;
}

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports) {
    Napi::Float64Array results = Napi::Float64Array::New(env, kResultSlots);
    results_ = results.Data();
    results_ref_ = Napi::Persistent(results);

    DefineAddon(
        exports,
        {
            InstanceValue("results", results, napi_enumerable),
            InstanceValue("syscalls", SyscallNames(env), napi_enumerable),
            InstanceValue("tcpInfoFields", StringArray(env, kTcpInfoNames),
                          napi_enumerable),
            InstanceValue("tcpStates", StringArray(env, kTcpStateNames),
                          napi_enumerable),
            InstanceValue("capabilities", CapabilitiesObject(env),
                          napi_enumerable),
            InstanceValue("constants", ConstantsObject(env), napi_enumerable),
            InstanceMethod<&Addon::GetKeepaliveJs>("getKeepalive",
                                                    napi_enumerable),
            InstanceMethod<&Addon::SetKeepaliveJs>("setKeepalive",
                                                    napi_enumerable),
            InstanceMethod<&Addon::ConfigureKeepaliveJs>("configureKeepalive",
                                                          napi_enumerable),
            InstanceMethod<&Addon::GetTcpInfoJs>("getTcpInfo",
                                                  napi_enumerable),
            InstanceMethod<&Addon::SystemDefaultsJs>("systemDefaults",
                                                      napi_enumerable),
            InstanceMethod<&Addon::GetSockOptIntJs>("getSockOptInt",
                                                     napi_enumerable),
            InstanceMethod<&Addon::SetSockOptIntJs>("setSockOptInt",
                                                     napi_enumerable),
            InstanceMethod<&Addon::GetSockOptBufferJs>("getSockOptBuffer",
                                                        napi_enumerable),
            InstanceMethod<&Addon::SetSockOptBufferJs>("setSockOptBuffer",
                                                        napi_enumerable),
#if defined(__linux__)
            InstanceValue("packetRecordSize",
                          Napi::Number::New(env, static_cast<double>(kPacketRecordSize)),
                          napi_enumerable),
            InstanceMethod<&Addon::CaptureOpenJs>("captureOpen",
                                                   napi_enumerable),
            InstanceMethod<&Addon::CaptureSetFlowJs>("captureSetFlow",
                                                      napi_enumerable),
            InstanceMethod<&Addon::CaptureReadJs>("captureRead",
                                                   napi_enumerable),
            InstanceMethod<&Addon::PidfdOpenJs>("pidfdOpen", napi_enumerable),
            InstanceMethod<&Addon::PidfdGetfdJs>("pidfdGetfd",
                                                  napi_enumerable),
            InstanceMethod<&Addon::NetnsSystemDefaultsJs>(
                "netnsSystemDefaults", napi_enumerable),
#endif
#if defined(_WIN32)
            InstanceMethod<&Addon::FindSocketJs>("findSocket",
                                                  napi_enumerable),
#endif
        });
#if defined(__linux__)
    RegisterLinuxDiagnostics(env, exports, results_, kSyscallSlot);
#endif
  }

 private:
  static Napi::Object CapabilitiesObject(Napi::Env env) {
    const Capabilities& caps = GetCapabilities();
    Napi::Object object = Napi::Object::New(env);
    object.Set("backend", caps.backend);
    for (unsigned i = 0; i < kFieldCount; ++i) {
      const FieldLimits& limits = caps.fields[i];
      Napi::Object field = Napi::Object::New(env);
      field.Set("settable", limits.settable);
      field.Set("readable", limits.readable);
      field.Set("min", limits.min);
      field.Set("max", limits.max);
      field.Set("unitMs", limits.unit_ms);
      object.Set(kFieldNames[i], field);
    }
    object.Set("tcpInfo", caps.tcp_info);
    object.Set("systemDefaults", caps.system_defaults);
    object.Set("listenerInheritance", caps.listener_inheritance);
    return object;
  }

  static Napi::Object ConstantsObject(Napi::Env env) {
    size_t count = 0;
    const Constant* constants = GetConstants(&count);
    Napi::Object object = Napi::Object::New(env);
    for (size_t i = 0; i < count; ++i)
      object.Set(constants[i].name, constants[i].value);
    return object;
  }

  // Arguments are validated in JavaScript; these checks only make sure that
  // a direct call with nonsense throws instead of reaching the kernel.
  static bool ArgsAreNumbers(const Napi::CallbackInfo& info, size_t count) {
    if (info.Length() < count) return false;
    for (size_t i = 0; i < count; ++i)
      if (!info[i].IsNumber()) return false;
    return true;
  }

  static Napi::Value ThrowArgs(const Napi::CallbackInfo& info) {
    Napi::TypeError::New(info.Env(), "invalid arguments to native binding")
        .ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }

  // The bytes a typed array views (not its whole ArrayBuffer).
  static uint8_t* BytesOf(const Napi::TypedArray& array) {
    return static_cast<uint8_t*>(array.ArrayBuffer().Data()) +
           array.ByteOffset();
  }

  static SocketHandle Handle(const Napi::Value& value) {
    return static_cast<SocketHandle>(value.As<Napi::Number>().Int64Value());
  }

  Napi::Value Result(Napi::Env env, const Status& status) {
    if (!status.ok()) results_[kSyscallSlot] = static_cast<int>(status.syscall);
    return Napi::Number::New(env, status.error);
  }

  void StoreState(const KeepaliveState& state) {
    results_[kEnable] = state.enable ? 1 : 0;
    results_[kIdle] = state.idle_ms;
    results_[kInterval] = state.interval_ms;
    results_[kCount] = state.count;
    results_[kUserTimeout] = state.user_timeout_ms;
    results_[kFieldCount] = state.unsupported;
    results_[kFieldCount + 1] = state.remembered;
  }

  // getKeepalive(fd)
  Napi::Value GetKeepaliveJs(const Napi::CallbackInfo& info) {
    if (!ArgsAreNumbers(info, 1)) return ThrowArgs(info);
    KeepaliveState state;
    Status status = tcpka::GetKeepalive(Handle(info[0]), &state);
    if (status.ok()) StoreState(state);
    return Result(info.Env(), status);
  }

  // The request's values come in through `results`, as they go out: the
  // slots of KeepaliveState (enable, idle, interval, count, userTimeout).
  KeepaliveRequest RequestFromResults(const Napi::CallbackInfo& info) {
    KeepaliveRequest request;
    request.fields = info[1].As<Napi::Number>().Uint32Value();
    request.enable = results_[kEnable] != 0;
    request.idle_ms = results_[kIdle];
    request.interval_ms = results_[kInterval];
    request.count = results_[kCount];
    request.user_timeout_ms = results_[kUserTimeout];
    return request;
  }

  // setKeepalive(fd, fields): all or nothing, then the state read back.
  Napi::Value SetKeepaliveJs(const Napi::CallbackInfo& info) {
    if (!ArgsAreNumbers(info, 2)) return ThrowArgs(info);
    KeepaliveState state;
    Status status =
        tcpka::SetKeepalive(Handle(info[0]), RequestFromResults(info), &state);
    if (status.ok()) StoreState(state);
    return Result(info.Env(), status);
  }

  // configureKeepalive(fd, fields): write only (see keepalive.h).
  Napi::Value ConfigureKeepaliveJs(const Napi::CallbackInfo& info) {
    if (!ArgsAreNumbers(info, 2)) return ThrowArgs(info);
    return Result(info.Env(), tcpka::ConfigureKeepalive(
                                  Handle(info[0]), RequestFromResults(info)));
  }

  // getTcpInfo(fd)
  Napi::Value GetTcpInfoJs(const Napi::CallbackInfo& info) {
    if (!ArgsAreNumbers(info, 1)) return ThrowArgs(info);
    TcpInfo tcp_info;
    Status status = tcpka::GetTcpInfo(Handle(info[0]), &tcp_info);
    if (status.ok()) {
      for (unsigned i = 0; i < kTcpInfoFieldCount; ++i)
        results_[i] = tcp_info.values[i];
    }
    return Result(info.Env(), status);
  }

  // systemDefaults(): the source on success, a negative errno on failure.
  Napi::Value SystemDefaultsJs(const Napi::CallbackInfo& info) {
    SystemDefaults defaults;
    Status status = tcpka::GetSystemDefaults(&defaults);
    if (!status.ok()) return Result(info.Env(), status);
    results_[0] = defaults.idle_ms;
    results_[1] = defaults.interval_ms;
    results_[2] = defaults.count;
    results_[3] = defaults.documented_default ? 1 : 0;
    return Napi::String::New(info.Env(), defaults.source);
  }

  // getSockOptInt(fd, level, name): the value goes to results[0].
  Napi::Value GetSockOptIntJs(const Napi::CallbackInfo& info) {
    if (!ArgsAreNumbers(info, 3)) return ThrowArgs(info);
    int value = 0;
    size_t length = sizeof(value);
    Status status = GetSockOptBytes(Handle(info[0]),
                                    info[1].As<Napi::Number>().Int32Value(),
                                    info[2].As<Napi::Number>().Int32Value(),
                                    &value, &length);
    // Some options (IP_TOS on some systems) answer with a single byte.
    if (status.ok())
      results_[0] = length == 1 ? *reinterpret_cast<unsigned char*>(&value)
                                : value;
    return Result(info.Env(), status);
  }

  // setSockOptInt(fd, level, name, value)
  Napi::Value SetSockOptIntJs(const Napi::CallbackInfo& info) {
    if (!ArgsAreNumbers(info, 4)) return ThrowArgs(info);
    int value = info[3].As<Napi::Number>().Int32Value();
    Status status = SetSockOptBytes(Handle(info[0]),
                                    info[1].As<Napi::Number>().Int32Value(),
                                    info[2].As<Napi::Number>().Int32Value(),
                                    &value, sizeof(value));
    return Result(info.Env(), status);
  }

  // getSockOptBuffer(fd, level, name, buffer): the length written, which is
  // never more than buffer.byteLength.
  Napi::Value GetSockOptBufferJs(const Napi::CallbackInfo& info) {
    if (!ArgsAreNumbers(info, 3) || info.Length() < 4 ||
        !info[3].IsTypedArray())
      return ThrowArgs(info);
    Napi::TypedArray array = info[3].As<Napi::TypedArray>();
    uint8_t* data = BytesOf(array);
    size_t length = array.ByteLength();
    Status status = GetSockOptBytes(Handle(info[0]),
                                    info[1].As<Napi::Number>().Int32Value(),
                                    info[2].As<Napi::Number>().Int32Value(),
                                    data, &length);
    if (!status.ok()) return Result(info.Env(), status);
    return Napi::Number::New(info.Env(), static_cast<double>(length));
  }

  // setSockOptBuffer(fd, level, name, buffer)
  Napi::Value SetSockOptBufferJs(const Napi::CallbackInfo& info) {
    if (!ArgsAreNumbers(info, 3) || info.Length() < 4 ||
        !info[3].IsTypedArray())
      return ThrowArgs(info);
    Napi::TypedArray array = info[3].As<Napi::TypedArray>();
    const uint8_t* data = BytesOf(array);
    Status status = SetSockOptBytes(Handle(info[0]),
                                    info[1].As<Napi::Number>().Int32Value(),
                                    info[2].As<Napi::Number>().Int32Value(),
                                    data, array.ByteLength());
    return Result(info.Env(), status);
  }

#if defined(__linux__)
  // --- Diagnostics (Linux): capture and other processes' sockets ---------

  // (family, localAddress, localPort, remoteAddress, remotePort) at `first`.
  static bool FlowArgs(const Napi::CallbackInfo& info, size_t first,
                       FlowSpec* flow) {
    if (info.Length() < first + 5 || !info[first].IsNumber() ||
        !info[first + 1].IsString() || !info[first + 2].IsNumber() ||
        !info[first + 3].IsString() || !info[first + 4].IsNumber())
      return false;
    flow->family = info[first].As<Napi::Number>().Int32Value();
    flow->local_address = info[first + 1].As<Napi::String>().Utf8Value();
    flow->local_port =
        static_cast<uint16_t>(info[first + 2].As<Napi::Number>().Uint32Value());
    flow->remote_address = info[first + 3].As<Napi::String>().Utf8Value();
    flow->remote_port =
        static_cast<uint16_t>(info[first + 4].As<Napi::Number>().Uint32Value());
    return true;
  }

  // A descriptor on success, a negative errno on failure.
  Napi::Value DescriptorResult(Napi::Env env, const Status& status, int fd) {
    if (!status.ok()) return Result(env, status);
    return Napi::Number::New(env, fd);
  }

  // captureOpen(family, localAddress, localPort, remoteAddress, remotePort)
  Napi::Value CaptureOpenJs(const Napi::CallbackInfo& info) {
    FlowSpec flow;
    if (!FlowArgs(info, 0, &flow)) return ThrowArgs(info);
    int fd = -1;
    Status status = tcpka::CaptureOpen(flow, &fd);
    return DescriptorResult(info.Env(), status, fd);
  }

  // captureSetFlow(fd, family, localAddress, localPort, remoteAddress,
  // remotePort)
  Napi::Value CaptureSetFlowJs(const Napi::CallbackInfo& info) {
    FlowSpec flow;
    if (!ArgsAreNumbers(info, 1) || !FlowArgs(info, 1, &flow))
      return ThrowArgs(info);
    return Result(info.Env(), tcpka::CaptureSetFlow(Handle(info[0]), flow));
  }

  // captureRead(fd, buffer): the number of records written to buffer.
  Napi::Value CaptureReadJs(const Napi::CallbackInfo& info) {
    if (!ArgsAreNumbers(info, 1) || info.Length() < 2 ||
        !info[1].IsTypedArray())
      return ThrowArgs(info);
    Napi::TypedArray array = info[1].As<Napi::TypedArray>();
    uint8_t* data = BytesOf(array);
    size_t count = 0;
    Status status =
        tcpka::CaptureRead(Handle(info[0]), data, array.ByteLength(), &count);
    if (!status.ok()) return Result(info.Env(), status);
    return Napi::Number::New(info.Env(), static_cast<double>(count));
  }

  // pidfdOpen(pid)
  Napi::Value PidfdOpenJs(const Napi::CallbackInfo& info) {
    if (!ArgsAreNumbers(info, 1)) return ThrowArgs(info);
    int fd = -1;
    Status status =
        tcpka::PidfdOpen(info[0].As<Napi::Number>().Int32Value(), &fd);
    return DescriptorResult(info.Env(), status, fd);
  }

  // pidfdGetfd(pidfd, targetFd)
  Napi::Value PidfdGetfdJs(const Napi::CallbackInfo& info) {
    if (!ArgsAreNumbers(info, 2)) return ThrowArgs(info);
    int fd = -1;
    Status status =
        tcpka::PidfdGetfd(info[0].As<Napi::Number>().Int32Value(),
                          info[1].As<Napi::Number>().Int32Value(), &fd);
    return DescriptorResult(info.Env(), status, fd);
  }

  // netnsSystemDefaults(netnsFd): like systemDefaults(), read inside the
  // network namespace behind the descriptor.
  Napi::Value NetnsSystemDefaultsJs(const Napi::CallbackInfo& info) {
    if (!ArgsAreNumbers(info, 1)) return ThrowArgs(info);
    SystemDefaults defaults;
    Status status = tcpka::SystemDefaultsInNetns(
        info[0].As<Napi::Number>().Int32Value(), &defaults);
    if (!status.ok()) return Result(info.Env(), status);
    results_[0] = defaults.idle_ms;
    results_[1] = defaults.interval_ms;
    results_[2] = defaults.count;
    results_[3] = defaults.documented_default ? 1 : 0;
    return Napi::String::New(info.Env(), defaults.source);
  }
#endif

#if defined(_WIN32)
  // --- Windows: the SOCKET behind a Node handle (keepalive_win.h) --------

  // (family, address, port) at `first`; family 0 means "none".
  static bool EndpointArgs(const Napi::CallbackInfo& info, size_t first,
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
    if (!status.ok()) return Result(info.Env(), status);
    return Napi::Number::New(info.Env(), static_cast<double>(sock));
  }
#endif

  double* results_ = nullptr;
  Napi::Reference<Napi::Float64Array> results_ref_;
};

}  // namespace
}  // namespace tcpka

// The macro pastes the class name into identifiers, so it takes a plain name.
using TcpKeepaliveAddon = tcpka::Addon;
NODE_API_NAMED_ADDON(tcp_keepalive, TcpKeepaliveAddon)

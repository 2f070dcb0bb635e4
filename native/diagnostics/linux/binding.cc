// The Linux bindings beyond the portable ones: the command's diagnostics
// (native/diagnostics.h): packet capture, another process's sockets
// (pidfd) and the system defaults of another network namespace.
#if defined(__linux__)

#include <cstdint>

#include "binding.h"
#include "diagnostics.h"
#include "diagnostics_binding_linux.h"

namespace tcpka {
namespace binding {
namespace {

// The numbers of DiagSyscall continue Syscall's.
const char* const kDiagSyscallNames[] = {"socket",      "bind",  "recvmsg",
                                         "pidfd_open",  "pidfd_getfd",
                                         "setns",       "pthread_create",
                                         "sendmsg"};
static_assert(sizeof(kDiagSyscallNames) / sizeof(kDiagSyscallNames[0]) ==
                  static_cast<size_t>(DiagSyscall::kEnd) -
                      static_cast<size_t>(Syscall::kCount),
              "one name per DiagSyscall");

// (family, localAddress, localPort, remoteAddress, remotePort) at `first`.
bool FlowArgs(const Napi::CallbackInfo& info, size_t first,
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

double* SlotsOf(const Napi::CallbackInfo& info) {
  return static_cast<double*>(info.Data());
}

// A descriptor on success, a negative errno on failure.
Napi::Value DescriptorResult(const Napi::CallbackInfo& info,
                             const Status& status, int fd) {
  Napi::Env env = info.Env();
  if (!status.ok()) return Result(env, SlotsOf(info), status);
  return Napi::Number::New(env, fd);
}

// captureOpen(family, localAddress, localPort, remoteAddress, remotePort)
Napi::Value CaptureOpenJs(const Napi::CallbackInfo& info) {
  FlowSpec flow;
  if (!FlowArgs(info, 0, &flow)) return ThrowArgs(info);
  int fd = -1;
  Status status = tcpka::CaptureOpen(flow, &fd);
  return DescriptorResult(info, status, fd);
}

// captureSetFlow(fd, family, localAddress, localPort, remoteAddress,
// remotePort)
Napi::Value CaptureSetFlowJs(const Napi::CallbackInfo& info) {
  FlowSpec flow;
  if (!ArgsAreNumbers(info, 1) || !FlowArgs(info, 1, &flow))
    return ThrowArgs(info);
  return Result(info.Env(), SlotsOf(info),
                tcpka::CaptureSetFlow(Handle(info[0]), flow));
}

// captureRead(fd, buffer): the number of records written to buffer.
Napi::Value CaptureReadJs(const Napi::CallbackInfo& info) {
  if (!ArgsAreNumbers(info, 1) || info.Length() < 2 ||
      !info[1].IsTypedArray())
    return ThrowArgs(info);
  ViewBytes view;
  if (!BytesOfView(info.Env(), info[1], SIZE_MAX, &view))
    return info.Env().Undefined();
  size_t count = 0;
  Status status =
      tcpka::CaptureRead(Handle(info[0]), view.data, view.length, &count);
  if (!status.ok()) return Result(info.Env(), SlotsOf(info), status);
  return Napi::Number::New(info.Env(), static_cast<double>(count));
}

// pidfdOpen(pid)
Napi::Value PidfdOpenJs(const Napi::CallbackInfo& info) {
  if (!ArgsAreNumbers(info, 1)) return ThrowArgs(info);
  int fd = -1;
  Status status =
      tcpka::PidfdOpen(info[0].As<Napi::Number>().Int32Value(), &fd);
  return DescriptorResult(info, status, fd);
}

// pidfdGetfd(pidfd, targetFd)
Napi::Value PidfdGetfdJs(const Napi::CallbackInfo& info) {
  if (!ArgsAreNumbers(info, 2)) return ThrowArgs(info);
  int fd = -1;
  Status status =
      tcpka::PidfdGetfd(info[0].As<Napi::Number>().Int32Value(),
                        info[1].As<Napi::Number>().Int32Value(), &fd);
  return DescriptorResult(info, status, fd);
}

// netnsSystemDefaults(netnsFd): like systemDefaults(), read inside the
// network namespace behind the descriptor.
Napi::Value NetnsSystemDefaultsJs(const Napi::CallbackInfo& info) {
  if (!ArgsAreNumbers(info, 1)) return ThrowArgs(info);
  SystemDefaults defaults;
  Status status = tcpka::SystemDefaultsInNetns(
      info[0].As<Napi::Number>().Int32Value(), &defaults);
  return DefaultsResult(info.Env(), SlotsOf(info), status, defaults);
}

}  // namespace

void RegisterPlatformExtras(Napi::Env env, Napi::Object exports,
                            double* slots) {
  exports.DefineProperties({
      Napi::PropertyDescriptor::Value(
          "packetRecordSize",
          Napi::Number::New(env, static_cast<double>(kPacketRecordSize)),
          napi_enumerable),
      SlotsFunction(env, exports, "captureOpen", CaptureOpenJs, slots),
      SlotsFunction(env, exports, "captureSetFlow", CaptureSetFlowJs, slots),
      SlotsFunction(env, exports, "captureRead", CaptureReadJs, slots),
      SlotsFunction(env, exports, "pidfdOpen", PidfdOpenJs, slots),
      SlotsFunction(env, exports, "pidfdGetfd", PidfdGetfdJs, slots),
      SlotsFunction(env, exports, "netnsSystemDefaults", NetnsSystemDefaultsJs,
                    slots),
  });
  RegisterLinuxDiagnostics(env, exports, slots);
}

const char* const* PlatformSyscallNames(size_t* count) {
  *count = sizeof(kDiagSyscallNames) / sizeof(kDiagSyscallNames[0]);
  return kDiagSyscallNames;
}

}  // namespace binding
}  // namespace tcpka

#endif  // __linux__

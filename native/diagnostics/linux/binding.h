// The JavaScript side of the Linux diagnostics, one file per part:
// capture_binding.cc (capture.h), process_binding.cc (process.h) and
// sock_diag_binding.cc (sock_diag.h); binding.cc registers them all as
// Linux's own bindings (RegisterPlatformExtras, core/binding.h).
#ifndef TCP_KEEPALIVE_DIAGNOSTICS_LINUX_BINDING_H_
#define TCP_KEEPALIVE_DIAGNOSTICS_LINUX_BINDING_H_

#include <napi.h>

#include "core/binding.h"

namespace tcpka {
namespace binding {

// Each adds its part's functions and values to `exports`. A failing call
// stores the index of its system call in the failedSyscall slot of `slots`,
// as every call does.
// packetRecordSize, captureOpen, captureSetFlow, captureRead.
void RegisterCaptureBinding(Napi::Env env, Napi::Object exports, double* slots);
// pidfdOpen, pidfdGetfd, netnsSystemDefaults, processSockets,
// processKeepaliveSlots, processKeepalive.
void RegisterProcessBinding(Napi::Env env, Napi::Object exports, double* slots);
// sockDiagFields, sockDiagRecordSize, sockDiagAddressOffset, sockDiagOpen,
// sockDiagDump.
void RegisterSockDiagBinding(Napi::Env env, Napi::Object exports, double* slots);

// The slots a diagnostics function was registered with.
inline double* SlotsOf(const Napi::CallbackInfo& info) {
  return static_cast<double*>(info.Data());
}

// The failure as the return value, its system call in the slots.
inline Napi::Value Fail(const Napi::CallbackInfo& info, const Status& status) {
  return Result(info.Env(), SlotsOf(info), status);
}

// A descriptor on success, a negative errno on failure.
inline Napi::Value DescriptorResult(const Napi::CallbackInfo& info,
                                    const Status& status, int fd) {
  if (!status.ok()) return Fail(info, status);
  return Napi::Number::New(info.Env(), fd);
}

}  // namespace binding
}  // namespace tcpka

#endif  // TCP_KEEPALIVE_DIAGNOSTICS_LINUX_BINDING_H_

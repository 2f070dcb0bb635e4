// Linux's own bindings (RegisterPlatformExtras, core/binding.h): the
// command's diagnostics, each part registered from its binding file, and
// the names of the system calls only they make.
#if defined(__linux__)

#include "diagnostics/linux/binding.h"

#include "diagnostics/linux/diagnostics.h"

namespace tcpka {
namespace binding {
namespace {

// The numbers of DiagSyscall continue Syscall's.
const char* const kDiagSyscallNames[] = {
#define TCPKA_NAME(syscall, name) name,
    TCPKA_DIAG_SYSCALLS(TCPKA_NAME)
#undef TCPKA_NAME
};

}  // namespace

void RegisterPlatformExtras(Napi::Env env, Napi::Object exports,
                            double* slots) {
  RegisterCaptureBinding(env, exports, slots);
  RegisterProcessBinding(env, exports, slots);
  RegisterSockDiagBinding(env, exports, slots);
}

const char* const* PlatformSyscallNames(size_t* count) {
  *count = sizeof(kDiagSyscallNames) / sizeof(kDiagSyscallNames[0]);
  return kDiagSyscallNames;
}

}  // namespace binding
}  // namespace tcpka

#endif  // __linux__

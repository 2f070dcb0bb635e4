// macOS has no bindings beyond the portable ones (addon.cc): the command
// falls back to what TCP_INFO tells there.
#if defined(__APPLE__)

#include "core/binding.h"

namespace tcpka {
namespace binding {

void RegisterPlatformExtras(Napi::Env, Napi::Object, double*) {}

const char* const* PlatformSyscallNames(size_t* count) {
  *count = 0;
  return nullptr;
}

}  // namespace binding
}  // namespace tcpka

#endif  // __APPLE__

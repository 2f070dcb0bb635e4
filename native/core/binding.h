// What the portable bindings (addon.cc) share with each OS's own bindings
// (darwin/, win/, diagnostics/linux/binding.cc): the layout of the shared slots, argument checks and
// result packing. N-API only; the socket work is behind keepalive.h.
#ifndef TCP_KEEPALIVE_BINDING_H_
#define TCP_KEEPALIVE_BINDING_H_

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/keepalive.h"

namespace tcpka {
namespace binding {

// The layout of the shared slots (see addon.cc), exported as
// `slotIndex` so that JavaScript reads and writes them by name. A keepalive
// state or request has field f at slot f (Field order, keepalive.h), then the
// two masks; TCP_INFO has field i at slot i (TcpInfoField order).
constexpr size_t kSlotCount = 64;
#define TCPKA_SLOTS(X)                                                      \
  X(kStateUnsupported, "stateUnsupported", kFieldCount)                      \
  X(kStateRemembered, "stateRemembered", kFieldCount + 1)                    \
  X(kDefaultsIdle, "defaultsIdle", 0)                                        \
  X(kDefaultsInterval, "defaultsInterval", 1)                                \
  X(kDefaultsCount, "defaultsCount", 2)                                      \
  X(kDefaultsDocumented, "defaultsDocumented", 3)                            \
  X(kIntValue, "intValue", 0)                                                \
  X(kFailedSyscall, "failedSyscall", kSlotCount - 1) /* index in syscalls */

enum Slot : size_t {
#define TCPKA_ENUM(slot, name, index) slot = index,
  TCPKA_SLOTS(TCPKA_ENUM)
#undef TCPKA_ENUM
};
static_assert(static_cast<size_t>(kTcpInfoFieldCount) < kFailedSyscall,
              "slots too small");
static_assert(kStateRemembered < kFailedSyscall, "slots too small");

// Arguments are validated in JavaScript; these checks only make sure that
// a direct call with nonsense throws instead of reaching the kernel.
bool ArgsAreNumbers(const Napi::CallbackInfo& info, size_t count);
Napi::Value ThrowArgs(const Napi::CallbackInfo& info);
// An error with a Node-style `code`, thrown into JavaScript.
Napi::Value ThrowCoded(Napi::Env env, const char* code,
                       const std::string& message, bool range = false);

// The bytes of an ArrayBufferView, as the engine knows them.
struct ViewBytes {
  uint8_t* data = nullptr;
  size_t length = 0;
};
// The bytes a TypedArray or DataView truly covers, or false with a coded
// exception pending (see binding.cc).
bool BytesOfView(Napi::Env env, napi_value view, size_t max_length,
                 ViewBytes* out);

inline SocketHandle Handle(const Napi::Value& value) {
  return static_cast<SocketHandle>(value.As<Napi::Number>().Int64Value());
}

// The status as the return value: 0, or the negative errno with the failed
// call's index in the failedSyscall slot.
Napi::Value Result(Napi::Env env, double* slots, const Status& status);
// A keepalive state in the layout of the slots: field f at at[f], then the
// masks (kStateUnsupported, kStateRemembered). getKeepalive writes it at the
// start of the slots, processKeepalive once per descriptor.
void StoreState(double* at, const KeepaliveState& state);
// The defaults in their slots and the source as the return value; a
// negative errno on failure. systemDefaults and netnsSystemDefaults share it.
Napi::Value DefaultsResult(Napi::Env env, double* slots, const Status& status,
                           const SystemDefaults& defaults);

// A function of an OS's own bindings, enumerable and read-only like the
// portable ones, with `slots` as its data (info.Data()).
inline Napi::PropertyDescriptor SlotsFunction(
    Napi::Env env, Napi::Object exports, const char* name,
    Napi::Value (*callback)(const Napi::CallbackInfo&), double* slots) {
  return Napi::PropertyDescriptor::Function(env, exports, name, callback,
                                            napi_enumerable, slots);
}

// --- Defined by each OS's binding file -------------------------------------

// Adds this OS's own functions and values to the exports (Linux: the
// diagnostics of diagnostics/linux/; Windows: findSocket). Their calls
// get `slots` as their data.
void RegisterPlatformExtras(Napi::Env env, Napi::Object exports,
                            double* slots);
// Names of the system calls only this OS's code makes, appended to
// `syscalls`: their numbers continue Syscall's. Writes their number.
const char* const* PlatformSyscallNames(size_t* count);

}  // namespace binding
}  // namespace tcpka

#endif  // TCP_KEEPALIVE_BINDING_H_

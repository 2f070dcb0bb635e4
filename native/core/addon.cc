// The portable N-API bindings: argument unpacking, result packing, and
// nothing else. The socket work is in the back ends behind keepalive.h; each
// OS's own bindings are registered from its binding.cc (darwin/, win/,
// diagnostics/linux/: RegisterPlatformExtras), the helpers they share are in
// binding.cc here.
//
// Calls on the hot path (get/set keepalive, TCP_INFO, generic options) return
// a number: 0 (or a length) on success, a negative libuv-style errno on
// failure. Their values go into `slots`, a Float64Array owned by this
// instance of the addon (one per thread), which saves creating an object per
// call; lib/native.ts turns them into plain objects and errors. A keepalive
// request comes in through the same slots, which saves converting five
// arguments per call. Which slot holds what is exported as `slotIndex`.
#include <napi.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "core/binding.h"
#include "core/keepalive.h"

namespace tcpka {
namespace binding {
namespace {

const char* const kSyscallNames[] = {
#define TCPKA_NAME(syscall, name) name,
    TCPKA_SYSCALLS(TCPKA_NAME)
#undef TCPKA_NAME
};

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

const char* const kFieldNames[] = {
#define TCPKA_NAME(field, name, option, kind) name,
    TCPKA_KEEPALIVE_FIELDS(TCPKA_NAME)
#undef TCPKA_NAME
};
const char* const kFieldOptions[] = {
#define TCPKA_OPTION(field, name, option, kind) option,
    TCPKA_KEEPALIVE_FIELDS(TCPKA_OPTION)
#undef TCPKA_OPTION
};
const char* const kFieldKinds[] = {
#define TCPKA_KIND(field, name, option, kind) kind,
    TCPKA_KEEPALIVE_FIELDS(TCPKA_KIND)
#undef TCPKA_KIND
};

Napi::Object SlotIndexObject(Napi::Env env) {
  Napi::Object object = Napi::Object::New(env);
#define TCPKA_SET(slot, name, index) \
  object.Set(name, static_cast<double>(slot));
  TCPKA_SLOTS(TCPKA_SET)
#undef TCPKA_SET
  return object;
}

template <size_t N>
Napi::Array StringArray(Napi::Env env, const char* const (&names)[N]) {
  Napi::Array array = Napi::Array::New(env, N);
  for (size_t i = 0; i < N; ++i) array.Set(static_cast<uint32_t>(i), names[i]);
  return array;
}

Napi::Array SyscallNames(Napi::Env env) {
  Napi::Array array = StringArray(env, kSyscallNames);
  size_t count = 0;
  const char* const* names = PlatformSyscallNames(&count);
  for (size_t i = 0; i < count; ++i) array.Set(array.Length(), names[i]);
  return array;
}

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports) {
    Napi::Float64Array slots = Napi::Float64Array::New(env, kSlotCount);
    slots_ = slots.Data();
    slots_ref_ = Napi::Persistent(slots);

    DefineAddon(
        exports,
        {
            InstanceValue("slots", slots, napi_enumerable),
            InstanceValue("syscalls", SyscallNames(env), napi_enumerable),
            InstanceValue("keepaliveFields", StringArray(env, kFieldNames),
                          napi_enumerable),
            InstanceValue("keepaliveOptions", StringArray(env, kFieldOptions),
                          napi_enumerable),
            InstanceValue("keepaliveFieldKinds", StringArray(env, kFieldKinds),
                          napi_enumerable),
            InstanceValue("slotIndex", SlotIndexObject(env), napi_enumerable),
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
            InstanceMethod<&Addon::WriteKeepaliveNoRollbackJs>(
                "writeKeepaliveNoRollback", napi_enumerable),
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
            InstanceValue("refusedOptions", RefusedOptionsArray(env),
                          napi_enumerable),
            InstanceValue("maxOptionLength",
                          Napi::Number::New(
                              env, static_cast<double>(kMaxOptionLength)),
                          napi_enumerable),
#if defined(TCPKA_TEST_HOOKS)
            InstanceMethod<&Addon::TestAllowRefusedReadsJs>(
                "testAllowRefusedReads", napi_enumerable),
#endif
        });
    RegisterPlatformExtras(env, exports, slots_);
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
    object.Set("probeAtChosenMoment", caps.probe_at_chosen_moment);
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

  static Napi::Array RefusedOptionsArray(Napi::Env env) {
    size_t count = 0;
    const RefusedOption* refused = GetRefusedOptions(&count);
    Napi::Array array = Napi::Array::New(env, count);
    for (size_t i = 0; i < count; ++i) {
      Napi::Object entry = Napi::Object::New(env);
      entry.Set("level", refused[i].level);
      entry.Set("first", refused[i].first_name);
      entry.Set("last", refused[i].last_name);
      entry.Set("label", refused[i].label);
      entry.Set("reason", refused[i].reason);
      array.Set(static_cast<uint32_t>(i), entry);
    }
    return array;
  }

  Napi::Value Result(Napi::Env env, const Status& status) {
    return binding::Result(env, slots_, status);
  }

  void StoreState(const KeepaliveState& state) {
    binding::StoreState(slots_, state);
  }

  // getKeepalive(fd)
  Napi::Value GetKeepaliveJs(const Napi::CallbackInfo& info) {
    if (!ArgsAreNumbers(info, 1)) return ThrowArgs(info);
    KeepaliveState state;
    Status status = tcpka::GetKeepalive(Handle(info[0]), &state);
    if (status.ok()) StoreState(state);
    return Result(info.Env(), status);
  }

  // The request's values come in through `slots`, as they go out: the
  // slots of KeepaliveState (enable, idle, interval, count, userTimeout).
  KeepaliveRequest RequestFromSlots(const Napi::CallbackInfo& info) {
    KeepaliveRequest request;
    request.fields = info[1].As<Napi::Number>().Uint32Value();
    request.enable = slots_[kEnable] != 0;
    request.idle_ms = slots_[kIdle];
    request.interval_ms = slots_[kInterval];
    request.count = slots_[kCount];
    request.user_timeout_ms = slots_[kUserTimeout];
    return request;
  }

  // setKeepalive(fd, fields): all or nothing, then the state read back.
  Napi::Value SetKeepaliveJs(const Napi::CallbackInfo& info) {
    if (!ArgsAreNumbers(info, 2)) return ThrowArgs(info);
    KeepaliveState state;
    Status status =
        tcpka::SetKeepalive(Handle(info[0]), RequestFromSlots(info), &state);
    if (status.ok()) StoreState(state);
    return Result(info.Env(), status);
  }

  // writeKeepaliveNoRollback(fd, fields): write only (see keepalive.h).
  Napi::Value WriteKeepaliveNoRollbackJs(const Napi::CallbackInfo& info) {
    if (!ArgsAreNumbers(info, 2)) return ThrowArgs(info);
    return Result(info.Env(), tcpka::WriteKeepaliveNoRollback(
                                  Handle(info[0]), RequestFromSlots(info)));
  }

  // getTcpInfo(fd)
  Napi::Value GetTcpInfoJs(const Napi::CallbackInfo& info) {
    if (!ArgsAreNumbers(info, 1)) return ThrowArgs(info);
    TcpInfo tcp_info;
    Status status = tcpka::GetTcpInfo(Handle(info[0]), &tcp_info);
    if (status.ok()) {
      for (unsigned i = 0; i < kTcpInfoFieldCount; ++i)
        slots_[i] = tcp_info.values[i];
    }
    return Result(info.Env(), status);
  }

  // systemDefaults(): the source on success, a negative errno on failure.
  Napi::Value SystemDefaultsJs(const Napi::CallbackInfo& info) {
    SystemDefaults defaults;
    Status status = tcpka::GetSystemDefaults(&defaults);
    return DefaultsResult(info.Env(), slots_, status, defaults);
  }

  // --- Generic options -------------------------------------------------
  // Every payload goes through scratch_ (see GuardedScratch): the kernel
  // never sees the caller's memory, and an option that makes it write or
  // read past the length it was given fails with EFAULT at the guard.

  // Throws ERR_INVALID_ARG_VALUE if this OS's list refuses the option; the
  // facade checks the same list first, this covers direct binding calls.
  // `read` matters only to the test hooks.
  bool ThrowIfRefused(Napi::Env env, int level, int name,
                      [[maybe_unused]] bool read) {
#if defined(TCPKA_TEST_HOOKS)
    if (read && allow_refused_reads_) return false;
#endif
    const RefusedOption* refused = FindRefusedOption(level, name);
    if (refused == nullptr) return false;
    ThrowCoded(env, "ERR_INVALID_ARG_VALUE",
               "The argument 'name' is " + std::string(refused->label) +
                   " (level " + std::to_string(level) +
                   "), which getSockOpt/setSockOpt refuse on this platform: " +
                   refused->reason + ". Received " + std::to_string(name));
    return true;
  }

  // Scratch bytes for a payload, or a failed Status (ENOMEM) if the memory
  // could not be mapped.
  uint8_t* Scratch(size_t length, Syscall syscall, Status* status) {
    uint8_t* tail = scratch_.Tail(length);
    if (tail == nullptr) *status = Status{kErrorNoMemory, syscall};
    return tail;
  }

  // The arguments every generic call starts with: fd, level, name, and for
  // the buffer calls the view (the 4th). False, with a coded exception
  // pending, for nonsense, a refused option or an unusable view.
  struct OptionCall {
    SocketHandle sock = 0;
    int level = 0;
    int name = 0;
    ViewBytes view;
  };

  // `payload` says which argument follows (fd, level, name): nothing more, an
  // int value, or a view.
  enum class Payload { kNone, kInt, kView };

  bool ParseOptionCall(const Napi::CallbackInfo& info, Payload payload,
                       bool read, OptionCall* call) {
    const bool valid =
        payload == Payload::kView
            ? ArgsAreNumbers(info, 3) && info.Length() >= 4
            : ArgsAreNumbers(info, payload == Payload::kInt ? 4 : 3);
    if (!valid) {
      ThrowArgs(info);
      return false;
    }
    call->sock = Handle(info[0]);
    call->level = info[1].As<Napi::Number>().Int32Value();
    call->name = info[2].As<Napi::Number>().Int32Value();
    if (ThrowIfRefused(info.Env(), call->level, call->name, read)) return false;
    if (payload != Payload::kView) return true;
    return BytesOfView(info.Env(), info[3], kMaxOptionLength, &call->view);
  }

  // getSockOptInt(fd, level, name): the value goes to the intValue slot.
  Napi::Value GetSockOptIntJs(const Napi::CallbackInfo& info) {
    OptionCall call;
    if (!ParseOptionCall(info, Payload::kNone, true, &call))
      return info.Env().Undefined();
    Status status;
    uint8_t* bytes = Scratch(sizeof(int), Syscall::kGetsockopt, &status);
    if (bytes == nullptr) return Result(info.Env(), status);
    std::memset(bytes, 0, sizeof(int));
    size_t length = sizeof(int);
    status = GetSockOptBytes(call.sock, call.level, call.name, bytes, &length);
    if (status.ok()) {
      int value = 0;
      std::memcpy(&value, bytes, sizeof(value));
      // Some options (IP_TOS on some systems) answer with a single byte.
      slots_[kIntValue] = length == 1 ? bytes[0] : value;
    }
    return Result(info.Env(), status);
  }

  // setSockOptInt(fd, level, name, value)
  Napi::Value SetSockOptIntJs(const Napi::CallbackInfo& info) {
    OptionCall call;
    if (!ParseOptionCall(info, Payload::kInt, false, &call))
      return info.Env().Undefined();
    const int value = info[3].As<Napi::Number>().Int32Value();
    Status status;
    uint8_t* bytes = Scratch(sizeof(value), Syscall::kSetsockopt, &status);
    if (bytes == nullptr) return Result(info.Env(), status);
    std::memcpy(bytes, &value, sizeof(value));
    status = SetSockOptBytes(call.sock, call.level, call.name, bytes,
                             sizeof(value));
    return Result(info.Env(), status);
  }

  // getSockOptBuffer(fd, level, name, view): the length written, which is
  // never more than the view's length.
  Napi::Value GetSockOptBufferJs(const Napi::CallbackInfo& info) {
    OptionCall call;
    if (!ParseOptionCall(info, Payload::kView, true, &call))
      return info.Env().Undefined();
    Status status;
    uint8_t* bytes = Scratch(call.view.length, Syscall::kGetsockopt, &status);
    if (bytes == nullptr) return Result(info.Env(), status);
    size_t length = call.view.length;
    status = GetSockOptBytes(call.sock, call.level, call.name, bytes, &length);
    if (!status.ok()) return Result(info.Env(), status);
    if (length > 0) std::memcpy(call.view.data, bytes, length);
    return Napi::Number::New(info.Env(), static_cast<double>(length));
  }

  // setSockOptBuffer(fd, level, name, view)
  Napi::Value SetSockOptBufferJs(const Napi::CallbackInfo& info) {
    OptionCall call;
    if (!ParseOptionCall(info, Payload::kView, false, &call))
      return info.Env().Undefined();
    Status status;
    uint8_t* bytes = Scratch(call.view.length, Syscall::kSetsockopt, &status);
    if (bytes == nullptr) return Result(info.Env(), status);
    // A copy: the kernel reads a private snapshot, never memory another
    // thread (a SharedArrayBuffer) can change under it.
    if (call.view.length > 0)
      std::memcpy(bytes, call.view.data, call.view.length);
    status = SetSockOptBytes(call.sock, call.level, call.name, bytes,
                             call.view.length);
    return Result(info.Env(), status);
  }

#if defined(TCPKA_TEST_HOOKS)
  // testAllowRefusedReads(on): only in test builds (test:asan), so that the
  // tests can show the guard stopping an overrun the list would have caught.
  Napi::Value TestAllowRefusedReadsJs(const Napi::CallbackInfo& info) {
    allow_refused_reads_ = info.Length() > 0 && info[0].ToBoolean().Value();
    return info.Env().Undefined();
  }
  bool allow_refused_reads_ = false;
#endif

  double* slots_ = nullptr;
  Napi::Reference<Napi::Float64Array> slots_ref_;
  GuardedScratch scratch_;
};

}  // namespace
}  // namespace binding
}  // namespace tcpka

// The macro pastes the class name into identifiers, so it takes a plain name.
using TcpKeepaliveAddon = tcpka::binding::Addon;
NODE_API_NAMED_ADDON(tcp_keepalive, TcpKeepaliveAddon)

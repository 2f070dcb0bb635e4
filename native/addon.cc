// N-API bindings only: argument unpacking, result packing, and nothing else.
// The socket work is in the back ends behind keepalive.h.
//
// Calls on the hot path (get/set keepalive, TCP_INFO, generic options) return
// a number: 0 (or a length) on success, a negative libuv-style errno on
// failure. Their values go into `slots`, a Float64Array owned by this
// instance of the addon (one per thread), which saves creating an object per
// call; lib/native.ts turns them into plain objects and errors. A keepalive
// request comes in through the same slots, which saves converting five
// arguments per call. Which slot holds what is exported as `slotIndex`.
#include <napi.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "keepalive.h"
#if defined(__linux__)
#include <string>

#include "diagnostics.h"
#endif
#if defined(_WIN32)
#include <string>

#include "keepalive_win.h"
#endif

namespace tcpka {
namespace {

// The layout of the shared slots (see the top of this file), exported as
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
                                         "setns",       "pthread_create"};
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

const char* const kFieldNames[] = {
#define TCPKA_NAME(field, name, option) name,
    TCPKA_KEEPALIVE_FIELDS(TCPKA_NAME)
#undef TCPKA_NAME
};
const char* const kFieldOptions[] = {
#define TCPKA_OPTION(field, name, option) option,
    TCPKA_KEEPALIVE_FIELDS(TCPKA_OPTION)
#undef TCPKA_OPTION
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
            InstanceMethod<&Addon::WriteKeepaliveNoRollbackJs>("writeKeepaliveNoRollback",
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

  // An error with a Node-style `code`, thrown into JavaScript.
  static Napi::Value ThrowCoded(Napi::Env env, const char* code,
                                const std::string& message,
                                bool range = false) {
    napi_value code_value = nullptr, message_value = nullptr, error = nullptr;
    napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_value);
    napi_create_string_utf8(env, message.c_str(), message.size(),
                            &message_value);
    if (range)
      napi_create_range_error(env, code_value, message_value, &error);
    else
      napi_create_type_error(env, code_value, message_value, &error);
    napi_throw(env, error);
    return env.Undefined();
  }

  // The bytes of an ArrayBufferView, as the engine knows them.
  struct ViewBytes {
    uint8_t* data = nullptr;
    size_t length = 0;
  };

  static size_t ElementSize(napi_typedarray_type type) {
    switch (type) {
      case napi_int8_array:
      case napi_uint8_array:
      case napi_uint8_clamped_array: return 1;
      case napi_int16_array:
      case napi_uint16_array: return 2;
      case napi_int32_array:
      case napi_uint32_array:
      case napi_float32_array: return 4;
      case napi_float64_array:
      case napi_bigint64_array:
      case napi_biguint64_array: return 8;
      default: return 0;
    }
  }

  // The bytes a TypedArray or DataView covers: the data pointer N-API
  // computes (right for a SharedArrayBuffer too, where
  // napi_get_arraybuffer_info fails) and the current length (right for
  // length-tracking views of resizable buffers), never the view's own
  // `byteOffset`/`byteLength` properties, which JavaScript can redefine.
  // A detached buffer or anything else unusable throws a coded error here,
  // before any system call.
  static bool BytesOfView(Napi::Env env, napi_value view, size_t max_length,
                          ViewBytes* out) {
    bool is_typed_array = false;
    bool is_data_view = false;
    napi_value arraybuffer = nullptr;
    void* data = nullptr;
    size_t length = 0;
    if (napi_is_typedarray(env, view, &is_typed_array) == napi_ok &&
        is_typed_array) {
      napi_typedarray_type type;
      size_t elements = 0;
      if (napi_get_typedarray_info(env, view, &type, &elements, &data,
                                   &arraybuffer, nullptr) != napi_ok ||
          ElementSize(type) == 0) {
        ThrowCoded(env, "ERR_INVALID_ARG_TYPE",
                   "The \"buffer\" argument must be a TypedArray of a known "
                   "element type or a DataView.");
        return false;
      }
      length = elements * ElementSize(type);
    } else if (napi_is_dataview(env, view, &is_data_view) == napi_ok &&
               is_data_view) {
      if (napi_get_dataview_info(env, view, &length, &data, &arraybuffer,
                                 nullptr) != napi_ok) {
        ThrowCoded(env, "ERR_INVALID_ARG_TYPE",
                   "The \"buffer\" argument must be a readable DataView.");
        return false;
      }
    } else {
      ThrowCoded(env, "ERR_INVALID_ARG_TYPE",
                 "The \"buffer\" argument must be an instance of TypedArray "
                 "or DataView.");
      return false;
    }
    bool detached = false;
    if (napi_is_detached_arraybuffer(env, arraybuffer, &detached) !=
            napi_ok ||
        detached || (length > 0 && data == nullptr)) {
      ThrowCoded(env, "ERR_INVALID_ARG_VALUE",
                 "The argument 'buffer' is backed by a detached ArrayBuffer.");
      return false;
    }
    if (length > max_length) {
      ThrowCoded(env, "ERR_OUT_OF_RANGE",
                 "The value of \"buffer.byteLength\" is out of range. It "
                 "must be <= " + std::to_string(max_length) +
                     ". Received " + std::to_string(length),
                 true);
      return false;
    }
    out->data = static_cast<uint8_t*>(data);
    out->length = length;
    return true;
  }

  static SocketHandle Handle(const Napi::Value& value) {
    return static_cast<SocketHandle>(value.As<Napi::Number>().Int64Value());
  }

  Napi::Value Result(Napi::Env env, const Status& status) {
    if (!status.ok()) slots_[kFailedSyscall] = static_cast<int>(status.syscall);
    return Napi::Number::New(env, status.error);
  }

  void StoreState(const KeepaliveState& state) {
    slots_[kEnable] = state.enable ? 1 : 0;
    slots_[kIdle] = state.idle_ms;
    slots_[kInterval] = state.interval_ms;
    slots_[kCount] = state.count;
    slots_[kUserTimeout] = state.user_timeout_ms;
    slots_[kStateUnsupported] = state.unsupported;
    slots_[kStateRemembered] = state.remembered;
  }

  // The defaults in their slots, and the source as the return value; a
  // negative errno on failure.
  Napi::Value DefaultsResult(Napi::Env env, const Status& status,
                             const SystemDefaults& defaults) {
    if (!status.ok()) return Result(env, status);
    slots_[kDefaultsIdle] = defaults.idle_ms;
    slots_[kDefaultsInterval] = defaults.interval_ms;
    slots_[kDefaultsCount] = defaults.count;
    slots_[kDefaultsDocumented] = defaults.documented_default ? 1 : 0;
    return Napi::String::New(env, defaults.source);
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
    return DefaultsResult(info.Env(), status, defaults);
  }

  // --- Generic options -------------------------------------------------
  // Every payload goes through scratch_ (see GuardedScratch): the kernel
  // never sees the caller's memory, and an option that makes it write or
  // read past the length it was given fails with EFAULT at the guard.

  // Throws ERR_INVALID_ARG_VALUE if this OS's list refuses the option; the
  // facade checks the same list first, this covers direct binding calls.
  bool ThrowIfRefused(Napi::Env env, int level, int name, bool read) {
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
#if defined(_WIN32)
    constexpr int kNoMemory = -4057;  // UV_ENOMEM
#else
    constexpr int kNoMemory = -ENOMEM;
#endif
    if (tail == nullptr) *status = Status{kNoMemory, syscall};
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
    ViewBytes view;
    if (!BytesOfView(info.Env(), info[1], SIZE_MAX, &view))
      return info.Env().Undefined();
    size_t count = 0;
    Status status =
        tcpka::CaptureRead(Handle(info[0]), view.data, view.length, &count);
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
    return DefaultsResult(info.Env(), status, defaults);
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

  double* slots_ = nullptr;
  Napi::Reference<Napi::Float64Array> slots_ref_;
  GuardedScratch scratch_;
};

}  // namespace
}  // namespace tcpka

// The macro pastes the class name into identifiers, so it takes a plain name.
using TcpKeepaliveAddon = tcpka::Addon;
NODE_API_NAMED_ADDON(tcp_keepalive, TcpKeepaliveAddon)

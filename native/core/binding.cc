// The helpers every binding file uses (binding.h).
#include "core/binding.h"

#include <string>

namespace tcpka {
namespace binding {

bool ArgsAreNumbers(const Napi::CallbackInfo& info, size_t count) {
  if (info.Length() < count) return false;
  for (size_t i = 0; i < count; ++i)
    if (!info[i].IsNumber()) return false;
  return true;
}

Napi::Value ThrowArgs(const Napi::CallbackInfo& info) {
  Napi::TypeError::New(info.Env(), "invalid arguments to native binding")
      .ThrowAsJavaScriptException();
  return info.Env().Undefined();
}

Napi::Value ThrowCoded(Napi::Env env, const char* code,
                       const std::string& message, bool range) {
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

namespace {

size_t ElementSize(napi_typedarray_type type) {
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

}  // namespace

// The bytes a TypedArray or DataView covers: the data pointer N-API
// computes (right for a SharedArrayBuffer too, where
// napi_get_arraybuffer_info fails) and the current length (right for
// length-tracking views of resizable buffers), never the view's own
// `byteOffset`/`byteLength` properties, which JavaScript can redefine.
// A detached buffer or anything else unusable throws a coded error here,
// before any system call.
bool BytesOfView(Napi::Env env, napi_value view, size_t max_length,
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

Napi::Value Result(Napi::Env env, double* slots, const Status& status) {
  if (!status.ok()) slots[kFailedSyscall] = static_cast<int>(status.syscall);
  return Napi::Number::New(env, status.error);
}

void StoreState(double* at, const KeepaliveState& state) {
  at[kEnable] = state.enable ? 1 : 0;
  at[kIdle] = state.idle_ms;
  at[kInterval] = state.interval_ms;
  at[kCount] = state.count;
  at[kUserTimeout] = state.user_timeout_ms;
  at[kStateUnsupported] = state.unsupported;
  at[kStateRemembered] = state.remembered;
}

Napi::Value DefaultsResult(Napi::Env env, double* slots, const Status& status,
                           const SystemDefaults& defaults) {
  if (!status.ok()) return Result(env, slots, status);
  slots[kDefaultsIdle] = defaults.idle_ms;
  slots[kDefaultsInterval] = defaults.interval_ms;
  slots[kDefaultsCount] = defaults.count;
  slots[kDefaultsDocumented] = defaults.documented_default ? 1 : 0;
  return Napi::String::New(env, defaults.source);
}

}  // namespace binding
}  // namespace tcpka

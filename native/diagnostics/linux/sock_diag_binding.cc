// N-API glue for the kernel's socket table (sock_diag.h): argument
// unpacking and result packing.
#if defined(__linux__)

#include <cstdint>

#include "diagnostics/linux/binding.h"
#include "diagnostics/linux/sock_diag.h"

namespace tcpka {
namespace binding {
namespace {

const char* const kSlotNames[] = {
#define TCPKA_NAME(field, name) name,
    TCPKA_SOCK_DIAG_SLOTS(TCPKA_NAME)
#undef TCPKA_NAME
};

// sockDiagOpen(netnsFd): a descriptor, or a negative errno. -1: this namespace.
Napi::Value SockDiagOpenJs(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) return ThrowArgs(info);
  int fd = -1;
  Status status = SockDiagOpen(info[0].As<Napi::Number>().Int32Value(), &fd);
  if (!status.ok()) return Fail(info, status);
  return Napi::Number::New(info.Env(), fd);
}

// sockDiagDump(fd, family, localPort, remotePort, buffer[, inodes]): how
// many sockets matched (records beyond the buffer's room are not written).
// `inodes`, a sorted Float64Array, keeps only those sockets.
Napi::Value SockDiagDumpJs(const Napi::CallbackInfo& info) {
  if (info.Length() < 5 || !info[0].IsNumber() || !info[1].IsNumber() ||
      !info[2].IsNumber() || !info[3].IsNumber() || !info[4].IsTypedArray())
    return ThrowArgs(info);
  const bool byInode = info.Length() > 5 && !info[5].IsUndefined();
  if (byInode && (!info[5].IsTypedArray() ||
                  info[5].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array))
    return ThrowArgs(info);
  SockDiagFilter filter;
  if (byInode) {
    Napi::Float64Array inodes = info[5].As<Napi::Float64Array>();
    filter.inodes = inodes.Data();
    filter.inode_count = inodes.ElementLength();
  }
  filter.family = info[1].As<Napi::Number>().Int32Value();
  filter.local_port = static_cast<uint16_t>(info[2].As<Napi::Number>().Uint32Value());
  filter.remote_port = static_cast<uint16_t>(info[3].As<Napi::Number>().Uint32Value());
  Napi::TypedArray array = info[4].As<Napi::TypedArray>();
  uint8_t* data = static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
  size_t found = 0;
  Status status = SockDiagDump(info[0].As<Napi::Number>().Int32Value(), filter,
                               data, array.ByteLength(), &found);
  if (!status.ok()) return Fail(info, status);
  return Napi::Number::New(info.Env(), static_cast<double>(found));
}

}  // namespace

void RegisterSockDiagBinding(Napi::Env env, Napi::Object exports,
                             double* slots) {
  Napi::Array names = Napi::Array::New(env, kSockDiagSlotCount);
  for (uint32_t i = 0; i < kSockDiagSlotCount; ++i) names.Set(i, kSlotNames[i]);
  exports.Set("sockDiagFields", names);
  exports.Set("sockDiagRecordSize", static_cast<double>(kSockDiagRecordSize));
  exports.Set("sockDiagAddressOffset", static_cast<double>(kSockDiagAddressOffset));
  exports.Set("sockDiagOpen", Napi::Function::New(env, SockDiagOpenJs, "sockDiagOpen", slots));
  exports.Set("sockDiagDump", Napi::Function::New(env, SockDiagDumpJs, "sockDiagDump", slots));
}

}  // namespace binding
}  // namespace tcpka

#endif  // __linux__

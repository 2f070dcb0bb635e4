// N-API glue for the Linux diagnostics that binding_linux.cc does not carry (the
// sock_diag dump, keepalive of many descriptors of another process):
// argument unpacking and result packing.
#if defined(__linux__)

#include "diagnostics_binding_linux.h"

#include <algorithm>
#include <vector>

#include "binding.h"
#include "diagnostics.h"
#include "sock_diag_linux.h"

namespace tcpka {
namespace binding {
namespace {

const char* const kSlotNames[] = {
#define TCPKA_NAME(field, name) name,
    TCPKA_SOCK_DIAG_SLOTS(TCPKA_NAME)
#undef TCPKA_NAME
};

Napi::Value Fail(const Napi::CallbackInfo& info, const Status& status) {
  return Result(info.Env(), static_cast<double*>(info.Data()), status);
}

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

// Slots per descriptor written by processKeepalive: 0 or a negative errno,
// the index of the failed call in `syscalls`, then the slots getKeepalive
// writes (KeepaliveState as StoreState lays it out).
constexpr size_t kProcessKeepaliveState = 2;
constexpr size_t kProcessKeepaliveSlots =
    kProcessKeepaliveState + kStateRemembered + 1;

// processKeepalive(pidfd, fds, out): for each descriptor of the process,
// its keepalive settings through a duplicate closed at once; one call for
// all, so that `inspect` of many sockets crosses into the addon once.
Napi::Value ProcessKeepaliveJs(const Napi::CallbackInfo& info) {
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsTypedArray() ||
      !info[2].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      info[2].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    return ThrowArgs(info);
  const int pidfd = info[0].As<Napi::Number>().Int32Value();
  Napi::Int32Array fds = info[1].As<Napi::Int32Array>();
  Napi::Float64Array out = info[2].As<Napi::Float64Array>();
  const size_t count = std::min(fds.ElementLength(), out.ElementLength() / kProcessKeepaliveSlots);
  for (size_t i = 0; i < count; ++i) {
    double* slots = out.Data() + i * kProcessKeepaliveSlots;
    KeepaliveState state;
    Status status = ProcessKeepalive(pidfd, fds[i], &state);
    slots[0] = status.ok() ? 0 : status.error;
    slots[1] = static_cast<int>(status.syscall);
    StoreState(slots + kProcessKeepaliveState, state);
  }
  return Napi::Number::New(info.Env(), static_cast<double>(count));
}

// processSockets(pid): the socket descriptors of the process and their
// inodes as a Float64Array of pairs (fd, inode), in descriptor order, or a
// negative errno. One walk of /proc/PID/fd: the array is made to fit.
Napi::Value ProcessSocketsJs(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) return ThrowArgs(info);
  std::vector<SocketDescriptor> sockets;
  Status status = ListSocketDescriptors(info[0].As<Napi::Number>().Int32Value(), &sockets);
  if (!status.ok()) return Fail(info, status);
  Napi::Float64Array pairs = Napi::Float64Array::New(info.Env(), 2 * sockets.size());
  for (size_t i = 0; i < sockets.size(); ++i) {
    pairs[2 * i] = sockets[i].fd;
    pairs[2 * i + 1] = static_cast<double>(sockets[i].inode);
  }
  return pairs;
}

}  // namespace

void RegisterLinuxDiagnostics(Napi::Env env, Napi::Object exports,
                              double* slots) {
  Napi::Array names = Napi::Array::New(env, kSockDiagSlotCount);
  for (uint32_t i = 0; i < kSockDiagSlotCount; ++i) names.Set(i, kSlotNames[i]);
  exports.Set("sockDiagFields", names);
  exports.Set("sockDiagRecordSize", static_cast<double>(kSockDiagRecordSize));
  exports.Set("sockDiagAddressOffset", static_cast<double>(kSockDiagAddressOffset));
  exports.Set("sockDiagOpen", Napi::Function::New(env, SockDiagOpenJs, "sockDiagOpen", slots));
  exports.Set("sockDiagDump", Napi::Function::New(env, SockDiagDumpJs, "sockDiagDump", slots));
  exports.Set("processSockets", Napi::Function::New(env, ProcessSocketsJs, "processSockets", slots));
  exports.Set("processKeepaliveSlots", static_cast<double>(kProcessKeepaliveSlots));
  exports.Set("processKeepalive", Napi::Function::New(env, ProcessKeepaliveJs, "processKeepalive", slots));
}

}  // namespace binding
}  // namespace tcpka

#endif  // __linux__

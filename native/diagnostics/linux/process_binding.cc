// N-API glue for another process's sockets (process.h): argument unpacking
// and result packing.
#if defined(__linux__)

#include <algorithm>
#include <vector>

#include "diagnostics/linux/binding.h"
#include "diagnostics/linux/process.h"

namespace tcpka {
namespace binding {
namespace {

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
  std::vector<KeepaliveState> states(count);
  std::vector<Status> statuses(count);
  ProcessKeepaliveAll(pidfd, fds.Data(), count, states.data(), statuses.data());
  for (size_t i = 0; i < count; ++i) {
    double* slots = out.Data() + i * kProcessKeepaliveSlots;
    slots[0] = statuses[i].ok() ? 0 : statuses[i].error;
    slots[1] = static_cast<int>(statuses[i].syscall);
    StoreState(slots + kProcessKeepaliveState, states[i]);
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

void RegisterProcessBinding(Napi::Env env, Napi::Object exports,
                            double* slots) {
  exports.DefineProperties({
      SlotsFunction(env, exports, "pidfdOpen", PidfdOpenJs, slots),
      SlotsFunction(env, exports, "pidfdGetfd", PidfdGetfdJs, slots),
      SlotsFunction(env, exports, "netnsSystemDefaults", NetnsSystemDefaultsJs,
                    slots),
  });
  exports.Set("processSockets", Napi::Function::New(env, ProcessSocketsJs, "processSockets", slots));
  exports.Set("processKeepaliveSlots", static_cast<double>(kProcessKeepaliveSlots));
  exports.Set("processKeepalive", Napi::Function::New(env, ProcessKeepaliveJs, "processKeepalive", slots));
}

}  // namespace binding
}  // namespace tcpka

#endif  // __linux__

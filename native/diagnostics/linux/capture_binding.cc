// N-API glue for packet capture (capture.h): argument unpacking and result
// packing.
#if defined(__linux__)

#include <cstdint>

#include "diagnostics/linux/binding.h"
#include "diagnostics/linux/capture.h"

namespace tcpka {
namespace binding {
namespace {

// (family, localAddress, localPort, remoteAddress, remotePort) at `first`.
bool FlowArgs(const Napi::CallbackInfo& info, size_t first,
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

// captureOpen(family, localAddress, localPort, remoteAddress, remotePort)
Napi::Value CaptureOpenJs(const Napi::CallbackInfo& info) {
  FlowSpec flow;
  if (!FlowArgs(info, 0, &flow)) return ThrowArgs(info);
  int fd = -1;
  Status status = tcpka::CaptureOpen(flow, &fd);
  return DescriptorResult(info, status, fd);
}

// captureSetFlow(fd, family, localAddress, localPort, remoteAddress,
// remotePort)
Napi::Value CaptureSetFlowJs(const Napi::CallbackInfo& info) {
  FlowSpec flow;
  if (!ArgsAreNumbers(info, 1) || !FlowArgs(info, 1, &flow))
    return ThrowArgs(info);
  return Result(info.Env(), SlotsOf(info),
                tcpka::CaptureSetFlow(Handle(info[0]), flow));
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
  if (!status.ok()) return Fail(info, status);
  return Napi::Number::New(info.Env(), static_cast<double>(count));
}

}  // namespace

void RegisterCaptureBinding(Napi::Env env, Napi::Object exports,
                            double* slots) {
  exports.DefineProperties({
      Napi::PropertyDescriptor::Value(
          "packetRecordSize",
          Napi::Number::New(env, static_cast<double>(kPacketRecordSize)),
          napi_enumerable),
      SlotsFunction(env, exports, "captureOpen", CaptureOpenJs, slots),
      SlotsFunction(env, exports, "captureSetFlow", CaptureSetFlowJs, slots),
      SlotsFunction(env, exports, "captureRead", CaptureReadJs, slots),
  });
}

}  // namespace binding
}  // namespace tcpka

#endif  // __linux__

// The JavaScript side of the Linux diagnostics beyond binding_linux.cc's own
// (sock_diag_linux.h, ProcessKeepalive), registered from binding_linux.cc.
#ifndef TCP_KEEPALIVE_DIAGNOSTICS_BINDING_LINUX_H_
#define TCP_KEEPALIVE_DIAGNOSTICS_BINDING_LINUX_H_

#include <napi.h>


namespace tcpka {
namespace binding {

// Adds sockDiagFields, sockDiagRecordSize, sockDiagAddressOffset,
// sockDiagOpen, sockDiagDump, processSockets, processKeepaliveSlots and
// processKeepalive to `exports`. A failing call stores the index of its
// system call in the failedSyscall slot of `slots`, as every call does.
void RegisterLinuxDiagnostics(Napi::Env env, Napi::Object exports,
                              double* slots);

}  // namespace binding
}  // namespace tcpka

#endif  // TCP_KEEPALIVE_DIAGNOSTICS_BINDING_LINUX_H_

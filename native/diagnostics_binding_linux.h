// The JavaScript side of the Linux diagnostics added after addon.cc's own
// (sock_diag_linux.h, ProcessKeepalive), registered by addon.cc on Linux.
#ifndef TCP_KEEPALIVE_DIAGNOSTICS_BINDING_LINUX_H_
#define TCP_KEEPALIVE_DIAGNOSTICS_BINDING_LINUX_H_

#include <napi.h>

#include <cstddef>

namespace tcpka {

// Adds sockDiagFields, sockDiagRecordSize, sockDiagAddressOffset,
// sockDiagOpen, sockDiagDump, processSockets, processKeepaliveSlots and
// processKeepalive to `exports`. A failing call stores the
// index of its system call in results[syscall_slot], as every call does.
void RegisterLinuxDiagnostics(Napi::Env env, Napi::Object exports, double* results,
                      size_t syscall_slot);

}  // namespace tcpka

#endif  // TCP_KEEPALIVE_DIAGNOSTICS_BINDING_LINUX_H_

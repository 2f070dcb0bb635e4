// MinGW builds only (tools/windows/build.ts; MSVC builds get cmake-js's own
// hook): the N-API functions are imported from "node.exe" through a
// delay-load import library (dlltool -y), and this hook answers that import
// with the executable that is running, whatever its name. Without it the
// addon would only load into a process whose file is named node.exe, not into
// Electron or a renamed or embedded Node.
#if defined(_WIN32) && defined(__MINGW32__)

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
// clang-format off
#include <windows.h>
#include <delayimp.h>
// clang-format on

namespace {

FARPROC WINAPI LoadHostExecutable(unsigned event, PDelayLoadInfo info) {
  if (event != dliNotePreLoadLibrary) return nullptr;
  if (lstrcmpiA(info->szDll, "node.exe") != 0) return nullptr;
  return reinterpret_cast<FARPROC>(GetModuleHandleW(nullptr));
}

}  // namespace

// Read by mingw-w64's __delayLoadHelper2 (libmingwex); declared in delayimp.h.
PfnDliHook __pfnDliNotifyHook2 = LoadHostExecutable;

#endif  // _WIN32 && __MINGW32__

// The Windows system defaults: Tcpip's KeepAliveTime and KeepAliveInterval
// in the registry, the documented values where they are absent.
#ifdef _WIN32

#include "core/socket_headers.h"

#include "win/backend.h"

namespace tcpka {

namespace {

const wchar_t kParametersKey[] =
    L"SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters";

// Returns false with *status set on a real failure; true with *found false
// when the value is absent.
bool ReadRegistryDword(const wchar_t* name, DWORD* value, bool* found,
                       Status* status) {
  DWORD size = sizeof(*value);
  LONG rc = RegGetValueW(HKEY_LOCAL_MACHINE, kParametersKey, name,
                         RRF_RT_REG_DWORD, nullptr, value, &size);
  *found = rc == ERROR_SUCCESS;
  if (rc == ERROR_SUCCESS || rc == ERROR_FILE_NOT_FOUND) return true;
  *status = Status{UvErrorFromWin(static_cast<unsigned long>(rc)),
                   Syscall::kRegGetValue};
  return false;
}

}  // namespace

// Tcpip reads these values at boot, so one read per process is exact.
const RegistryDefaults& ReadRegistryDefaults() {
  static const RegistryDefaults kDefaults = [] {
    RegistryDefaults result;
    DWORD time = 0, interval = 0;
    bool has_time = false, has_interval = false;
    if (!ReadRegistryDword(L"KeepAliveTime", &time, &has_time,
                           &result.status) ||
        !ReadRegistryDword(L"KeepAliveInterval", &interval, &has_interval,
                           &result.status))
      return result;
    SystemDefaults& d = result.defaults;
    d.idle_ms = has_time ? time : kDocumentedIdleMs;
    d.interval_ms = has_interval ? interval : kDocumentedIntervalMs;
    d.count = kDocumentedCount;
    d.documented_default = !has_time || !has_interval;
    if (has_time && has_interval) {
      d.source =
          "registry HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\"
          "Parameters KeepAliveTime, KeepAliveInterval; count: 10, fixed by "
          "Windows";
    } else if (has_time) {
      d.source =
          "registry HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\"
          "Parameters KeepAliveTime; KeepAliveInterval absent: documented "
          "default 1000 ms; count: 10, fixed by Windows";
    } else if (has_interval) {
      d.source =
          "registry HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\"
          "Parameters KeepAliveInterval; KeepAliveTime absent: documented "
          "default 7200000 ms; count: 10, fixed by Windows";
    } else {
      d.source =
          "documented defaults (KeepAliveTime, KeepAliveInterval absent from "
          "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters); "
          "count: 10, fixed by Windows";
    }
    return result;
  }();
  return kDefaults;
}

Status GetSystemDefaults(SystemDefaults* out) {
  const RegistryDefaults& defaults = ReadRegistryDefaults();
  if (!defaults.status.ok()) return defaults.status;
  *out = defaults.defaults;
  return Status{};
}

}  // namespace tcpka

#endif  // _WIN32

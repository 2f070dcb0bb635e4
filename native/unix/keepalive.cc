// Keepalive on POSIX sockets, shared by Linux and macOS. Which option carries
// which field, and in which unit, comes from the OS-specific file through
// unix_backend::Option().
#ifndef _WIN32

#include <sys/mman.h>
#include <sys/socket.h>

#include <cmath>

#include "unix/backend.h"

namespace tcpka {

using unix_backend::ErrnoStatus;
using unix_backend::Option;
using unix_backend::OptionSpec;

namespace {

// Read order: an IPPROTO_TCP option comes first, so that a socket that is not
// TCP (Unix domain, UDP), a closed descriptor or a non-socket fails on the very
// first call, before SO_KEEPALIVE (which any socket accepts) is touched.
constexpr Field kReadOrder[] = {kIdle, kInterval, kCount, kUserTimeout,
                                kEnable};
// Write order: timers first and the switch last, so that keepalive is never
// armed with the old timers when it is being turned on.
constexpr Field kWriteOrder[] = {kIdle, kInterval, kCount, kUserTimeout,
                                 kEnable};

double* FieldSlot(KeepaliveState* state, Field field) {
  switch (field) {
    case kIdle: return &state->idle_ms;
    case kInterval: return &state->interval_ms;
    case kCount: return &state->count;
    case kUserTimeout: return &state->user_timeout_ms;
    default: return nullptr;
  }
}

Status ReadField(SocketHandle sock, Field field, KeepaliveState* state) {
  const OptionSpec& spec = Option(field);
  if (!spec.available) {
    state->unsupported |= FieldBit(field);
    return Status{};
  }
  int value = 0;
  socklen_t length = sizeof(value);
  if (getsockopt(sock, spec.level, spec.name, &value, &length) != 0)
    return ErrnoStatus(Syscall::kGetsockopt);
  if (field == kEnable) {
    state->enable = value != 0;  // macOS returns the flag bit, not 1
  } else {
    double v = field == kUserTimeout ? static_cast<unsigned>(value) : value;
    *FieldSlot(state, field) = spec.unit_ms > 0 ? v * spec.unit_ms : v;
  }
  return Status{};
}

Status WriteField(SocketHandle sock, Field field, const KeepaliveRequest& req) {
  const OptionSpec& spec = Option(field);
  // The facade checks capabilities first; this keeps the back end honest if
  // it is called directly.
  if (!spec.available) return Status{-ENOPROTOOPT, Syscall::kSetsockopt};
  double requested = 0;
  switch (field) {
    case kEnable: requested = req.enable ? 1 : 0; break;
    case kIdle: requested = req.idle_ms; break;
    case kInterval: requested = req.interval_ms; break;
    case kCount: requested = req.count; break;
    case kUserTimeout: requested = req.user_timeout_ms; break;
    default: break;
  }
  // The caller has already rounded up to the unit; ceil() only guards.
  int value = static_cast<int>(
      spec.unit_ms > 0 ? std::ceil(requested / spec.unit_ms) : requested);
  if (setsockopt(sock, spec.level, spec.name, &value, sizeof(value)) != 0)
    return ErrnoStatus(Syscall::kSetsockopt);
  return Status{};
}

KeepaliveRequest RequestFromState(const KeepaliveState& state,
                                  unsigned fields) {
  KeepaliveRequest req;
  req.fields = fields;
  req.enable = state.enable;
  req.idle_ms = state.idle_ms;
  req.interval_ms = state.interval_ms;
  req.count = state.count;
  req.user_timeout_ms = state.user_timeout_ms;
  return req;
}

// Puts back the fields in `applied`, newest first. Best effort: the original
// failure is what the caller reports.
void Restore(SocketHandle sock, const KeepaliveState& before,
             unsigned applied) {
  KeepaliveRequest previous = RequestFromState(before, applied);
  for (int i = static_cast<int>(kFieldCount) - 1; i >= 0; --i) {
    Field field = kWriteOrder[i];
    if (applied & FieldBit(field)) WriteField(sock, field, previous);
  }
}

}  // namespace

Status GetKeepalive(SocketHandle sock, KeepaliveState* out) {
  KeepaliveState state;
  for (Field field : kReadOrder) {
    Status status = ReadField(sock, field, &state);
    if (!status.ok()) return status;
  }
  *out = state;
  return Status{};
}

Status SetKeepalive(SocketHandle sock, const KeepaliveRequest& request,
                    KeepaliveState* out) {
  // The snapshot doubles as the check that this is a TCP socket, and holds
  // both the values to restore and those of the fields left untouched.
  KeepaliveState before;
  Status status = GetKeepalive(sock, &before);
  if (!status.ok()) return status;

  unsigned applied = 0;
  for (Field field : kWriteOrder) {
    if (!(request.fields & FieldBit(field))) continue;
    status = WriteField(sock, field, request);
    if (!status.ok()) {
      Restore(sock, before, applied);
      return status;
    }
    applied |= FieldBit(field);
  }

  // Read back what the kernel made of each changed field.
  KeepaliveState after = before;
  for (Field field : kReadOrder) {
    if (!(applied & FieldBit(field))) continue;
    status = ReadField(sock, field, &after);
    if (!status.ok()) {
      Restore(sock, before, applied);
      return status;
    }
  }
  *out = after;
  return Status{};
}

Status WriteKeepaliveNoRollback(SocketHandle sock, const KeepaliveRequest& request) {
  for (Field field : kWriteOrder) {
    if (!(request.fields & FieldBit(field))) continue;
    Status status = WriteField(sock, field, request);
    if (!status.ok()) return status;
  }
  return Status{};
}

namespace {
// Reserved past the usable bytes, never made accessible: large enough that a
// kernel writing records at a stride past the end still lands in it.
constexpr size_t kGuardLength = size_t{1} << 20;
}  // namespace

GuardedScratch::~GuardedScratch() {
  if (mapping_ != nullptr) munmap(mapping_, kMaxOptionLength + kGuardLength);
}

uint8_t* GuardedScratch::Tail(size_t length) {
  if (length > kMaxOptionLength) return nullptr;
  if (mapping_ == nullptr) {
    void* mapping = mmap(nullptr, kMaxOptionLength + kGuardLength, PROT_NONE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mapping == MAP_FAILED) return nullptr;
    if (mprotect(mapping, kMaxOptionLength, PROT_READ | PROT_WRITE) != 0) {
      munmap(mapping, kMaxOptionLength + kGuardLength);
      return nullptr;
    }
    mapping_ = mapping;
    guard_ = static_cast<uint8_t*>(mapping) + kMaxOptionLength;
  }
  return guard_ - length;
}

Status GetSockOptBytes(SocketHandle sock, int level, int name, void* buffer,
                       size_t* length) {
  socklen_t len = static_cast<socklen_t>(*length);
  if (getsockopt(sock, level, name, buffer, &len) != 0)
    return ErrnoStatus(Syscall::kGetsockopt);
  // The kernel never reports more than it was given room for, but the
  // caller's buffer bound is ours to keep.
  *length = len < *length ? len : *length;
  return Status{};
}

Status SetSockOptBytes(SocketHandle sock, int level, int name,
                       const void* buffer, size_t length) {
  if (setsockopt(sock, level, name, buffer, static_cast<socklen_t>(length)) !=
      0)
    return ErrnoStatus(Syscall::kSetsockopt);
  return Status{};
}

}  // namespace tcpka

#endif  // !_WIN32

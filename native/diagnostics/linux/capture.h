// Seeing one TCP connection's packets (capture.cc): an AF_PACKET socket
// that receives only that flow's segments. Needs CAP_NET_RAW.
#ifndef TCP_KEEPALIVE_DIAGNOSTICS_LINUX_CAPTURE_H_
#define TCP_KEEPALIVE_DIAGNOSTICS_LINUX_CAPTURE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "diagnostics/linux/diagnostics.h"

namespace tcpka {

// The TCP flow to capture, in both directions. An empty address or a zero
// port matches any; `family` is 4, 6, or 0 for both (only with both
// addresses empty). At least one port must be given.
struct FlowSpec {
  int family = 0;
  std::string local_address;
  uint16_t local_port = 0;
  std::string remote_address;
  uint16_t remote_port = 0;
};

// One captured TCP segment, as written to the caller's buffer: little-endian,
// kPacketRecordSize bytes each.
//   0  f64  kernel receive/send time, ms since the Unix epoch
//   8  u32  interface index
//   12 u8   packet type (PACKET_HOST 0 ... PACKET_OUTGOING 4)
//   13 u8   IP version (4 or 6)
//   14 u8   TCP flags (FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 ...)
//   15 u8   TCP header length, bytes
//   16 u16  source port        18 u16  destination port
//   20 u32  sequence number    24 u32  acknowledgment number
//   28 u32  payload length     32 u32  window (as sent, unscaled)
//   36 u32  reserved
//   40 [16] source address (IPv4 in the first 4 bytes)
//   56 [16] destination address
constexpr size_t kPacketRecordSize = 72;

// Opens a non-blocking AF_PACKET socket that receives only `flow`'s
// segments, on every interface, outgoing and incoming (loopback's outgoing
// copies are skipped so that each segment is seen once). Needs CAP_NET_RAW.
Status CaptureOpen(const FlowSpec& flow, int* fd_out);
// Narrows (or widens) an open capture to another flow.
Status CaptureSetFlow(int fd, const FlowSpec& flow);
// Reads what is queued, never blocking, into `out` (capacity / record size
// records at most); *count receives the number of records written.
Status CaptureRead(int fd, uint8_t* out, size_t capacity, size_t* count);

}  // namespace tcpka

#endif  // TCP_KEEPALIVE_DIAGNOSTICS_LINUX_CAPTURE_H_

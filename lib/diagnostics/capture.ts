// One flow's packets, as the addon captures them (AF_PACKET; root or
// CAP_NET_RAW at run time; native/diagnostics/linux/capture.cc). The records are decoded
// by the command (lib/cli/live/wire/capture.ts).
import { binding } from '../native';
import { checked, unsupported } from './calls';

export interface FlowFilter {
  /** 4, 6, or 0 for both (addresses empty then). */
  readonly family: 0 | 4 | 6;
  /** '' = any. */
  readonly localAddress: string;
  /** 0 = any. */
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

export const packetRecordSize = binding.packetRecordSize ?? 0;

/** A capture descriptor for one flow (close it with fs.closeSync); EPERM without CAP_NET_RAW. */
export function openCapture(filter: FlowFilter): number {
  if (!binding.captureOpen) throw unsupported('packet capture (AF_PACKET)');
  return checked(binding.captureOpen(filter.family, filter.localAddress, filter.localPort, filter.remoteAddress, filter.remotePort));
}

export function setCaptureFlow(fd: number, filter: FlowFilter): void {
  checked(binding.captureSetFlow!(fd, filter.family, filter.localAddress, filter.localPort, filter.remoteAddress, filter.remotePort));
}

/** Records queued on the capture, written to `buffer` without blocking: how many. */
export function readCapture(fd: number, buffer: Uint8Array): number {
  return checked(binding.captureRead!(fd, buffer));
}

// The packet capture as the live view reads it: each segment labelled by its
// flow's analyzer (which remembers what the flow sent before) and handed to
// the connection that owns the flow.
import type { PacketCapture } from './capture';
import { FlowAnalyzer, segmentFlowKey, type Segment, type SegmentLabel } from './segments';

// Flows seen on the wire but never claimed by a connection are forgotten.
const UNCLAIMED_FLOW_TTL_MS = 30_000;

export interface FlowOwner {
  onSegment(segment: Segment, label: SegmentLabel): void;
}

export class PacketFeed {
  private readonly analyzers = new Map<string, FlowAnalyzer>();

  constructor(
    private capture: PacketCapture | null,
    /** The connection a flow belongs to, if one is watched. */
    private readonly ownerOf: (flowKey: string) => FlowOwner | undefined,
    /** Says why the capture stopped. */
    private readonly note: (text: string) => void,
  ) {}

  /** Packets are still being captured. */
  get capturing(): boolean {
    return this.capture !== null;
  }

  /** Hands every segment captured since the last read to its connection. */
  read(): void {
    if (!this.capture) return;
    let segments;
    try {
      segments = this.capture.read();
    } catch (error) {
      // ENETDOWN is reported once when an interface goes away; carry on.
      if ((error as NodeJS.ErrnoException).code === 'ENETDOWN') return;
      this.note(`packet capture stopped: ${(error as Error).message}; inferring from TCP_INFO from now on`);
      this.close();
      return;
    }
    for (const segment of segments) {
      const key = segmentFlowKey(segment);
      let analyzer = this.analyzers.get(key);
      if (!analyzer) {
        analyzer = new FlowAnalyzer();
        this.analyzers.set(key, analyzer);
      }
      const label = analyzer.classify(segment);
      this.ownerOf(key)?.onSegment(segment, label);
    }
  }

  /** Forgets a flow whose connection ended. */
  forget(flowKey: string): void {
    this.analyzers.delete(flowKey);
  }

  /** Forgets flows seen on the wire that no connection claims (on the slow look: there may be many). */
  prune(now: number): void {
    for (const [key, analyzer] of this.analyzers) {
      if (!this.ownerOf(key) && now - analyzer.lastSeenMs > UNCLAIMED_FLOW_TTL_MS) this.analyzers.delete(key);
    }
  }

  close(): void {
    this.capture?.close();
    this.capture = null;
  }
}

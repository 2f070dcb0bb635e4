// The ES module entry point: the same single instance as the CommonJS one
// (no dual-package hazard: one addon load, one set of pending requests).
export {
  adviseKeepalive,
  capabilities,
  configureAgent,
  constants,
  DEAD_PEER_CHANNEL,
  getDefaultKeepalive,
  getKeepalive,
  getSockOpt,
  getTcpInfo,
  idleTimeoutLimits,
  measureIdleTimeout,
  MIDDLEBOX_IDLE_TIMEOUTS,
  PROBE_FRAME_BYTES,
  RFC5382_IDLE_MS,
  setDefaultKeepalive,
  setKeepalive,
  setSockOpt,
  systemDefaults,
  TIMER_LATENESS,
  undiciConnect,
} from './index.js';
export type * from './index.js';

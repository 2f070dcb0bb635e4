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
  setDefaultKeepalive,
  setKeepalive,
  setSockOpt,
  systemDefaults,
  undiciConnect,
} from './index.js';
export type * from './index.js';

// The ES module entry point: the same single instance as the CommonJS one
// (no dual-package hazard: one addon load, one set of pending requests).
export {
  capabilities,
  configureAgent,
  constants,
  DEAD_PEER_CHANNEL,
  getDefaultKeepalive,
  getKeepalive,
  getSockOpt,
  getTcpInfo,
  setDefaultKeepalive,
  setKeepalive,
  setSockOpt,
  systemDefaults,
  undiciConnect,
} from './index.js';
export type * from './index.js';

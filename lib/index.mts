// The ES module entry point: the same single instance as the CommonJS one
// (no dual-package hazard: one addon load, one set of pending requests).
export {
  setKeepalive,
  getKeepalive,
  systemDefaults,
  getTcpInfo,
  getSockOpt,
  setSockOpt,
  capabilities,
  constants,
} from './index.js';
export type * from './index.js';

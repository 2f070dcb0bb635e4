// lib/: the library. index.ts (index.mts for ES modules) is the public API;
// beside it the facade's modules (validation, errors, target resolution,
// the addon's loader), the entry points net-keepalive and register, and three
// folders: path/ (measureIdleTimeout, public), diagnostics/ (what the command
// needs beyond the API) and cli/ (the command).
// May import: node:*, the addon (through native.ts), ../binding.d.ts; the
// facade never imports diagnostics/ or cli/.
/**
 * tcp-keepalive: full, honest control of TCP keepalive.
 *
 * Every function talks to the kernel directly: what it returns is what the
 * kernel holds after the call, read back with getsockopt.
 */
export {
  capabilities,
  constants,
  getKeepalive,
  getSockOpt,
  getTcpInfo,
  setKeepalive,
  setSockOpt,
  systemDefaults,
} from './keepalive';
export { configureAgent, undiciConnect, type UndiciConnector } from './integrations';
export {
  DEAD_PEER_CHANNEL,
  getDefaultKeepalive,
  setDefaultKeepalive,
  type ConnectionInfo,
  type DeadPeerMessage,
  type DefaultKeepaliveOptions,
} from './default';
export type {
  Capabilities,
  FieldCapability,
  KeepaliveField,
  KeepaliveOptions,
  KeepaliveState,
  SocketConstants,
  SockOptType,
  SystemDefaults,
  TcpInfo,
  TcpStateName,
} from './types';
export type { KeepaliveTarget } from './target';
export { adviseKeepalive, type AdviseInput, type KeepaliveAdvice } from './advice';
export { idleTimeoutLimits, measureIdleTimeout } from './path/measure';
export type {
  MeasureIdleTimeoutOptions,
  PathMeasurement,
  PathMode,
  PathProgress,
  PathTarget,
  Rfc5382Verdict,
} from './path/types';

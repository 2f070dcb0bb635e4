// ES module entry point of the net-keepalive drop-in (see net-keepalive.ts).
export {
  getKeepAliveInterval,
  getKeepAliveProbes,
  getUserTimeout,
  setKeepAliveInterval,
  setKeepAliveProbes,
  setUserTimeout,
} from './net-keepalive.js';

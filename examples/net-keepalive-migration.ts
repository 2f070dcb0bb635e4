// Code written for net-keepalive runs unchanged after changing the import.
import net from 'node:net';
import * as NetKeepAlive from 'tcp-keepalive/net-keepalive'; // was: from 'net-keepalive'

export function tune(socket: net.Socket): { interval: number; probes: number } {
  socket.setKeepAlive(true, 5_000);
  NetKeepAlive.setKeepAliveInterval(socket, 1_000);
  NetKeepAlive.setKeepAliveProbes(socket, 3);
  return { interval: NetKeepAlive.getKeepAliveInterval(socket), probes: NetKeepAlive.getKeepAliveProbes(socket) };
}

// Keepalive where users' connections come from: http/https agents and
// undici (and so Node's fetch). Servers need nothing extra: an http, https or
// tls server is a net.Server, which setKeepalive() takes directly.
import type * as http from 'node:http';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { types } from 'node:util';
import { invalidArgType, moduleNotFound, unreadableArg } from './errors';
import { applyRequest } from './keepalive';
import type { KeepaliveOptions } from './types';
import { validateKeepaliveOptions, type KeepaliveRequest } from './validators';

const kConfigured = Symbol('tcp-keepalive.agentRequest');

type ConfigurableAgent = http.Agent & { [kConfigured]?: KeepaliveRequest };

// The agent's own createConnection, read once; anything that is not an agent
// (null, a primitive, a proxy, an object without createConnection) is
// ERR_INVALID_ARG_TYPE, never a TypeError from reading it.
function agentCreateConnection(agent: unknown): http.Agent['createConnection'] {
  let createConnection: unknown;
  if (agent !== null && typeof agent === 'object' && !types.isProxy(agent)) {
    try {
      createConnection = (agent as http.Agent).createConnection;
    } catch (error) {
      throw unreadableArg('agent', error, configureAgent);
    }
  }
  if (typeof createConnection !== 'function') {
    throw invalidArgType('agent', 'an instance of http.Agent or https.Agent', agent, configureAgent);
  }
  return createConnection as http.Agent['createConnection'];
}

/**
 * Makes every socket an `http.Agent` or `https.Agent` (or an agent built on
 * them) creates get `options` as soon as it connects; returns the agent.
 *
 * A socket that cannot take the options is destroyed with the error, which
 * the request reports as its `'error'`. Node's own agents call
 * `socket.setKeepAlive(true, keepAliveMsecs)` when a kept-alive socket goes
 * back to the pool, which would overwrite idle, interval and count: the
 * options are applied again after that. Calling it again on the same agent
 * replaces the options.
 */
export function configureAgent<A extends http.Agent>(agent: A, options: KeepaliveOptions): A {
  const createConnection = agentCreateConnection(agent);
  // Read once and kept as numbers: later changes to `options` change nothing.
  const request = validateKeepaliveOptions(options, configureAgent);
  const target = agent as A & ConfigurableAgent;
  const alreadyConfigured = target[kConfigured] !== undefined;
  target[kConfigured] = request;
  if (alreadyConfigured) return agent;

  // Applies the options, or returns why it could not. A socket still
  // connecting gets them on 'connect', where a failure destroys it with the
  // error, which the request reports.
  const configure = (stream: Duplex): Error | undefined => {
    if (!(stream instanceof net.Socket)) return invalidArgType('socket', 'an instance of net.Socket', stream);
    try {
      applyRequest(stream, target[kConfigured]!, applyRequest);
      return undefined;
    } catch (error) {
      return error as Error;
    }
  };

  // An immediate failure goes through createConnection's callback, which the
  // agent turns into the request's 'error' (a socket destroyed here would
  // emit its error before the request listens to it).
  target.createConnection = function (this: http.Agent, connectOptions, callback) {
    let handedOver: Duplex | null | undefined;
    const wrapped: typeof callback = callback && ((error, stream) => {
      if (error || !stream || stream === handedOver) return callback(error, stream);
      handedOver = stream;
      const failure = configure(stream);
      if (failure) {
        stream.destroy();
        return callback(failure, undefined as unknown as Duplex);
      }
      return callback(null, stream);
    });
    const stream = createConnection.call(this, connectOptions, wrapped);
    if (!stream || stream === handedOver) return stream;
    handedOver = stream;
    const failure = configure(stream);
    if (!failure) return stream;
    stream.destroy();
    if (!callback) throw failure;
    callback(failure, undefined as unknown as Duplex);
    return undefined;
  };

  // Node's agents call socket.setKeepAlive(true, keepAliveMsecs) here, which
  // would overwrite idle, interval and count: apply the options again.
  // (@types/node says void; Node returns whether the socket stays pooled.)
  const keepSocketAlive = target.keepSocketAlive as (this: http.Agent, socket: Duplex) => unknown;
  target.keepSocketAlive = function (this: http.Agent, socket: Duplex) {
    const keep = keepSocketAlive.call(this, socket);
    if (keep && socket instanceof net.Socket && !socket.destroyed) {
      try {
        applyRequest(socket, target[kConfigured]!, applyRequest);
      } catch (error) {
        socket.destroy(error as Error);
        return false;
      }
    }
    return keep;
  } as http.Agent['keepSocketAlive'];
  return agent;
}

/** undici's connector shape: `new undici.Agent({ connect })`. */
export type UndiciConnector = (
  options: object,
  callback: (...result: [error: null, socket: net.Socket] | [error: Error, socket: null]) => void,
) => void;

interface UndiciModule {
  buildConnector(options?: Record<string, unknown>): UndiciConnector;
}

function loadUndici(): UndiciModule {
  try {
    return require('undici') as UndiciModule;
  } catch (cause) {
    throw moduleNotFound('undiciConnect() needs the optional peer dependency "undici": npm install undici', cause);
  }
}

// undici's options, copied once (own enumerable properties, as spread does):
// a getter runs once, and the caller's object can change afterwards.
function snapshotConnectOptions(connectOptions: unknown): Record<string, unknown> {
  if (connectOptions === null || typeof connectOptions !== 'object') {
    throw invalidArgType('connectOptions', 'of type object', connectOptions, undiciConnect);
  }
  try {
    return { ...connectOptions };
  } catch (error) {
    throw unreadableArg('connectOptions', error, undiciConnect);
  }
}

/**
 * A connector for `new undici.Agent({ connect })` (and so for `fetch`, through
 * undici's `setGlobalDispatcher`) that applies `options` to each connection.
 * `connectOptions` go to undici's own `buildConnector` (TLS options, timeout,
 * ...). A connection that cannot take the options is closed and the request
 * fails with the error. Needs the `undici` package installed.
 */
export function undiciConnect(options: KeepaliveOptions, connectOptions: Record<string, unknown> = {}): UndiciConnector {
  const request = validateKeepaliveOptions(options, undiciConnect);
  const connect = loadUndici().buildConnector(snapshotConnectOptions(connectOptions));
  return (connectionOptions, callback) => {
    connect(connectionOptions, (error, socket) => {
      if (error || !socket) {
        callback(error ?? new Error('undici connector returned no socket'), null);
        return;
      }
      try {
        // undici calls back once connected (after the TLS handshake for
        // https), so the socket has its descriptor and this applies now.
        applyRequest(socket, request, applyRequest);
      } catch (failure) {
        socket.destroy();
        callback(failure as Error, null);
        return;
      }
      callback(null, socket);
    });
  };
}

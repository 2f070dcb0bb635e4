// fetch() (undici) with keepalive on every connection. Needs `npm install undici`.
import { Agent, setGlobalDispatcher } from 'undici';
import { undiciConnect } from 'tcp-keepalive';

export function installKeepaliveDispatcher(): Agent {
  const dispatcher = new Agent({ connect: undiciConnect({ idle: 20_000, interval: 5_000, count: 3 }) });
  setGlobalDispatcher(dispatcher); // from now on, fetch() uses it
  return dispatcher;
}

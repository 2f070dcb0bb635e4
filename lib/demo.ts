// `npm run demo`: the system defaults, then a loopback connection configured
// with short timers, showing what was asked beside what the kernel holds.
import net from 'node:net';
import { once } from 'node:events';
import { capabilities, getTcpInfo, setKeepalive, systemDefaults, type KeepaliveOptions } from './index';

function seconds(ms: number | null): string {
  return ms === null ? 'n/a' : `${ms / 1000} s`;
}

async function main(): Promise<void> {
  const caps = capabilities();
  const defaults = systemDefaults();
  console.log(`System defaults (${defaults.source}):`);
  console.log(`  idle ${seconds(defaults.idle)}, interval ${seconds(defaults.interval)}, count ${defaults.count}`);

  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await once(client, 'connect');

  const asked: KeepaliveOptions = { idle: 1500, interval: 1000, count: 3, ...(caps.userTimeout.settable ? { userTimeout: 5000 } : {}) };
  const held = setKeepalive(client, asked)!;
  console.log('\nLoopback connection, keepalive set:');
  console.log('  option       asked      kernel holds');
  for (const field of ['idle', 'interval', 'count', 'userTimeout'] as const) {
    const want = asked[field];
    if (want === undefined) continue;
    const unit = field === 'count' ? '' : ' ms';
    console.log(`  ${field.padEnd(12)} ${`${want}${unit}`.padEnd(10)} ${held[field]}${unit}`);
  }
  console.log(`  enable       true       ${held.enable}`);
  console.log('  (times are rounded up to the kernel unit: 1500 ms became 2000 ms)');

  // Stay idle past the idle time so the kernel sends a probe; the peer's
  // kernel answers it, which shows as a fresh "last ACK received".
  await new Promise((resolve) => setTimeout(resolve, 2600));
  const info = getTcpInfo(client);
  console.log(`\nAfter 2.6 s idle: state ${info.state}, unanswered probes ${info.probes}, last ACK received ${info.lastAckRecv} ms ago (the probe's answer), last data ${info.lastDataRecv} ms ago`);
  client.destroy();
  server.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

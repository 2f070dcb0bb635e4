// Outgoing HTTP through an agent whose pooled connections are probed, so a
// dead pooled connection is found before a request is sent on it.
import http from 'node:http';
import { configureAgent } from 'tcp-keepalive';

export const agent = configureAgent(new http.Agent({ keepAlive: true }), { idle: 15_000, interval: 5_000, count: 3 });

export function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

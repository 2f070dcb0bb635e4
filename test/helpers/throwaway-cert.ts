// A self-signed certificate made for one test run with the system's openssl
// (key and certificate in a temporary folder, removed by the caller), so
// that no test depends on a committed key.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commandWorks } from './netns';

export interface ThrowawayCert {
  readonly dir: string;
  readonly keyPath: string;
  readonly certPath: string;
  readonly key: Buffer;
  readonly cert: Buffer;
  remove(): void;
}

export const canMakeCert = commandWorks('openssl', ['version']);

/** A fresh P-256 key and a certificate for localhost and 127.0.0.1, valid one day. */
export function makeThrowawayCert(): ThrowawayCert {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tka-cert-'));
  const keyPath = path.join(dir, 'key.pem');
  const certPath = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyPath, '-out', certPath,
      '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
    { stdio: 'ignore', timeout: 30_000 },
  );
  return {
    dir, keyPath, certPath,
    key: fs.readFileSync(keyPath),
    cert: fs.readFileSync(certPath),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { TlsFiles } from './config';

/**
 * Options for NestFactory.create: HTTPS with the configured pair (SNAPFERRY_TLS_CERT /
 * SNAPFERRY_TLS_KEY, checked by loadConfig), or nothing for plain HTTP. Both services use it.
 */
export function httpsOptions(tls: TlsFiles | null): {
  httpsOptions?: { cert: Buffer; key: Buffer };
} {
  if (!tls) return {};
  return { httpsOptions: { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) } };
}

/** The address a started service answers on, for its ready log line: https:// when TLS is on. */
export function serviceUrl(
  server: { address(): AddressInfo | string | null },
  tls: TlsFiles | null,
): string {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
}

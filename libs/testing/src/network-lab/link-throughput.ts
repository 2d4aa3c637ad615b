import { type NetworkLabHost } from './network-lab';

export interface LinkThroughput {
  bytes: number;
  seconds: number;
  bytesPerSec: number;
}

/**
 * The raw TCP throughput from `server` to `client`: a tiny HTTP server inside `server` sends
 * `bytes` (incompressible, from memory: no disk in the way) and curl inside `client` downloads
 * them to /dev/null. This is the baseline a copy over the same link is measured against. The
 * time is curl's own from its request to the last byte (connection setup excluded).
 */
export async function measureLinkThroughput({
  server,
  client,
  bytes,
  timeoutMs = 600_000,
}: {
  server: NetworkLabHost;
  client: NetworkLabHost;
  bytes: number;
  timeoutMs?: number;
}): Promise<LinkThroughput> {
  if (!Number.isInteger(bytes) || bytes <= 0) throw new Error(`bytes must be > 0, got ${bytes}`);
  const child = server.spawn([process.execPath, '-e', serverScript, server.ip, String(bytes)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const port = await listeningPort(child);
    const { stdout } = await client.exec(
      [
        'curl',
        '--silent',
        '--show-error',
        '--fail',
        '--output',
        '/dev/null',
        '--max-time',
        String(Math.ceil(timeoutMs / 1000)),
        '--write-out',
        '%{size_download} %{time_total} %{time_pretransfer}',
        `http://${server.ip}:${port}/`,
      ],
      { timeoutMs: timeoutMs + 5_000 },
    );
    const [size, total, pretransfer] = stdout.trim().split(' ').map(Number);
    if (size !== bytes) throw new Error(`curl received ${size} of ${bytes} bytes`);
    const seconds = total! - pretransfer!;
    return { bytes, seconds, bytesPerSec: bytes / seconds };
  } finally {
    child.kill('SIGKILL');
  }
}

/** Node script: serve argv[2] bytes of one random MiB repeated, on argv[1]:any port. */
const serverScript = `
const http = require('node:http');
const block = require('node:crypto').randomBytes(1024 * 1024);
const [host, total] = [process.argv[1], Number(process.argv[2])];
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total });
  let left = total;
  const pump = () => {
    while (left > 0) {
      const piece = left >= block.length ? block : block.subarray(0, left);
      left -= piece.length;
      if (!res.write(piece)) return res.once('drain', pump);
    }
    res.end();
  };
  pump();
});
server.listen(0, host, () => console.log('port ' + server.address().port));
`;

function listeningPort(child: import('node:child_process').ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`throughput server silent: ${output}`)),
      10_000,
    );
    const onData = (text: Buffer) => {
      output += text.toString('utf8');
      const match = /port (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`throughput server exited (${code}): ${output}`));
    });
  });
}

import { createHash, randomBytes } from 'node:crypto';
import type { ClientRequest } from 'node:http';
import { manifestRoot } from '@snapferry/storage';
import { slowPut } from '@snapferry/testing';
import { Api, tenantCount, tenantKey } from '../lib/api';
import type { Row } from '../lib/report';
import { procKiB } from '../lib/service';
import { diskId, sleep, sourceRegion, startStack } from '../lib/stack';

const MiB = 1024 * 1024;
const chunkSize = 4 * MiB;
/** The catalog's default SNAPFERRY_UPLOAD_MEMORY: the scenario runs with the defaults. */
const defaultUploadMemory = 512 * MiB;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A chunk PUT that sends `sent` of its `chunkSize` bytes and then nothing; resolves with the status (0: reset). */
function slowChunk(baseUrl: string, key: string, path: string, sent: Buffer) {
  const { answer, request } = slowPut(baseUrl, key, path, chunkSize, sent);
  return { status: answer.then((a) => a.status), request };
}

/**
 * 6. Slow uploads: the catalog's RSS while `count` chunk PUTs (4 MiB chunks, spread over the 8
 * tenant keys) have sent all but the last 64 KiB of their bodies and then stop, beside its RSS
 * idle just before, and its growth beside SNAPFERRY_UPLOAD_MEMORY (the default, 512 MiB): the
 * uploads beyond the budget are refused (429) before a byte is read; the rest hold their
 * buffers until the body pace cuts them off (30 s by default, after the measurement).
 */
export async function slowUploadsScenario(count = 200): Promise<Row[]> {
  const stack = await startStack({ replicators: 0 });
  const requests: ClientRequest[] = [];
  let idle = 0;
  let loaded = 0;
  let refused = 0;
  let held = 0;
  try {
    const catalog = stack.catalogs[0]!;
    const perKey = Math.ceil(count / tenantCount);
    const paths: { key: string; path: string }[] = [];
    for (let i = 0; i < tenantCount; i += 1) {
      const api = new Api(catalog.url, tenantKey(i));
      const id = await api.register(sourceRegion, diskId(), 1);
      const chunks = Array.from({ length: perKey }, () => ({
        digest: sha256(randomBytes(32)),
        size: chunkSize,
      }));
      await api.json('POST', `/v1/snapshots/${id}/data/manifest`, {
        chunkSize,
        imageDigest: sha256(randomBytes(32)),
        root: manifestRoot(chunks),
        chunks,
      });
      for (const chunk of chunks)
        paths.push({ key: tenantKey(i), path: `/v1/snapshots/${id}/data/chunks/${chunk.digest}` });
    }
    await sleep(2000);
    idle = procKiB(catalog.pid, 'VmRSS');

    const sent = randomBytes(chunkSize - 64 * 1024);
    const statuses: (number | undefined)[] = new Array<number | undefined>(count);
    for (let i = 0; i < count; i += 1) {
      const { key, path } = paths[i % paths.length]!;
      const upload = slowChunk(catalog.url, key, path, sent);
      requests.push(upload.request);
      void upload.status.then((status) => (statuses[i] = status));
    }
    // Measured once the answers stop coming (the refusals are at once) and the held bodies are in.
    let answered = -1;
    for (let quiet = 0; quiet < 3;) {
      await sleep(1000);
      const now = statuses.filter((s) => s !== undefined).length;
      quiet = now === answered ? quiet + 1 : 0;
      answered = now;
    }
    loaded = procKiB(catalog.pid, 'VmRSS');
    refused = statuses.filter((s) => s === 429).length;
    held = count - answered;
    process.stderr.write(
      `bench: slow uploads: catalog RSS idle ${(idle / 1024).toFixed(0)} MiB, with ${count} slow chunk uploads open ${(loaded / 1024).toFixed(0)} MiB; ${held} held, ${refused} refused (429), ${answered - refused} other answers\n`,
    );
  } finally {
    for (const request of requests) request.destroy();
    await stack.resources.cleanup();
  }
  const scenario = `6 slow uploads (${count} x 4 MiB chunk PUTs)`;
  return [
    {
      scenario,
      figure: `catalog RSS with ${count} slow chunk uploads open (${held} held, ${refused} refused)`,
      value: loaded / 1024,
      unit: 'MiB',
      baseline: 'catalog RSS idle',
      baselineValue: idle / 1024,
      better: 'lower',
    },
    {
      scenario,
      figure: 'catalog RSS growth with them open',
      value: (loaded - idle) / 1024,
      unit: 'MiB',
      baseline: 'SNAPFERRY_UPLOAD_MEMORY (default)',
      baselineValue: defaultUploadMemory / MiB,
      better: 'lower',
    },
  ];
}

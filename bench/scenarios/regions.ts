import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import {
  createNetworkLab,
  measureLinkThroughput,
  networkLabAvailable,
  type NetworkLab,
} from '@snapferry/testing';
import { Api } from '../lib/api';
import { DiskImage } from '../lib/images';
import type { Row } from '../lib/report';
import { Resources } from '../lib/resources';
import { Service } from '../lib/service';
import { benchEnv, diskId, writeBenchRegions } from '../lib/stack';
import { timeCopy, timeUpload } from './copy';

const MiB = 1024 * 1024;
const source = 'bx-src';
const target = 'bx-dst1';
const secret = 'bench-region-secret-0001';

/**
 * 5. Regions apart: the source and target regions each in their own network namespace, their
 * replicators serving their own stores, the only path between them a tbf-limited link. The cold
 * copy's throughput (request → target NORMAL) is compared with the link's raw TCP throughput
 * (curl of a file served from the source namespace into the target one), measured in the same
 * run; the incremental copy (1 % of the chunks changed) with the cold one.
 */
export async function regionsScenario(bytes: number, linkBytesPerSec: number): Promise<Row[]> {
  const available = networkLabAvailable();
  if (!available.ok) {
    process.stderr.write(`bench: 5 regions apart skipped: ${available.reason}\n`);
    return [];
  }
  const resources = new Resources();
  let lab: NetworkLab | undefined;
  try {
    lab = await createNetworkLab({ hosts: [source, target] });
    resources.onCleanup(() => lab!.destroy());
    const databaseUrl = await resources.database();
    const amqpUrl = await resources.vhost();
    const root = await resources.dir();
    const regionsFile = await writeBenchRegions(root, [source, target], (id) => ({
      storeUrl: `http://${lab!.host(id).ip}:3001`,
    }));
    const env: NodeJS.ProcessEnv = {
      ...benchEnv(databaseUrl, amqpUrl, regionsFile),
      SNAPFERRY_API_KEYS: 'benchkey-operator=ops:operator',
      SNAPFERRY_REGION_SECRET: secret,
    };
    const inLab = {
      DATABASE_URL: await lab.forward(databaseUrl),
      REPLICATOR_DATABASE_URL: await lab.forward(databaseUrl),
      AMQP_URL: await lab.forward(amqpUrl),
    };
    const services: Service[] = [];
    resources.onCleanup(() => Promise.all(services.map((s) => s.stop())));
    const catalog = await new Service('catalog', {
      ...env,
      SNAPFERRY_DATA_DIR: join(root, 'catalog'),
    }).start();
    services.push(catalog);
    for (const region of [source, target]) {
      const host = lab.host(region);
      services.push(
        await new Service(
          'replicator',
          {
            ...env,
            ...inLab,
            REPLICATOR_REGIONS: region,
            SNAPFERRY_DATA_DIR: join(root, region),
          },
          { within: { commandPrefix: host.commandPrefix, ip: host.ip, port: 3001 } },
        ).start(),
      );
    }
    const api = new Api(catalog.url);
    await api.enableBeta();

    for (const region of [source, target]) await lab.host(region).limitRate(linkBytesPerSec);
    const raw = await measureLinkThroughput({
      server: lab.host(source),
      client: lab.host(target),
      bytes: Math.min(bytes, 256 * MiB),
    });

    const files = await resources.dir('snapferry-bench-regions-');
    const image = new DiskImage(bytes);
    const gib = Math.ceil(bytes / 1024 ** 3);
    const disk = diskId();
    const first = join(files, 'first.img');
    await image.writeTo(first);
    const a = await api.register(source, disk, gib);
    await timeUpload(api, a, createReadStream(first));
    const cold = await timeCopy(api, a, target);
    const changed = image.change(0.01);
    const second = join(files, 'second.img');
    await image.writeTo(second);
    const b = await api.register(source, disk, gib);
    await timeUpload(api, b, createReadStream(second));
    const incremental = await timeCopy(api, b, target);

    const mib = bytes / MiB;
    const rawMiB = raw.bytesPerSec / MiB;
    const scenario = `5 regions apart (${mib >= 1024 ? `${mib / 1024} GiB` : `${mib} MiB`}, link ${linkBytesPerSec / MiB} MiB/s)`;
    return [
      {
        scenario,
        figure: 'cold copy MiB/s over the link (request → NORMAL)',
        value: mib / cold,
        unit: 'MiB/s',
        baseline: 'raw TCP on the same link (curl)',
        baselineValue: rawMiB,
        better: 'higher',
      },
      {
        scenario,
        figure: `incremental copy s (${changed} of ${image.blocks} chunks changed)`,
        value: incremental,
        unit: 's',
        baseline: 'the cold copy',
        baselineValue: cold,
        better: 'lower',
      },
    ];
  } finally {
    await resources.cleanup();
  }
}

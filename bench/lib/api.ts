import { spawn } from 'node:child_process';

/** A minimal client for the catalog's HTTP API, enough to drive the scenarios. */

export const benchKey = 'benchkey-operator';
export const benchAccount = 'ops';
/** Tenant accounts for traffic spread as real traffic is: `benchkey-acct<i>` is account `acct<i>`'s user key. */
export const tenantCount = 8;
export const tenantKey = (i: number) => `benchkey-acct${i}`;
export const tenantAccount = (i: number) => `acct${i}`;
export const benchApiKeys = [
  `${benchKey}=${benchAccount}:operator`,
  ...Array.from({ length: tenantCount }, (_, i) => `${tenantKey(i)}=${tenantAccount(i)}:user`),
].join(',');

export class Api {
  constructor(
    readonly baseUrl: string,
    private readonly key = benchKey,
  ) {}

  get headers(): Record<string, string> {
    return { authorization: `Bearer ${this.key}`, 'content-type': 'application/json' };
  }

  async json<T>(
    method: string,
    path: string,
    body?: unknown,
    expect: number[] = [200, 201, 202, 204],
  ): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: this.headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!expect.includes(response.status))
      throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  enableBeta(account = benchAccount): Promise<unknown> {
    return this.json('PUT', `/v1/accounts/${account}/beta`);
  }

  async register(region: string, diskId: string, diskSizeGiB: number): Promise<string> {
    const created = await this.json<{ snapshotId?: string; id?: string }>('POST', '/v1/snapshots', {
      region,
      diskId,
      diskUsage: 'DATA_DISK',
      diskSizeGiB,
    });
    const id = created.snapshotId ?? created.id;
    if (!id)
      throw new Error(`POST /v1/snapshots answered without an id: ${JSON.stringify(created)}`);
    return id;
  }

  /** Streams `body` (a Buffer or a Node readable) as the snapshot's data. */
  async upload(snapshotId: string, body: Buffer | NodeJS.ReadableStream): Promise<void> {
    const response = await fetch(`${this.baseUrl}/v1/snapshots/${snapshotId}/data`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${this.key}`, 'content-type': 'application/octet-stream' },
      body: body as unknown as NonNullable<RequestInit['body']>,
      ...(Buffer.isBuffer(body) ? {} : { duplex: 'half' }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`PUT data ${snapshotId}: ${response.status} ${text}`);
  }

  /**
   * `curl -T file` to `PUT /v1/snapshots/{id}/data`: the plain streaming upload as a simple
   * client sends it (Node's fetch streaming a file body tops out near 80 MiB/s on its own, so
   * it would measure the client, not the catalog).
   */
  uploadWithCurl(snapshotId: string, file: string): Promise<void> {
    return new Promise((done, fail) => {
      const child = spawn(
        'curl',
        [
          '--silent',
          '--show-error',
          '--fail',
          '--output',
          '/dev/null',
          '--upload-file',
          file,
          '--header',
          'content-type: application/octet-stream',
          '--header',
          `authorization: Bearer ${this.key}`,
          `${this.baseUrl}/v1/snapshots/${snapshotId}/data`,
        ],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
      child.once('error', fail);
      child.once('exit', (code) =>
        code === 0 ? done() : fail(new Error(`curl PUT data ${snapshotId} exited ${code}`)),
      );
    });
  }

  copy(snapshotId: string, destinationRegions: string[]): Promise<CopyAnswer> {
    return this.json<CopyAnswer>('POST', `/v1/snapshots/${snapshotId}/copies`, {
      destinationRegions,
    });
  }

  replication(id: string): Promise<{ state: string; error?: unknown }> {
    return this.json('GET', `/v1/replications/${id}`);
  }

  async normalCount(region: string): Promise<number> {
    const page = await this.json<{ total: number }>(
      'GET',
      `/v1/snapshots?region=${region}&state=NORMAL&limit=1`,
    );
    return page.total;
  }

  async metrics(): Promise<string> {
    return (await fetch(`${this.baseUrl}/metrics`)).text();
  }
}

export interface CopyAnswer {
  results: {
    destinationRegion: string;
    snapshotId?: string;
    replicationId?: string;
    code: string;
    message?: string;
  }[];
}

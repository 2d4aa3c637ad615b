import { join } from 'node:path';
import { createHash } from 'node:crypto';
import {
  ConfigError,
  loadConfig,
  loadRegionCatalog,
  parseApiKeys,
  parseCloudKeys,
  parseRateLimit,
} from './config';

const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');

describe('configuration', () => {
  it('has defaults that work on a developer machine', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/snapferry',
      amqpUrl: 'amqp://guest:guest@127.0.0.1:5672',
      port: 3000,
      maxConcurrentCopies: 20,
      claimLeaseMs: 30_000,
      maxBytesPerSec: null,
      chunkSize: 4 * 1024 * 1024,
      regionRetryMs: 10 * 60 * 1000,
      objectStoreTimeoutMs: 30_000,
    });
    expect(loadConfig({ SNAPFERRY_S3_TIMEOUT_MS: '2000' }).objectStoreTimeoutMs).toBe(2000);
    expect(config.replicatorRegions).toEqual(config.regions.regions.map((r) => r.id));
  });

  it('parses API keys and refuses malformed entries without echoing the key', () => {
    expect(parseApiKeys('k-0123456789=acme:user, ops-secret-key=ops:operator')).toEqual([
      { sha256: sha256('k-0123456789'), accountId: 'acme', role: 'user', keyId: 'key-1' },
      { sha256: sha256('ops-secret-key'), accountId: 'ops', role: 'operator', keyId: 'key-2' },
    ]);
    for (const bad of [
      'short=a:user',
      'long-enough-key=acme:admin',
      'long-enough-key=:user',
      'no-separator-here',
    ])
      expect(() => parseApiKeys(bad)).toThrow(ConfigError);
    expect(() => parseApiKeys('secret-value-123=acme:root')).toThrow(
      expect.not.objectContaining({ message: expect.stringContaining('secret') }),
    );
  });

  it('parses cloud API credentials and refuses malformed entries without echoing a secret', () => {
    expect(
      parseCloudKeys(
        'AKIDexample0001:key:with=equals==acme:user, ops_id-2:0123456789abcdef=ops:operator',
      ),
    ).toEqual([
      {
        secretId: 'AKIDexample0001',
        secretKey: 'key:with=equals=',
        accountId: 'acme',
        role: 'user',
      },
      { secretId: 'ops_id-2', secretKey: '0123456789abcdef', accountId: 'ops', role: 'operator' },
    ]);
    for (const bad of [
      'AKIDx:short=acme:user',
      'AKIDx:long-enough-secret=acme:admin',
      'AKIDx:long-enough-secret=:user',
      'AKID x:long-enough-secret=acme:user',
      'no-separators-at-all',
      'AKIDx:long-enough-secret=acme:user,AKIDx:other-long-secret=bob:user',
    ])
      expect(() => parseCloudKeys(bad)).toThrow(ConfigError);
    for (const bad of ['AKIDx:hunter2-secret-value=acme:root', 'AKIDx hunter2-secret-value'])
      expect(() => parseCloudKeys(bad)).toThrow(
        expect.objectContaining({
          message: expect.stringMatching(/^SNAPFERRY_CLOUD_KEYS entry 1 (?![\s\S]*hunter2)/),
        }),
      );
  });

  it('keeps only the SHA-256 of a key, and reads sha256: entries as digests', () => {
    const digest = sha256('a-real-secret-key');
    const [plain, hashed] = parseApiKeys(
      `a-real-secret-key=acme:user,sha256:${digest.toUpperCase()}=ops:operator`,
    );
    expect(plain).toEqual({ sha256: digest, accountId: 'acme', role: 'user', keyId: 'key-1' });
    expect(JSON.stringify(plain)).not.toContain('a-real-secret-key');
    expect(hashed).toEqual({ sha256: digest, accountId: 'ops', role: 'operator', keyId: 'key-2' });
    for (const bad of [
      `sha256:${digest.slice(1)}=acme:user`, // 63 digits
      `sha256:${digest}0=acme:user`, // 65
      `sha256:${digest.replace(/^./, 'g')}=acme:user`, // not hex
      `sha256:=acme:user`,
    ])
      expect(() => parseApiKeys(bad)).toThrow(/SNAPFERRY_API_KEYS entry 1/);
  });

  it('reads the per-key rate limit, off by default', () => {
    expect(loadConfig({}).rateLimit).toBeNull();
    expect(parseRateLimit('off')).toBeNull();
    expect(parseRateLimit('')).toBeNull();
    expect(parseRateLimit('50/s')).toEqual({ limit: 50, windowMs: 1000 });
    expect(parseRateLimit(' 3000 / m ')).toEqual({ limit: 3000, windowMs: 60_000 });
    expect(loadConfig({ SNAPFERRY_RATE_LIMIT: '100000/h' }).rateLimit).toEqual({
      limit: 100000,
      windowMs: 3_600_000,
    });
    for (const bad of ['50', 'fast', '0/s', '-1/s', '50/d', '50/sec', '1.5/s', 's/50', '50/s/m'])
      expect(() => loadConfig({ SNAPFERRY_RATE_LIMIT: bad })).toThrow(
        expect.objectContaining({
          name: 'ConfigError',
          message: expect.stringMatching(/^SNAPFERRY_RATE_LIMIT must be <requests>\/<s\|m\|h>/),
        }),
      );
  });

  it('reads the upload memory budget (bytes or KiB/MiB/GiB; a key gets a quarter by default) and the body pace', () => {
    expect(loadConfig({})).toMatchObject({
      uploadMemory: { total: 512 * 1024 ** 2, perKey: 128 * 1024 ** 2 },
      bodyPace: { timeoutMs: 30_000, minBytesPerSec: 1024 },
    });
    expect(loadConfig({ SNAPFERRY_UPLOAD_MEMORY: '1GiB' }).uploadMemory).toEqual({
      total: 1024 ** 3,
      perKey: 256 * 1024 ** 2,
    });
    expect(
      loadConfig({ SNAPFERRY_UPLOAD_MEMORY: '67108864', SNAPFERRY_UPLOAD_MEMORY_PER_KEY: '16 MiB' })
        .uploadMemory,
    ).toEqual({ total: 64 * 1024 ** 2, perKey: 16 * 1024 ** 2 });
    // A key's share never exceeds the whole.
    expect(
      loadConfig({ SNAPFERRY_UPLOAD_MEMORY: '64MiB', SNAPFERRY_UPLOAD_MEMORY_PER_KEY: '1GiB' })
        .uploadMemory.perKey,
    ).toBe(64 * 1024 ** 2);
    for (const bad of ['0', '-1', '1.5GiB', '512MB', 'lots', '512 MiB extra'])
      expect(() => loadConfig({ SNAPFERRY_UPLOAD_MEMORY: bad })).toThrow(
        expect.objectContaining({
          name: 'ConfigError',
          message: expect.stringMatching(
            /^SNAPFERRY_UPLOAD_MEMORY must be a positive number of bytes/,
          ),
        }),
      );
    expect(
      loadConfig({ SNAPFERRY_BODY_TIMEOUT_MS: '1000', SNAPFERRY_BODY_MIN_BYTES_PER_SEC: '0' })
        .bodyPace,
    ).toEqual({ timeoutMs: 1000, minBytesPerSec: 0 });
    expect(() => loadConfig({ SNAPFERRY_BODY_TIMEOUT_MS: '10' })).toThrow(
      /SNAPFERRY_BODY_TIMEOUT_MS must be an integer ≥ 100/,
    );
  });

  it('serves plain HTTP unless both TLS files are set; half a pair is refused', () => {
    expect(loadConfig({}).tls).toBeNull();
    expect(() => loadConfig({ SNAPFERRY_TLS_CERT: '/etc/snapferry/cert.pem' })).toThrow(
      new ConfigError(
        'SNAPFERRY_TLS_CERT and SNAPFERRY_TLS_KEY go together: SNAPFERRY_TLS_KEY is not set',
      ),
    );
    expect(() => loadConfig({ SNAPFERRY_TLS_KEY: '/etc/snapferry/key.pem' })).toThrow(
      /SNAPFERRY_TLS_CERT is not set/,
    );
    expect(() =>
      loadConfig({
        SNAPFERRY_TLS_CERT: '/nonexistent/cert.pem',
        SNAPFERRY_TLS_KEY: '/nonexistent/key.pem',
      }),
    ).toThrow(/^SNAPFERRY_TLS_CERT \/nonexistent\/cert.pem cannot be read/);
  });

  it('names the variable that is wrong', () => {
    expect(() => loadConfig({ REPLICATOR_MAX_CONCURRENT_COPIES: '0' })).toThrow(
      /REPLICATOR_MAX_CONCURRENT_COPIES/,
    );
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ SNAPFERRY_S3_TIMEOUT_MS: '10' })).toThrow(/SNAPFERRY_S3_TIMEOUT_MS/);
    expect(() => loadConfig({ REPLICATOR_CLAIM_LEASE_MS: '500' })).toThrow(
      /REPLICATOR_CLAIM_LEASE_MS must be an integer ≥ 1000/,
    );
    expect(() => loadConfig({ REPLICATOR_REGIONS: 'ap-guangzhou,mars-1' })).toThrow(
      /REPLICATOR_REGIONS names mars-1/,
    );
    expect(() => loadConfig({ SNAPFERRY_REGIONS_FILE: '/nonexistent/regions.json' })).toThrow(
      /SNAPFERRY_REGIONS_FILE .* cannot be read/,
    );
  });

  it('reports every bad variable at once, each by name', () => {
    const refused = () =>
      loadConfig({ PORT: 'eighty', SNAPFERRY_RATE_LIMIT: 'fast', SNAPFERRY_UPLOAD_MEMORY: '0' });
    expect(refused).toThrow(ConfigError);
    expect(refused).toThrow(
      'PORT must be an integer ≥ 0, got "eighty"; SNAPFERRY_RATE_LIMIT must be <requests>/<s|m|h>',
    );
    expect(refused).toThrow(/; SNAPFERRY_UPLOAD_MEMORY must be a positive number of bytes/);
  });

  it('reads the regions one replicator serves and the bandwidth limit', () => {
    const config = loadConfig({
      REPLICATOR_REGIONS: 'ap-shanghai, eu-frankfurt',
      REPLICATOR_MAX_BYTES_PER_SEC: '1048576',
    });
    expect(config.replicatorRegions).toEqual(['ap-shanghai', 'eu-frankfurt']);
    expect(config.maxBytesPerSec).toBe(1048576);
  });

  it('needs SNAPFERRY_REGION_SECRET once a region has a storeUrl (the compose regions file)', () => {
    const file = join(__dirname, '..', '..', '..', 'docker', 'regions.json');
    const catalog = loadRegionCatalog(file);
    expect(catalog.regions.map((r) => [r.id, r.storeUrl])).toEqual([
      ['ap-guangzhou', 'http://replicator-ap-guangzhou:3001'],
      ['ap-shanghai', 'http://replicator-ap-shanghai:3001'],
      ['ap-singapore', 'http://replicator-ap-singapore:3001'],
    ]);
    expect(() => loadConfig({ SNAPFERRY_REGIONS_FILE: file })).toThrow(
      /SNAPFERRY_REGION_SECRET is required: the regions file gives ap-guangzhou, ap-shanghai, ap-singapore a storeUrl/,
    );
    expect(() =>
      loadConfig({ SNAPFERRY_REGIONS_FILE: file, SNAPFERRY_REGION_SECRET: 'short' }),
    ).toThrow(/at least 16 characters \(its value is not shown\)/);
    expect(
      loadConfig({ SNAPFERRY_REGIONS_FILE: file, SNAPFERRY_REGION_SECRET: 'a-long-enough-secret' })
        .regionSecret,
    ).toBe('a-long-enough-secret');
    expect(loadConfig({}).regionSecret).toBeNull();
  });
});

import { ConfigError, loadConfig, parseApiKeys, parseCloudKeys } from './config';

describe('configuration', () => {
  it('has defaults that work on a developer machine', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/snapferry',
      amqpUrl: 'amqp://guest:guest@127.0.0.1:5672',
      port: 3000,
      maxConcurrentCopies: 20,
      maxBytesPerSec: null,
      chunkSize: 4 * 1024 * 1024,
    });
    expect(config.replicatorRegions).toEqual(config.regions.regions.map((r) => r.id));
    expect(config.apiKeys.map((k) => k.role).sort()).toEqual(['operator', 'user']);
  });

  it('parses API keys and refuses malformed entries without echoing the key', () => {
    expect(parseApiKeys('k-0123456789=acme:user, ops-secret-key=ops:operator')).toEqual([
      { key: 'k-0123456789', accountId: 'acme', role: 'user' },
      { key: 'ops-secret-key', accountId: 'ops', role: 'operator' },
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
    expect(loadConfig({}).cloudKeys).toEqual([
      expect.objectContaining({ secretId: 'dev-secret-id', accountId: 'ops' }),
    ]);
    expect(loadConfig({ SNAPFERRY_CLOUD_KEYS: '' }).cloudKeys).toEqual([]);
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
      expect(() => loadConfig({ SNAPFERRY_CLOUD_KEYS: bad })).toThrow(
        expect.objectContaining({
          message: expect.stringMatching(/^SNAPFERRY_CLOUD_KEYS entry 1 (?![\s\S]*hunter2)/),
        }),
      );
  });

  it('names the variable that is wrong', () => {
    expect(() => loadConfig({ REPLICATOR_MAX_CONCURRENT_COPIES: '0' })).toThrow(
      /REPLICATOR_MAX_CONCURRENT_COPIES/,
    );
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ REPLICATOR_REGIONS: 'ap-guangzhou,mars-1' })).toThrow(
      /REPLICATOR_REGIONS names mars-1/,
    );
    expect(() => loadConfig({ SNAPFERRY_REGIONS_FILE: '/nonexistent/regions.json' })).toThrow(
      /SNAPFERRY_REGIONS_FILE .* cannot be read/,
    );
  });

  it('reads the regions one replicator serves and the bandwidth limit', () => {
    const config = loadConfig({
      REPLICATOR_REGIONS: 'ap-shanghai, eu-frankfurt',
      REPLICATOR_MAX_BYTES_PER_SEC: '1048576',
    });
    expect(config.replicatorRegions).toEqual(['ap-shanghai', 'eu-frankfurt']);
    expect(config.maxBytesPerSec).toBe(1048576);
  });
});

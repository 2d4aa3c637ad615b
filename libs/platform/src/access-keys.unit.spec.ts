import { createHash } from 'node:crypto';
import { loadAccessKeys, loadCatalogConfig } from './access-keys';
import { ConfigError, loadConfig } from './config';

const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');
const configured = 'a-configured-key-01=acme:user';
const cloud = 'AKIDconfigured01:a-cloud-secret-key=acme:user';

describe('the catalog keys', () => {
  it('without SNAPFERRY_API_KEYS the catalog refuses to start and says what to set', () => {
    for (const env of [{}, { SNAPFERRY_API_KEYS: '' }, { SNAPFERRY_API_KEYS: ' , ' }]) {
      expect(() => loadCatalogConfig(env)).toThrow(ConfigError);
      expect(() => loadAccessKeys(env)).toThrow(
        /^SNAPFERRY_API_KEYS is not set, .*<key>=<accountId>:<role> .*role user or operator.*sha256:<hex>=<accountId>:<role> .*snapferry admin hash-key/,
      );
    }
  });

  it('uses the built-in development keys only with SNAPFERRY_DEVELOPMENT_KEYS=1 (npm start)', () => {
    const keys = loadAccessKeys({ SNAPFERRY_DEVELOPMENT_KEYS: '1' });
    expect(keys.apiKeys).toEqual([
      expect.objectContaining({ sha256: sha256('dev-operator-key'), accountId: 'ops' }),
      expect.objectContaining({ sha256: sha256('dev-user-key'), accountId: 'acme' }),
    ]);
    expect(keys.cloudKeys).toEqual([
      expect.objectContaining({ secretId: 'dev-secret-id', secretKey: 'dev-secret-key' }),
    ]);
    expect(keys.developmentKeys).toEqual(['SNAPFERRY_API_KEYS', 'SNAPFERRY_CLOUD_KEYS']);
    for (const off of ['0', ''])
      expect(() => loadAccessKeys({ SNAPFERRY_DEVELOPMENT_KEYS: off })).toThrow(
        /SNAPFERRY_API_KEYS is not set/,
      );
    expect(() => loadAccessKeys({ SNAPFERRY_DEVELOPMENT_KEYS: 'yes' })).toThrow(
      /^SNAPFERRY_DEVELOPMENT_KEYS must be 1 .* or unset; got "yes"/,
    );
  });

  it('a configured variable wins over the development switch, which fills in only what is unset', () => {
    const keys = loadAccessKeys({
      SNAPFERRY_DEVELOPMENT_KEYS: '1',
      SNAPFERRY_API_KEYS: configured,
    });
    expect(keys.apiKeys).toEqual([
      expect.objectContaining({ sha256: sha256('a-configured-key-01') }),
    ]);
    expect(keys.developmentKeys).toEqual(['SNAPFERRY_CLOUD_KEYS']);
    const both = loadAccessKeys({
      SNAPFERRY_DEVELOPMENT_KEYS: '1',
      SNAPFERRY_API_KEYS: configured,
      SNAPFERRY_CLOUD_KEYS: cloud,
    });
    expect(both.cloudKeys).toEqual([expect.objectContaining({ secretId: 'AKIDconfigured01' })]);
    expect(both.developmentKeys).toEqual([]);
  });

  it('without SNAPFERRY_CLOUD_KEYS the cloud endpoint is off (no credential), even set empty under npm start', () => {
    expect(loadAccessKeys({ SNAPFERRY_API_KEYS: configured })).toEqual({
      apiKeys: [expect.objectContaining({ accountId: 'acme' })],
      cloudKeys: [],
      developmentKeys: [],
    });
    expect(
      loadAccessKeys({ SNAPFERRY_API_KEYS: configured, SNAPFERRY_CLOUD_KEYS: '' }).cloudKeys,
    ).toEqual([]);
    expect(
      loadAccessKeys({ SNAPFERRY_DEVELOPMENT_KEYS: '1', SNAPFERRY_CLOUD_KEYS: '' }).cloudKeys,
    ).toEqual([]);
  });

  it('the replicator configuration (loadConfig) neither needs nor reads the API keys', () => {
    expect(() => loadConfig({})).not.toThrow();
    expect(() => loadConfig({ SNAPFERRY_API_KEYS: 'not an entry' })).not.toThrow();
    expect(loadConfig({})).not.toHaveProperty('apiKeys');
    expect(loadConfig({})).not.toHaveProperty('cloudKeys');
  });
});

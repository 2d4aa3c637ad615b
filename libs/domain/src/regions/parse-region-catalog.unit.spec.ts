import { RegionCatalogError, parseRegionCatalog } from './parse-region-catalog';
import {
  defaultRegionCatalog,
  findRegion,
  isGeoRestricted,
  publicRegion,
  regionChunkSize,
} from './region-catalog';

const region = (id: string, geography = 'europe') => ({
  id,
  name: id,
  geography,
  finance: false,
  snapshotQuota: 10,
});

/** The error a bad regions file produces (the test fails if it parses). */
const errorOf = (input: unknown): RegionCatalogError => {
  try {
    parseRegionCatalog(input);
  } catch (e) {
    if (e instanceof RegionCatalogError) return e;
    throw e;
  }
  throw new Error('expected a RegionCatalogError');
};

describe('parseRegionCatalog', () => {
  it('accepts the default catalog as its JSON file would hold it', () => {
    expect(parseRegionCatalog(JSON.parse(JSON.stringify(defaultRegionCatalog)))).toEqual(
      defaultRegionCatalog,
    );
  });

  it('takes how many destinations a replication policy may have', () => {
    const regions = [region('eu-paris'), region('eu-rome'), region('eu-madrid')];
    expect(parseRegionCatalog({ regions, maxPolicyDestinations: 2 })).toEqual({
      regions,
      geoRestrictions: [],
      maxPolicyDestinations: 2,
    });
  });

  it('treats missing geoRestrictions as none', () => {
    expect(parseRegionCatalog({ regions: [region('eu-paris')] })).toEqual({
      regions: [region('eu-paris')],
      geoRestrictions: [],
    });
  });

  it.each([
    ['not an object', null, '$'],
    ['an array', [region('eu-paris')], '$'],
    ['no regions', {}, 'regions'],
    ['empty regions', { regions: [] }, 'regions'],
    ['a region that is not an object', { regions: [region('eu-paris'), 'eu-rome'] }, 'regions[1]'],
    ['a bad region id', { regions: [{ ...region('eu-paris'), id: 'Paris' }] }, 'regions[0].id'],
    ['a duplicate id', { regions: [region('eu-paris'), region('eu-paris')] }, 'regions[1].id'],
    ['an empty name', { regions: [{ ...region('eu-paris'), name: ' ' }] }, 'regions[0].name'],
    [
      'no geography',
      { regions: [{ ...region('eu-paris'), geography: undefined }] },
      'regions[0].geography',
    ],
    [
      'a finance flag that is not boolean',
      { regions: [{ ...region('eu-paris'), finance: 'no' }] },
      'regions[0].finance',
    ],
    [
      'a negative quota',
      { regions: [region('eu-paris'), { ...region('eu-rome'), snapshotQuota: -1 }] },
      'regions[1].snapshotQuota',
    ],
    [
      'a fractional quota',
      { regions: [region('eu-paris'), { ...region('eu-rome'), snapshotQuota: 1.5 }] },
      'regions[1].snapshotQuota',
    ],
    [
      'a quota as a string',
      { regions: [region('eu-paris'), { ...region('eu-rome'), snapshotQuota: '10' }] },
      'regions[1].snapshotQuota',
    ],
    [
      'geoRestrictions not an array',
      { regions: [region('eu-paris')], geoRestrictions: {} },
      'geoRestrictions',
    ],
    [
      'a restriction that is not an object',
      { regions: [region('eu-paris')], geoRestrictions: ['europe'] },
      'geoRestrictions[0]',
    ],
    [
      'a restriction from an unknown geography',
      { regions: [region('eu-paris')], geoRestrictions: [{ from: 'mars', to: 'europe' }] },
      'geoRestrictions[0].from',
    ],
    [
      'a restriction to an unknown geography',
      { regions: [region('eu-paris')], geoRestrictions: [{ from: 'europe', to: 'mars' }] },
      'geoRestrictions[0].to',
    ],
    [
      'more policy destinations than regions',
      { regions: [region('eu-paris'), region('eu-rome')], maxPolicyDestinations: 3 },
      'maxPolicyDestinations',
    ],
    [
      'zero policy destinations',
      { regions: [region('eu-paris')], maxPolicyDestinations: 0 },
      'maxPolicyDestinations',
    ],
  ])('refuses %s, saying where', (_, input, path) => {
    const error = errorOf(input);
    expect(error.path).toBe(path);
    expect(error.message.startsWith(`${path}: `)).toBe(true);
  });

  it('says which id appears twice and which geographies exist', () => {
    expect(errorOf({ regions: [region('eu-paris'), region('eu-paris')] }).message).toBe(
      'regions[1].id: "eu-paris" appears twice',
    );
    expect(
      errorOf({
        regions: [region('eu-paris'), region('na-ohio', 'north-america')],
        geoRestrictions: [{ from: 'europe', to: 'asia' }],
      }).message,
    ).toContain('europe, north-america');
  });
});

describe('storeUrl', () => {
  it('takes an http(s) URL without credentials or query, trailing slashes dropped', () => {
    const parsed = parseRegionCatalog({
      regions: [
        { ...region('eu-paris'), storeUrl: 'http://10.0.0.2:3001/' },
        { ...region('eu-madrid'), storeUrl: 'https://store.madrid.example' },
        region('eu-rome'),
      ],
    });
    expect(parsed.regions.map((r) => r.storeUrl)).toEqual([
      'http://10.0.0.2:3001',
      'https://store.madrid.example',
      undefined,
    ]);
  });

  it.each(['ftp://10.0.0.2', 'http://user:pw@10.0.0.2', 'http://10.0.0.2/?a=1', 'not a url', 42])(
    'refuses %p, saying where',
    (storeUrl) => {
      expect(() => parseRegionCatalog({ regions: [{ ...region('eu-paris'), storeUrl }] })).toThrow(
        /regions\[0\]\.storeUrl: must be an http:\/\/ or https:\/\/ URL/,
      );
    },
  );
});

describe('chunkSize', () => {
  it('takes a region its own chunk size; the others use the default', () => {
    const catalog = parseRegionCatalog({
      regions: [{ ...region('eu-paris'), chunkSize: 512 * 1024 }, region('eu-rome')],
    });
    expect(catalog.regions.map((r) => r.chunkSize)).toEqual([512 * 1024, undefined]);
    expect(regionChunkSize(catalog, 'eu-paris', 4 << 20)).toBe(512 * 1024);
    expect(regionChunkSize(catalog, 'eu-rome', 4 << 20)).toBe(4 << 20);
    expect(publicRegion(catalog.regions[0]!)).not.toHaveProperty('chunkSize');
  });

  it.each([32 * 1024, 128 * 1024 * 1024, 512 * 1024 + 1, 65536.5, '524288', 0])(
    'refuses %p, saying where and what it may be',
    (chunkSize) => {
      expect(() =>
        parseRegionCatalog({ regions: [region('eu-rome'), { ...region('eu-paris'), chunkSize }] }),
      ).toThrow(
        /regions\[1\]\.chunkSize: must be a whole number of 4 KiB blocks from 65536 to 67108864 bytes/,
      );
    },
  );
});

describe('objectStore', () => {
  const store = { endpoint: 'http://10.0.0.5:7480', bucket: 'snapferry-paris' };
  const parse = (objectStore: unknown, more: object[] = []) =>
    parseRegionCatalog({ regions: [{ ...region('eu-paris'), objectStore }, ...more] }).regions[0]!
      .objectStore;

  it('fills in the defaults: keys at the root, us-east-1, virtual-hosted URLs', () => {
    expect(parse(store)).toEqual({
      endpoint: 'http://10.0.0.5:7480',
      bucket: 'snapferry-paris',
      prefix: '',
      region: 'us-east-1',
      forcePathStyle: false,
    });
  });

  it('keeps every setting given, a prefix ending with "/" and the endpoint without trailing slashes', () => {
    expect(
      parse({
        endpoint: 'https://cos.ap-guangzhou.myqcloud.com/',
        bucket: 'snapferry-1250000000',
        prefix: 'dr/eu-paris',
        region: 'ap-guangzhou',
        forcePathStyle: true,
      }),
    ).toEqual({
      endpoint: 'https://cos.ap-guangzhou.myqcloud.com',
      bucket: 'snapferry-1250000000',
      prefix: 'dr/eu-paris/',
      region: 'ap-guangzhou',
      forcePathStyle: true,
    });
    expect(parse({ ...store, prefix: 'dr/' })?.prefix).toBe('dr/');
  });

  it('goes with or without a storeUrl, and regions without one have none', () => {
    const parsed = parseRegionCatalog({
      regions: [
        { ...region('eu-paris'), storeUrl: 'http://10.0.0.2:3001', objectStore: store },
        region('eu-rome'),
      ],
    });
    expect(parsed.regions[0]).toMatchObject({
      storeUrl: 'http://10.0.0.2:3001',
      objectStore: store,
    });
    expect(parsed.regions[1]).not.toHaveProperty('objectStore');
  });

  it.each([
    ['not an object', 'http://10.0.0.5:7480', 'regions[1].objectStore', 'must be an object'],
    [
      'no endpoint',
      { bucket: 'snapferry' },
      'regions[1].objectStore.endpoint',
      'http:// or https://',
    ],
    [
      'an ftp endpoint',
      { ...store, endpoint: 'ftp://10.0.0.5' },
      'regions[1].objectStore.endpoint',
      'http:// or https://',
    ],
    [
      'an endpoint with credentials',
      { ...store, endpoint: 'http://k:s@10.0.0.5' },
      'regions[1].objectStore.endpoint',
      'no credentials',
    ],
    ['no bucket', { endpoint: store.endpoint }, 'regions[1].objectStore.bucket', 'S3 bucket name'],
    [
      'an upper-case bucket',
      { ...store, bucket: 'Snapferry' },
      'regions[1].objectStore.bucket',
      'S3 bucket name',
    ],
    ['a two-letter bucket', { ...store, bucket: 'sf' }, 'regions[1].objectStore.bucket', '3 to 63'],
    [
      'a bucket with ".."',
      { ...store, bucket: 'snap..ferry' },
      'regions[1].objectStore.bucket',
      '".."',
    ],
    [
      'a bucket like an IP address',
      { ...store, bucket: '10.0.0.5' },
      'regions[1].objectStore.bucket',
      'IP address',
    ],
    [
      'a prefix with a leading "/"',
      { ...store, prefix: '/dr' },
      'regions[1].objectStore.prefix',
      'no leading "/"',
    ],
    [
      'a prefix with ".."',
      { ...store, prefix: 'dr/../x' },
      'regions[1].objectStore.prefix',
      'key prefix',
    ],
    [
      'a prefix with "//"',
      { ...store, prefix: 'dr//x' },
      'regions[1].objectStore.prefix',
      'key prefix',
    ],
    [
      'a prefix with a space',
      { ...store, prefix: 'dr x' },
      'regions[1].objectStore.prefix',
      'key prefix',
    ],
    [
      'a prefix as a number',
      { ...store, prefix: 7 },
      'regions[1].objectStore.prefix',
      'key prefix',
    ],
    [
      'a region with a space',
      { ...store, region: 'us east' },
      'regions[1].objectStore.region',
      'us-east-1',
    ],
    ['an empty region', { ...store, region: '' }, 'regions[1].objectStore.region', 'us-east-1'],
    [
      'forcePathStyle as a string',
      { ...store, forcePathStyle: 'true' },
      'regions[1].objectStore.forcePathStyle',
      'true or false',
    ],
    [
      'a misspelt setting',
      { ...store, forcePathstyle: true },
      'regions[1].objectStore.forcePathstyle',
      'is not a setting',
    ],
    [
      'an access key',
      { ...store, accessKeyId: 'AKIA' },
      'regions[1].objectStore.accessKeyId',
      'credentials never go in the regions file',
    ],
    [
      'a secret key',
      { ...store, secretAccessKey: 's' },
      'regions[1].objectStore.secretAccessKey',
      'SNAPFERRY_S3_SECRET_ACCESS_KEY_<REGION>',
    ],
  ])('refuses %s, saying where and why', (_, objectStore, path, why) => {
    const error = errorOf({ regions: [region('eu-rome'), { ...region('eu-paris'), objectStore }] });
    expect(error.path).toBe(path);
    expect(error.message).toContain(why);
  });

  it('never echoes a credential put in the file', () => {
    const error = errorOf({
      regions: [
        { ...region('eu-paris'), objectStore: { ...store, secretAccessKey: 'hunter2-secret' } },
      ],
    });
    expect(error.message).not.toContain('hunter2-secret');
  });

  it.each([
    ['the same bucket and prefix', { ...store, prefix: 'dr' }, { ...store, prefix: 'dr/' }],
    ['a prefix inside the other', { ...store, prefix: 'dr' }, { ...store, prefix: 'dr/rome' }],
    ['the root and a prefix', store, { ...store, prefix: 'rome' }],
    ['the same endpoint spelt otherwise', store, { ...store, endpoint: 'HTTP://10.0.0.5:7480/' }],
  ])('refuses two regions with overlapping keys: %s', (_, paris, rome) => {
    const error = errorOf({
      regions: [
        { ...region('eu-paris'), objectStore: paris },
        { ...region('eu-rome'), objectStore: rome },
      ],
    });
    expect(error.path).toBe('regions[1].objectStore');
    expect(error.message).toContain('regions[0] ("eu-paris")');
  });

  it.each([
    ['other prefixes', { ...store, prefix: 'paris' }, { ...store, prefix: 'paris-2' }],
    ['other buckets', store, { ...store, bucket: 'snapferry-rome' }],
    ['other endpoints', store, { ...store, endpoint: 'http://10.0.0.6:7480' }],
  ])('accepts two regions in one store with %s', (_, paris, rome) => {
    expect(() =>
      parseRegionCatalog({
        regions: [
          { ...region('eu-paris'), objectStore: paris },
          { ...region('eu-rome'), objectStore: rome },
        ],
      }),
    ).not.toThrow();
  });
});

describe('publicRegion', () => {
  it('shows clients neither where the store answers nor which bucket holds the data', () => {
    const [paris] = parseRegionCatalog({
      regions: [
        {
          ...region('eu-paris'),
          storeUrl: 'http://10.0.0.2:3001',
          objectStore: { endpoint: 'http://10.0.0.5:7480', bucket: 'snapferry-paris' },
        },
      ],
    }).regions;
    expect(publicRegion(paris!)).toEqual(region('eu-paris'));
  });
});

describe('region catalog lookups', () => {
  it('finds regions by exact id and applies restrictions one way', () => {
    const guangzhou = findRegion(defaultRegionCatalog, 'ap-guangzhou')!;
    const frankfurt = findRegion(defaultRegionCatalog, 'eu-frankfurt')!;
    expect(findRegion(defaultRegionCatalog, 'AP-GUANGZHOU')).toBeUndefined();
    expect(isGeoRestricted(defaultRegionCatalog, guangzhou, frankfurt)).toBe(true);
    expect(isGeoRestricted(defaultRegionCatalog, frankfurt, guangzhou)).toBe(false);
  });

  it('includes the finance zones the product names', () => {
    const finance = defaultRegionCatalog.regions.filter((r) => r.finance).map((r) => r.id);
    expect(finance).toEqual(expect.arrayContaining(['ap-shanghai-fsi', 'ap-shenzhen-fsi']));
    expect(defaultRegionCatalog.regions.map((r) => r.id)).toEqual(
      expect.arrayContaining([
        'ap-guangzhou',
        'ap-shanghai',
        'ap-singapore',
        'eu-frankfurt',
        'na-siliconvalley',
      ]),
    );
  });
});

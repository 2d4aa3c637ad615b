import { RegionCatalogError, parseRegionCatalog } from './parse-region-catalog';
import { defaultRegionCatalog, findRegion, isGeoRestricted } from './region-catalog';

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

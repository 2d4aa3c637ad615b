import fc from 'fast-check';
import { defaultRegionCatalog, type RegionCatalog } from '../regions/region-catalog';
import type { FieldProblem } from '../shared/event';
import { parsePolicyDefinition, PolicyInvalidError } from './parse-policy';

const valid = {
  name: 'orders-db DR',
  sourceRegion: 'ap-guangzhou',
  selector: { diskIds: ['disk-aaaa0001'], tags: [{ key: 'tier', value: 'gold' }] },
  destinations: [{ region: 'ap-shanghai', retain: { count: 3, maxAgeDays: 7 } }],
  sourceRetain: { count: 10 },
  minIntervalMinutes: 60,
  rpoMinutes: 120,
  enabled: true,
};

/** The field reasons a policy is refused with (the test fails if it is accepted). */
const reasonsFor = (input: unknown, regions: RegionCatalog = defaultRegionCatalog) => {
  try {
    parsePolicyDefinition(input, regions);
  } catch (e) {
    if (e instanceof PolicyInvalidError) return e.fields;
    throw e;
  }
  throw new Error('expected the policy to be refused');
};
const fieldsOf = (reasons: FieldProblem[]) => reasons.map((r) => r.field);

describe('parsePolicyDefinition', () => {
  it('accepts the product page example as written', () => {
    expect(parsePolicyDefinition(valid, defaultRegionCatalog)).toEqual(valid);
  });

  it('fills in what may be left out: no interval, enabled, no source retention', () => {
    const { minIntervalMinutes: _m, enabled: _e, sourceRetain: _s, ...rest } = valid;
    expect(parsePolicyDefinition(rest, defaultRegionCatalog)).toEqual({
      ...rest,
      minIntervalMinutes: 0,
      enabled: true,
    });
  });

  it.each<[string, object, string, string]>([
    [
      'an unknown source region',
      { sourceRegion: 'xx-nowhere' },
      'sourceRegion',
      'InvalidParameterValue.Region',
    ],
    [
      'an unknown destination',
      { destinations: [{ region: 'ap-atlantis', retain: { count: 1 } }] },
      'destinations[0].region',
      'InvalidParameterValue.Region',
    ],
    [
      'the source region as a destination',
      { destinations: [{ region: 'ap-guangzhou', retain: { count: 1 } }] },
      'destinations[0].region',
      'InvalidParameterValue.Region',
    ],
    [
      'a finance zone from an ordinary region',
      { destinations: [{ region: 'ap-shanghai-fsi', retain: { count: 1 } }] },
      'destinations[0].region',
      'UnsupportedOperation.FinanceZoneRestricted',
    ],
    [
      'a refused geography',
      { destinations: [{ region: 'eu-frankfurt', retain: { count: 1 } }] },
      'destinations[0].region',
      'UnsupportedOperation.GeoRestricted',
    ],
    ['an empty selector', { selector: {} }, 'selector', 'InvalidParameterValue'],
    [
      'empty selector lists',
      { selector: { diskIds: [], tags: [] } },
      'selector',
      'InvalidParameterValue',
    ],
    [
      'a bad disk id',
      { selector: { diskIds: ['vol-1'] } },
      'selector.diskIds[0]',
      'InvalidParameterValue',
    ],
    [
      'a retention of zero',
      { destinations: [{ region: 'ap-shanghai', retain: { count: 0 } }] },
      'destinations[0].retain.count',
      'InvalidParameterValue',
    ],
    [
      'a retention with no rule',
      { destinations: [{ region: 'ap-shanghai', retain: {} }] },
      'destinations[0].retain',
      'InvalidParameterValue',
    ],
    ['a fractional objective', { rpoMinutes: 1.5 }, 'rpoMinutes', 'InvalidParameterValue'],
    [
      'a negative interval',
      { minIntervalMinutes: -1 },
      'minIntervalMinutes',
      'InvalidParameterValue',
    ],
    ['a number as a string', { rpoMinutes: '120' }, 'rpoMinutes', 'InvalidParameterValue'],
    [
      'an objective shorter than the interval',
      { rpoMinutes: 30 },
      'rpoMinutes',
      'InvalidParameterValue',
    ],
    ['an unknown field', { schedule: 'daily' }, 'schedule', 'InvalidParameterValue'],
    [
      'a zero source retention',
      { sourceRetain: { maxAgeDays: 0 } },
      'sourceRetain.maxAgeDays',
      'InvalidParameterValue',
    ],
    ['a long name', { name: 'n'.repeat(61) }, 'name', 'InvalidParameterValue'],
    ['no name', { name: undefined }, 'name', 'MissingParameter'],
  ])('refuses %s, naming the field', (_what, change, field, code) => {
    expect(reasonsFor({ ...valid, ...change })).toContainEqual(
      expect.objectContaining({ field, code }),
    );
  });

  it('refuses more destinations than the regions file allows', () => {
    const destinations = ['ap-shanghai', 'ap-beijing', 'ap-nanjing'].map((region) => ({
      region,
      retain: { count: 1 },
    }));
    expect(
      parsePolicyDefinition({ ...valid, destinations }, defaultRegionCatalog).destinations,
    ).toHaveLength(3);
    const tight = { ...defaultRegionCatalog, maxPolicyDestinations: 2 };
    expect(reasonsFor({ ...valid, destinations }, tight)).toContainEqual(
      expect.objectContaining({ field: 'destinations', code: 'LimitExceeded.PolicyDestinations' }),
    );
  });

  it('leaves quota to each copy: a destination whose quota is used up is a valid destination', () => {
    const full = {
      ...defaultRegionCatalog,
      regions: defaultRegionCatalog.regions.map((r) => ({ ...r, snapshotQuota: 0 })),
    };
    expect(parsePolicyDefinition(valid, full)).toEqual(valid);
  });

  it('reports every wrong field at once', () => {
    const reasons = reasonsFor({
      ...valid,
      sourceRegion: 'xx-nowhere',
      selector: {},
      rpoMinutes: 0,
      destinations: [{ region: 'ap-shanghai', retain: { count: 0 } }],
    });
    expect(fieldsOf(reasons)).toEqual(
      expect.arrayContaining([
        'sourceRegion',
        'selector',
        'rpoMinutes',
        'destinations[0].retain.count',
      ]),
    );
  });

  it('refuses anything that is not an object', () => {
    for (const input of [null, [], 'policy', 7]) expect(fieldsOf(reasonsFor(input))).toEqual(['$']);
  });

  it('never throws anything but a refusal with reasons, and what it accepts reads back the same', () => {
    const anyValue = fc.oneof(
      fc.constantFrom(undefined, null, 0, 1, 60, -1, 1.5, 1e9, '', 'x', true),
      fc.constantFrom('ap-shanghai', 'ap-guangzhou', 'ap-singapore', 'xx-nowhere', 'disk-aaaa0001'),
    );
    const retain = fc.record({ count: anyValue, maxAgeDays: anyValue }, { requiredKeys: [] });
    const input = fc.record(
      {
        name: fc.oneof(anyValue, fc.string({ maxLength: 70 })),
        sourceRegion: anyValue,
        selector: fc.oneof(
          anyValue,
          fc.record(
            {
              diskIds: fc.oneof(anyValue, fc.array(anyValue, { maxLength: 3 })),
              tags: fc.array(fc.record({ key: anyValue, value: anyValue }), { maxLength: 3 }),
            },
            { requiredKeys: [] },
          ),
        ),
        destinations: fc.oneof(
          anyValue,
          fc.array(fc.record({ region: anyValue, retain: fc.oneof(anyValue, retain) }), {
            maxLength: 4,
          }),
        ),
        sourceRetain: fc.oneof(anyValue, retain),
        minIntervalMinutes: anyValue,
        rpoMinutes: anyValue,
        enabled: anyValue,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(input, (candidate) => {
        let parsed;
        try {
          parsed = parsePolicyDefinition(candidate, defaultRegionCatalog);
        } catch (e) {
          expect(e).toBeInstanceOf(PolicyInvalidError);
          expect((e as PolicyInvalidError).fields.length).toBeGreaterThan(0);
          return;
        }
        expect(
          parsePolicyDefinition(JSON.parse(JSON.stringify(parsed)), defaultRegionCatalog),
        ).toEqual(parsed);
        expect(parsed.destinations.length).toBeGreaterThan(0);
        expect(parsed.rpoMinutes).toBeGreaterThanOrEqual(parsed.minIntervalMinutes);
      }),
      { numRuns: 500 },
    );
  });
});

import { RenameSnapshotRequest } from '@snapferry/contracts';
import { paramsFromQuery, readParams, required, validated } from './cloud-params';

const codeOf = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    return (error as { code: string }).code;
  }
  return 'no error';
};

describe('cloud API parameters', () => {
  it("rebuilds a GET's flattened parameters as the SDKs flatten them", () => {
    expect(
      paramsFromQuery(
        'Filters.0.Name=disk-id&Filters.0.Values.0=disk-aaaa0001&Filters.0.Values.1=disk-aaaa0002' +
          '&Filters.1.Name=encrypt&Filters.1.Values.0=false&Limit=5&Order=ASC',
      ),
    ).toEqual({
      Filters: [
        { Name: 'disk-id', Values: ['disk-aaaa0001', 'disk-aaaa0002'] },
        { Name: 'encrypt', Values: ['false'] },
      ],
      Limit: '5',
      Order: 'ASC',
    });
    expect(paramsFromQuery('')).toEqual({});
  });

  it('refuses malformed, repeated, gapped or conflicting query parameters', () => {
    for (const query of [
      'SnapshotIds.1=snap-a',
      'A=1&A=2',
      '__proto__.polluted=1',
      'a..b=1',
      '0=1',
      'A=1&A.0=2',
      'A.0=1&A.0.B=2',
    ])
      expect([query, codeOf(() => paramsFromQuery(query))]).toEqual([query, 'InvalidParameter']);
    const built = paramsFromQuery('constructor.prototype=1');
    expect(({} as Record<string, unknown>)['prototype']).toBeUndefined();
    expect(codeOf(() => readParams(built, { Limit: 'integer' }, true))).toBe('UnknownParameter');
  });

  const schema = {
    SnapshotIds: 'strings',
    Limit: 'integer',
    Encrypt: 'boolean',
    Filters: 'filters',
    Name: 'string',
  } as const;

  it('reads JSON values by kind; a GET may send numbers and booleans as strings', () => {
    expect(
      readParams({ SnapshotIds: ['snap-a'], Limit: 5, Encrypt: true, Name: null }, schema, false),
    ).toEqual({ SnapshotIds: ['snap-a'], Limit: 5, Encrypt: true });
    expect(readParams({ Limit: '5', Encrypt: 'false' }, schema, true)).toEqual({
      Limit: 5,
      Encrypt: false,
    });
  });

  it('answers UnknownParameter, InvalidParameter and MissingParameter as the cloud does', () => {
    expect(codeOf(() => readParams({ Nope: 1 }, schema, false))).toBe('UnknownParameter');
    expect(
      codeOf(() => readParams({ Filters: [{ Name: 'x', Values: [], Extra: 1 }] }, schema, false)),
    ).toBe('UnknownParameter');
    for (const bad of [
      { Limit: '5' },
      { Limit: 1.5 },
      { Encrypt: 'true' },
      { SnapshotIds: 'snap-a' },
      { SnapshotIds: [1] },
      { Filters: [{ Name: 'x', Values: 'y' }] },
      { Name: 7 },
    ])
      expect([bad, codeOf(() => readParams(bad, schema, false))]).toEqual([
        bad,
        'InvalidParameter',
      ]);
    expect(codeOf(() => readParams([], schema, false))).toBe('InvalidParameter');
    expect(codeOf(() => readParams({ Filters: [{ Name: 'x' }] }, schema, false))).toBe(
      'MissingParameter',
    );
    expect(codeOf(() => required(undefined, 'SnapshotId'))).toBe('MissingParameter');
  });

  it("checks a command with the v1 API's DTO and reports the cloud's parameter name", () => {
    expect(validated(RenameSnapshotRequest, { name: 'ok' }, { name: 'SnapshotName' })).toEqual({
      name: 'ok',
    });
    expect(() =>
      validated(RenameSnapshotRequest, { name: 'n'.repeat(61) }, { name: 'SnapshotName' }),
    ).toThrow(
      expect.objectContaining({
        code: 'InvalidParameterValue',
        message: expect.stringMatching(/^SnapshotName must be shorter than or equal to 60/),
      }),
    );
  });
});

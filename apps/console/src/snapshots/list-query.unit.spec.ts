import { changedParams, parseListQuery } from './list-query';

describe("the snapshot list's query in the URL", () => {
  it('reads each parameter, falling back to its default when it is missing or bad', () => {
    expect(parseListQuery(new URLSearchParams(''), 'ap-guangzhou')).toEqual({
      region: 'ap-guangzhou',
      state: '',
      diskId: '',
      offset: 0,
      limit: 20,
    });
    expect(
      parseListQuery(
        new URLSearchParams(
          'region=ap-shanghai&state=NORMAL&diskId=disk-abcd1234&limit=50&offset=100',
        ),
        'ap-guangzhou',
      ),
    ).toEqual({
      region: 'ap-shanghai',
      state: 'NORMAL',
      diskId: 'disk-abcd1234',
      offset: 100,
      limit: 50,
    });
    expect(
      parseListQuery(
        new URLSearchParams('state=SLEEPING&diskId=DISK-1&limit=101&offset=-1'),
        'ap-guangzhou',
      ),
    ).toMatchObject({ state: '', diskId: '', limit: 20, offset: 0 });
  });

  it('keeps the region shown, removes emptied parameters and goes back to the first page', () => {
    const next = changedParams(new URLSearchParams('state=NORMAL&offset=40'), 'ap-guangzhou', {
      state: null,
      diskId: 'disk-abcd1234',
    });
    expect(Object.fromEntries(next)).toEqual({ region: 'ap-guangzhou', diskId: 'disk-abcd1234' });
    const paged = changedParams(new URLSearchParams('region=ap-shanghai'), 'ap-shanghai', {
      offset: 20,
    });
    expect(Object.fromEntries(paged)).toEqual({ region: 'ap-shanghai', offset: '20' });
  });
});

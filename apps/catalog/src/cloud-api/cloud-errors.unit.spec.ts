import { ErrorCodes } from '@snapferry/domain';
import { errorAnswers } from '../http/error-codes';
import { cloudCodeOf } from './cloud-errors';

describe("our error codes in the cloud's terms", () => {
  it("uses the cloud's block-storage codes where it has one for the same refusal", () => {
    expect(cloudCodeOf('ResourceNotFound.Snapshot')).toBe('InvalidSnapshotId.NotFound');
    expect(cloudCodeOf('UnsupportedOperation.SystemDiskSnapshot')).toBe(
      'UnsupportedOperation.SnapshotNotSupportCopy',
    );
    expect(cloudCodeOf('UnsupportedOperation.SnapshotCopying')).toBe(
      'ResourceInUse.CopySnapshotConflict',
    );
    expect(cloudCodeOf('LimitExceeded.SnapshotQuota')).toBe('InsufficientSnapshotQuota');
    expect(cloudCodeOf('MissingParameter')).toBe('MissingParameter');
    for (const code of [
      'InvalidParameterValue.Region',
      'InvalidParameterValue.SnapshotName',
      'InvalidParameterValue.DestinationRegions',
    ])
      expect(cloudCodeOf(code)).toBe('InvalidParameterValue');
  });

  it('keeps ours where the cloud has none (same family), and maps every code we have', () => {
    expect(cloudCodeOf('UnsupportedOperation.GeoRestricted')).toBe(
      'UnsupportedOperation.GeoRestricted',
    );
    expect(cloudCodeOf('UnsupportedOperation.FinanceZoneRestricted')).toBe(
      'UnsupportedOperation.FinanceZoneRestricted',
    );
    expect(Object.keys(errorAnswers).sort()).toEqual([...ErrorCodes].sort());
    for (const code of ErrorCodes)
      expect(cloudCodeOf(code)).toMatch(/^[A-Z][A-Za-z]+(\.[A-Z][A-Za-z]+)?$/);
  });

  it('passes HTTP-level codes of a common family through, and hides anything else', () => {
    expect(cloudCodeOf('InvalidParameter.MalformedJson')).toBe('InvalidParameter.MalformedJson');
    expect(cloudCodeOf('UnsupportedOperation.ClientTokenReused')).toBe(
      'UnsupportedOperation.ClientTokenReused',
    );
    expect(cloudCodeOf('Whatever.Else')).toBe('InternalError');
    expect(cloudCodeOf('toString')).toBe('InternalError');
  });
});

import { DomainError } from '@snapferry/domain';
import { CommitOutcomeUnknownError, WrongExpectedVersionError } from '@snapferry/event-store';
import { manifestAfterFailedRecord } from './record-data-stored';

describe('the manifest after a failed SnapshotDataStored', () => {
  it('stays while the database could not say whether the append committed', () => {
    const lost = new CommitOutcomeUnknownError(42n, new Error('Connection terminated'));
    expect(manifestAfterFailedRecord(lost)).toBe('in-doubt');
  });

  it('stays when the snapshot already holds data (the manifest is that data now)', () => {
    const won = new DomainError('UnsupportedOperation.DataAlreadyStored', 'already holds its data');
    expect(manifestAfterFailedRecord(won)).toBe('theirs');
  });

  it('goes when the append definitely did not happen', () => {
    for (const refused of [
      new DomainError('ResourceNotFound.Snapshot', 'deleted meanwhile'),
      new DomainError('UnsupportedOperation.SnapshotNotCreating', 'not CREATING'),
      new WrongExpectedVersionError('snapshot-snap-1', 2, 3),
      new Error('Connection terminated unexpectedly'), // before COMMIT, or a COMMIT that rolled back
    ])
      expect(manifestAfterFailedRecord(refused)).toBe('drop');
  });
});

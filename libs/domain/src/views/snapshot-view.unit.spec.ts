import type { SnapshotEvent } from '../snapshots/snapshot-events';
import {
  accountId,
  copy,
  copyEnded,
  copyRequested,
  later,
  now,
  ref,
  registered,
  stored,
  targetRegistered,
} from '../spec-helpers';
import type { SnapshotView, SnapshotViewEvent } from './snapshot-view';
import { evolveSnapshotView, occurredAt, snapshotViewIds } from './snapshot-view';

/** A projection as the store runs it: each event updates the documents it names; null removes one. */
const project = (
  events: SnapshotViewEvent[],
  docs = new Map<string, SnapshotView>(),
): Map<string, SnapshotView> => {
  for (const event of events)
    for (const id of snapshotViewIds(event)) {
      const next = evolveSnapshotView(docs.get(id) ?? null, event, id);
      if (next) docs.set(id, next);
      else docs.delete(id);
    }
  return docs;
};

const source = 'snap-src00001';
const target = ref.targetSnapshotId;
const requestedCopy = [
  registered(),
  stored(),
  copyRequested('ap-shanghai', ref.replicationId, target),
  copy.requested(),
  targetRegistered(),
];

describe('evolveSnapshotView', () => {
  it('names the documents each event changes', () => {
    expect(snapshotViewIds(stored())).toEqual([source]);
    expect(snapshotViewIds(copy.requested())).toEqual([]);
    expect(snapshotViewIds(copy.cancelRequested())).toEqual([]);
    expect(snapshotViewIds(copy.progressed(1, 10))).toEqual([source, target]);
  });

  it('shows a snapshot CREATING, then NORMAL once its data is stored', () => {
    expect(project([registered()]).get(source)).toMatchObject({
      state: 'CREATING',
      percent: 0,
      copyFromRemote: false,
      accountId,
    });
    expect(project([registered(), stored()]).get(source)).toMatchObject({
      state: 'NORMAL',
      percent: 100,
      sizeBytes: 4096,
      digest: 'sha256:abc',
    });
  });

  it('follows a whole copy from the source side and from the target side', () => {
    const docs = project(requestedCopy);
    const copying = {
      region: 'ap-shanghai',
      snapshotId: target,
      replicationId: ref.replicationId,
      deadline: null,
      deadlineMissedAt: null,
    };
    expect(docs.get(source)).toMatchObject({
      state: 'NORMAL',
      copyingToRegions: [{ ...copying, state: 'COPYING_FROM_REMOTE', percent: 0 }],
    });
    expect(docs.get(target)).toMatchObject({
      state: 'COPYING_FROM_REMOTE',
      percent: 0,
      region: 'ap-shanghai',
      copyFromRemote: true,
      sourceSnapshotId: source,
      sourceRegion: 'ap-guangzhou',
      replicationId: ref.replicationId,
    });

    project([copy.started(), copy.progressed(1, 35)], docs);
    expect(docs.get(source)?.copyingToRegions).toEqual([
      { ...copying, state: 'COPYING_FROM_REMOTE', percent: 35 },
    ]);
    expect(docs.get(target)).toMatchObject({ state: 'COPYING_FROM_REMOTE', percent: 35 });

    project([copy.progressed(2, 80), copy.verifying()], docs);
    expect(docs.get(source)?.copyingToRegions).toEqual([
      { ...copying, state: 'CHECKING_COPIED', percent: 100 },
    ]);
    expect(docs.get(target)).toMatchObject({ state: 'CHECKING_COPIED', percent: 100 });

    // Progress that arrives late does not move a copy back out of checking.
    project([copy.progressed(3, 90)], docs);
    expect(docs.get(target)).toMatchObject({ state: 'CHECKING_COPIED', percent: 100 });
    expect(docs.get(source)?.copyingToRegions[0]).toMatchObject({
      state: 'CHECKING_COPIED',
      percent: 100,
    });

    project(
      [
        copy.completed(),
        copyEnded('ap-shanghai', ref.replicationId),
        stored(target, 'ap-shanghai'),
      ],
      docs,
    );
    expect(docs.get(source)).toMatchObject({
      state: 'NORMAL',
      copyingToRegions: [],
      updatedAt: later,
    });
    expect(docs.get(target)).toMatchObject({ state: 'NORMAL', percent: 100, sizeBytes: 4096 });
  });

  it('never lowers the percent on a stale progress update', () => {
    const docs = project([...requestedCopy, copy.progressed(2, 60), copy.progressed(1, 20)]);
    expect(docs.get(target)?.percent).toBe(60);
    expect(docs.get(source)?.copyingToRegions[0]?.percent).toBe(60);
  });

  it('lists one entry per region copied to, and removes only the copy that ended', () => {
    const docs = project([
      ...requestedCopy,
      copyRequested('ap-singapore', 'repl-00000002', 'snap-tgt00002'),
      copyEnded('ap-shanghai', ref.replicationId, 'FAILED'),
    ]);
    expect(docs.get(source)?.copyingToRegions.map((c) => c.region)).toEqual(['ap-singapore']);
  });

  it('shows a failed copy as FAILED on the target with its reason', () => {
    const failed: SnapshotEvent = {
      type: 'SnapshotCopyFailed',
      data: {
        snapshotId: target,
        region: 'ap-shanghai',
        replicationId: ref.replicationId,
        reason: 'disk full',
        failedAt: later,
      },
    };
    expect(project([...requestedCopy, copy.failed('disk full'), failed]).get(target)).toMatchObject(
      { state: 'FAILED', failureReason: 'disk full' },
    );
  });

  it('removes a deleted snapshot from the lists and does not bring it back', () => {
    const deleted: SnapshotEvent = {
      type: 'SnapshotDeleted',
      data: { snapshotId: target, accountId, region: 'ap-shanghai', deletedAt: later },
    };
    const docs = project([...requestedCopy, copy.progressed(1, 30), deleted]);
    expect(evolveSnapshotView(docs.get(source) ?? null, deleted, target)).toBeNull();
    expect(docs.has(target)).toBe(false);
    project([copy.progressed(2, 50), copy.cancelled()], docs);
    expect(docs.has(target)).toBe(false);
    expect(docs.get(source)?.copyingToRegions[0]?.percent).toBe(50);
  });

  it("stamps each change with the event's own timestamp, named for its verb", () => {
    const at = '2024-05-01T10:07:00.000Z';
    const progressed = copy.progressed(1, 35);
    const events: SnapshotViewEvent[] = [
      { ...stored(), data: { ...stored().data, storedAt: at } },
      { ...progressed, data: { ...progressed.data, progressedAt: at } },
      { ...copy.verifying(), data: { ...copy.verifying().data, verifyingAt: at } },
      { ...copy.cancelled(), data: { ...copy.cancelled().data, cancelledAt: at } },
      { ...copy.requested(), data: { ...copy.requested().data, requestedAt: at } },
    ];
    for (const event of events) expect(occurredAt(event)).toBe(at);
    expect(occurredAt(registered())).toBe(now);

    const docs = project(requestedCopy);
    project([events[1]!], docs);
    expect(docs.get(target)?.updatedAt).toBe(at);
    expect(docs.get(source)?.updatedAt).toBe(at);
  });
});

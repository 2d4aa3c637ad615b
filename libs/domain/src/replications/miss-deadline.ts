import type { ReplicationState } from './replication';
import { isTerminal } from './replication';
import type { ReplicationDeadlineMissed } from './replication-events';

/**
 * The deadline timer's decision: a copy that has a deadline, has reached it (`now`), has not
 * ended and was not found late before is late now; anything else appends nothing. So the
 * timer may fire twice (two catalogs, a restart) and the event is still appended once.
 */
export function missDeadline(
  state: ReplicationState,
  command: { now: string },
): ReplicationDeadlineMissed[] {
  const deadline = state?.request.deadline;
  if (!state || deadline === undefined) return [];
  if (Date.parse(command.now) < Date.parse(deadline)) return [];
  if (isTerminal(state.status) || state.deadlineMissed) return [];
  const { replicationId, sourceSnapshotId, targetSnapshotId, targetRegion, sourceRegion } =
    state.request;
  return [
    {
      type: 'ReplicationDeadlineMissed',
      data: {
        replicationId,
        sourceSnapshotId,
        targetSnapshotId,
        targetRegion,
        sourceRegion,
        deadline,
        percent: state.percent,
        missedAt: command.now,
      },
    },
  ];
}

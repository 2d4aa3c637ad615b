import { copy, deciderSpecification, later, now, ref } from '../spec-helpers';
import type { ReplicationDeadlineMissed, ReplicationEvent } from './replication-events';
import { missDeadline } from './miss-deadline';
import { evolveReplication, type ReplicationState } from './replication';
import { evolveReplicationView } from '../views/replication-view';

const deadline = '2024-05-01T10:03:00.000Z';
const withDeadline = (): ReplicationEvent => {
  const requested = copy.requested();
  return { ...requested, data: { ...requested.data, deadline } };
};

const spec = deciderSpecification<
  { now: string },
  ReplicationState,
  ReplicationEvent,
  ReplicationDeadlineMissed[]
>({
  initialState: () => null,
  evolve: evolveReplication,
  decide: (command, state) => missDeadline(state, command),
});

describe('missDeadline (the deadline timer)', () => {
  it('a copy still in flight at its deadline is late: the event names where it stood', () => {
    spec
      .given([withDeadline(), copy.started(), copy.progressed(1, 40)])
      .when({ now: deadline })
      .then([
        {
          type: 'ReplicationDeadlineMissed',
          data: {
            ...ref,
            sourceRegion: 'ap-guangzhou',
            deadline,
            percent: 40,
            missedAt: deadline,
          },
        },
      ]);
    // Not yet started counts as in flight too.
    expect(spec.given([withDeadline()]).when({ now: later }).thenResult()).toHaveLength(1);
  });

  it('appends once: a second firing (another catalog, a restart) finds it appended', () => {
    const [missed] = spec.given([withDeadline()]).when({ now: later }).thenResult();
    spec.given([withDeadline(), missed!]).when({ now: later }).then([]);
  });

  it('appends nothing before the deadline, without one, or after the copy ended', () => {
    spec.given([withDeadline()]).when({ now }).then([]);
    spec.given([copy.requested()]).when({ now: later }).then([]);
    spec.given([]).when({ now: later }).then([]);
    for (const end of [copy.completed(), copy.failed(), copy.cancelled()])
      spec.given([withDeadline(), copy.started(), end]).when({ now: later }).then([]);
  });

  it('the copy completes as usual after it; the view shows both', () => {
    const [missed] = spec.given([withDeadline()]).when({ now: later }).thenResult();
    const events = [withDeadline(), copy.started(), missed!, copy.verifying(), copy.completed()];
    expect(events.reduce(evolveReplication, null)).toMatchObject({
      status: 'COMPLETED',
      deadlineMissed: true,
    });
    expect(
      events.reduce<ReturnType<typeof evolveReplicationView>>(evolveReplicationView, null),
    ).toMatchObject({ state: 'COMPLETED', deadline, deadlineMissedAt: later });
  });
});

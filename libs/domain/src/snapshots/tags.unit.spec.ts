import {
  accountId,
  deciderSpecification,
  later,
  now,
  registered,
  targetRegistered,
} from '../spec-helpers';
import type { SnapshotState } from './snapshot';
import { evolveSnapshot, initialSnapshotState } from './snapshot';
import { changeSnapshotTags, registerSnapshot } from './snapshot-decisions';
import type { SnapshotEvent, SnapshotTagsChanged } from './snapshot-events';
import { DomainError } from '../shared/event';
import { copyTags, matchesTags, type Tag, userTagProblems, withReservedTags } from './tags';

const tag = (key: string, value = 'v'): Tag => ({ key, value });
const problemsOf = (tags: Tag[]) => userTagProblems(tags).map((p) => [p.field, p.code]);

describe('tag rules', () => {
  it('takes up to 50 tags with keys of 1-127 and values of 0-255 characters of the charset', () => {
    const fifty = Array.from({ length: 50 }, (_, i) => tag(`k${i}`));
    expect(problemsOf(fifty)).toEqual([]);
    expect(
      problemsOf([
        tag('k'.repeat(127), 'v'.repeat(255)),
        tag('Umgebung / Größe', ''),
        tag('环境', '生产'),
        tag('a_b.c:d/e=f+g-h@i'),
      ]),
    ).toEqual([]);
  });

  it('refuses a 51st tag, naming the list', () => {
    const many = Array.from({ length: 51 }, (_, i) => tag(`k${i}`));
    expect(problemsOf(many)).toEqual([['tags', 'InvalidParameterValue.Tags']]);
  });

  it('names each wrong field with its own code', () => {
    expect(
      problemsOf([
        tag(''),
        tag('k'.repeat(128)),
        tag('ok', 'v'.repeat(256)),
        tag('semi;colon'),
        tag('ok2', 'new\nline'),
        tag(' padded'),
        tag('snapferry:policy'),
        tag('dup'),
        tag('dup'),
      ]),
    ).toEqual([
      ['tags.0.key', 'InvalidParameterValue.TagKey'],
      ['tags.1.key', 'InvalidParameterValue.TagKey'],
      ['tags.2.value', 'InvalidParameterValue.TagValue'],
      ['tags.3.key', 'InvalidParameterValue.TagKey'],
      ['tags.4.value', 'InvalidParameterValue.TagValue'],
      ['tags.5.key', 'InvalidParameterValue.TagKey'],
      ['tags.6.key', 'InvalidParameterValue.TagKeyReserved'],
      ['tags.8.key', 'InvalidParameterValue.TagKey'],
    ]);
  });

  it('counts characters, not UTF-16 units (an emoji-free CJK key of 127 characters passes)', () => {
    expect(problemsOf([tag('键'.repeat(127))])).toEqual([]);
    expect(problemsOf([tag('键'.repeat(128))])).toEqual([
      ['tags.0.key', 'InvalidParameterValue.TagKey'],
    ]);
  });

  it('a copy carries the source user tags and where it came from, not the source own reserved tags', () => {
    const source = [tag('tier', 'gold'), tag('snapferry:source-region', 'eu-frankfurt')];
    expect(
      copyTags(source, { sourceSnapshotId: 'snap-src00001', sourceRegion: 'ap-guangzhou' }),
    ).toEqual([
      tag('tier', 'gold'),
      tag('snapferry:source-snapshot', 'snap-src00001'),
      tag('snapferry:source-region', 'ap-guangzhou'),
    ]);
    expect(
      copyTags([], {
        sourceSnapshotId: 'snap-src00001',
        sourceRegion: 'ap-guangzhou',
        policyId: 'pol-aaaa0001',
      }),
    ).toContainEqual(tag('snapferry:policy', 'pol-aaaa0001'));
  });

  it('a user change keeps the reserved tags', () => {
    expect(
      withReservedTags([tag('snapferry:source-region', 'x'), tag('old')], [tag('new')]),
    ).toEqual([tag('snapferry:source-region', 'x'), tag('new')]);
  });

  it('filters: every one must match', () => {
    const tags = [tag('tier', 'gold'), tag('env', 'prod')];
    expect(matchesTags(tags, [tag('tier', 'gold')])).toBe(true);
    expect(matchesTags(tags, [tag('tier', 'gold'), tag('env', 'prod')])).toBe(true);
    expect(matchesTags(tags, [tag('tier', 'gold'), tag('env', 'dev')])).toBe(false);
  });
});

describe('registerSnapshot with tags', () => {
  const base = {
    snapshotId: 'snap-src00001',
    accountId,
    region: 'ap-guangzhou',
    diskId: 'disk-data0001',
    diskUsage: 'DATA_DISK' as const,
    diskSizeGiB: 10,
    now,
  };

  it('records the tags on the event', () => {
    expect(registerSnapshot({ ...base, tags: [tag('tier', 'gold')] }).data.tags).toEqual([
      tag('tier', 'gold'),
    ]);
  });

  it('refuses a reserved key with the field, writing nothing', () => {
    let error: unknown;
    try {
      registerSnapshot({ ...base, tags: [tag('tier'), tag('snapferry:source-region', 'x')] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('InvalidParameterValue.TagKeyReserved');
    expect((error as DomainError).fields).toEqual([
      expect.objectContaining({
        field: 'tags.1.key',
        code: 'InvalidParameterValue.TagKeyReserved',
      }),
    ]);
  });
});

describe('changeSnapshotTags', () => {
  const spec = deciderSpecification<
    { tags: Tag[]; accountId?: string },
    SnapshotState,
    SnapshotEvent,
    SnapshotTagsChanged[]
  >({
    initialState: initialSnapshotState,
    evolve: evolveSnapshot,
    decide: (command, state) =>
      changeSnapshotTags(state, {
        accountId: command.accountId ?? accountId,
        snapshotId: state?.snapshotId ?? 'snap-src00001',
        tags: command.tags,
        now: later,
      }),
  });

  it('appends the whole new set', () => {
    spec
      .given([registered({ tags: [tag('tier', 'gold')] })])
      .when({ tags: [tag('tier', 'silver'), tag('env', 'prod')] })
      .then([
        {
          type: 'SnapshotTagsChanged',
          data: {
            snapshotId: 'snap-src00001',
            region: 'ap-guangzhou',
            tags: [tag('tier', 'silver'), tag('env', 'prod')],
            changedAt: later,
          },
        },
      ]);
  });

  it('the same set again changes nothing (order aside)', () => {
    spec
      .given([registered({ tags: [tag('a'), tag('b')] })])
      .when({ tags: [tag('b'), tag('a')] })
      .then([]);
  });

  it('an event written before tags existed reads as no tags', () => {
    spec.given([registered()]).when({ tags: [] }).then([]);
  });

  it('keeps a copy’s reserved tags when the user replaces the rest', () => {
    const copyTagsNow = [tag('tier', 'gold'), tag('snapferry:source-snapshot', 'snap-src00001')];
    const [event] = spec
      .given([{ ...targetRegistered(), data: { ...targetRegistered().data, tags: copyTagsNow } }])
      .when({ tags: [] })
      .thenResult();
    expect(event?.data.tags).toEqual([tag('snapferry:source-snapshot', 'snap-src00001')]);
  });

  it('refuses a reserved key and an unknown or foreign snapshot', () => {
    spec
      .given([registered()])
      .when({ tags: [tag('snapferry:policy', 'pol-x')] })
      .thenThrows('InvalidParameterValue.TagKeyReserved');
    spec.given([]).when({ tags: [] }).thenThrows('ResourceNotFound.Snapshot');
    spec
      .given([registered()])
      .when({ tags: [], accountId: 'someone-else' })
      .thenThrows('ResourceNotFound.Snapshot');
  });
});

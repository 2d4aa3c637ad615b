import { diskUsages } from '@snapferry/domain';
import { PageQuery } from '@snapferry/contracts';
import type { SnapshotSearch } from '../read-models/snapshot-views.repository';
import { CloudError } from './cloud-errors';
import { type Params, validated } from './cloud-params';
import { statesOfCloudState } from './cloud-snapshot';

export const describeSnapshotsSchema = {
  SnapshotIds: 'strings',
  Filters: 'filters',
  Offset: 'integer',
  Limit: 'integer',
  OrderField: 'string',
  Order: 'string',
} as const;

/** At most this many ids or values in one request, as the cloud's lists allow. */
export const maxValues = 100;

const oneOf = (name: string, values: string[], allowed: readonly string[]) => {
  const wrong = values.find((v) => !allowed.includes(v));
  if (wrong !== undefined)
    throw new CloudError(
      'InvalidParameterValue',
      `${name} ${wrong.slice(0, 60)} is not one of ${allowed.join(', ')}`,
    );
  return values;
};

/** Each filter the cloud documents for DescribeSnapshots, and what it selects here. */
const filters: Record<string, (values: string[]) => Partial<SnapshotSearch>> = {
  'snapshot-id': (values) => ({ snapshotIds: values }),
  'snapshot-name': (values) => ({ names: values }),
  'snapshot-state': (values) => ({
    states: oneOf('snapshot-state', values, Object.keys(statesOfCloudState)).flatMap(
      (v) => statesOfCloudState[v]!,
    ),
  }),
  'disk-usage': (values) => ({ diskUsages: oneOf('disk-usage', values, diskUsages) }),
  'disk-id': (values) => ({ diskIds: values }),
  encrypt: (values) => ({
    encrypted: oneOf(
      'encrypt',
      values.map((v) => v.toUpperCase()),
      ['TRUE', 'FALSE'],
    ).map((v) => v === 'TRUE'),
  }),
};

/** The cloud's tag filters: `tag-key` (any of the keys), `tag-value` (any of the values), `tag:<key>` (that key with any of the values). */
function tagFilter(name: string, values: string[]): Partial<SnapshotSearch> | undefined {
  if (name === 'tag-key') return { tagKeys: values };
  if (name === 'tag-value') return { tagValueAny: values };
  if (name.startsWith('tag:') && name.length > 4) return { tagValues: { [name.slice(4)]: values } };
  return undefined;
}

/** `DescribeSnapshots` parameters → the read model's search (validated; nothing is read yet). */
export function searchOf(
  params: Params<typeof describeSnapshotsSchema>,
  region: string,
): SnapshotSearch {
  if (params.SnapshotIds && params.Filters)
    throw new CloudError('InvalidParameter', 'SnapshotIds and Filters cannot be given together');
  if ((params.SnapshotIds?.length ?? 0) > maxValues)
    throw new CloudError(
      'InvalidParameterValue.LimitExceeded',
      `SnapshotIds may name at most ${maxValues} snapshots`,
    );
  if (params.OrderField !== undefined && params.OrderField !== 'CREATE_TIME')
    throw new CloudError('InvalidParameterValue', 'OrderField must be CREATE_TIME');
  if (params.Order !== undefined && params.Order !== 'ASC' && params.Order !== 'DESC')
    throw new CloudError('InvalidParameterValue', 'Order must be ASC or DESC');
  const page = validated(
    PageQuery,
    { offset: params.Offset ?? 0, limit: params.Limit ?? 20 },
    { offset: 'Offset', limit: 'Limit' },
    (error) =>
      error.property === 'limit' && error.constraints?.['max']
        ? 'InvalidParameterValue.LimitExceeded'
        : 'InvalidParameterValue',
  );
  const search: SnapshotSearch = {
    region,
    order: params.Order ?? 'DESC',
    offset: page.offset!,
    limit: page.limit!,
    ...(params.SnapshotIds ? { snapshotIds: params.SnapshotIds } : {}),
  };
  const seen = new Set<string>();
  for (const { Name, Values } of params.Filters ?? []) {
    const select = Object.hasOwn(filters, Name)
      ? filters[Name]!
      : tagFilter(Name, [])
        ? (values: string[]) => tagFilter(Name, values)!
        : undefined;
    if (!select)
      throw new CloudError(
        'InvalidFilter',
        `the filter ${Name.slice(0, 60)} is not supported; use ${Object.keys(filters).join(', ')}, tag-key, tag-value, tag:<key>`,
      );
    if (seen.has(Name))
      throw new CloudError('InvalidParameter', `the filter ${Name} is given twice`);
    seen.add(Name);
    if (Values.length === 0 || Values.length > maxValues)
      throw new CloudError(
        'InvalidParameterValue',
        `the filter ${Name} needs 1 to ${maxValues} values`,
      );
    const selected = select(Values);
    // Two `tag:<key>` filters each add their key.
    if (selected.tagValues) selected.tagValues = { ...search.tagValues, ...selected.tagValues };
    Object.assign(search, selected);
  }
  return search;
}

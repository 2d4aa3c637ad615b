import { Injectable } from '@nestjs/common';
import { snapshotIdPattern } from '@snapferry/domain';
import {
  RegisterSnapshotRequest,
  RenameSnapshotRequest,
  RequestCopiesRequest,
} from '@snapferry/contracts';
import { RequestCopies } from '../copies/request-copies';
import type { Caller } from '../http/api-keys';
import { SnapshotCommands } from '../snapshots/snapshot-commands';
import { SnapshotQueries } from '../snapshots/snapshot-queries';
import { CloudError, cloudCodeOf } from './cloud-errors';
import { type Params, type RawParams, readParams, required, validated } from './cloud-params';
import { toCloudSnapshot } from './cloud-snapshot';
import { tagsOfCloud } from './cloud-tags';
import { describeSnapshotsSchema, maxValues, searchOf } from './describe-snapshots';

export interface ActionContext {
  caller: Caller;
  /** `X-TC-Region`, already known to be in the region catalog. */
  region: string | undefined;
  requestId: string;
}

export interface CloudAction {
  /** Whether it changes anything: such an action never runs on a used signature (signature-reuse.ts). */
  writes: boolean;
  run(context: ActionContext, params: RawParams, fromQuery: boolean): Promise<object>;
}

/** An action's context with whether its parameters came from a GET's query string. */
type RunContext = ActionContext & { fromQuery: boolean };

type Schema = Parameters<typeof readParams>[1];
const action =
  (writes: boolean) =>
  <S extends Schema>(
    schema: S,
    run: (context: RunContext, params: Params<S>) => Promise<object>,
  ): CloudAction => ({
    writes,
    run: (context, raw, fromQuery) =>
      run({ ...context, fromQuery }, readParams(raw, schema, fromQuery)),
  });
/** An action that changes nothing (Describe*). */
const reading = action(false);
/** An action that changes something. */
const writing = action(true);

const regionOf = (context: ActionContext): string =>
  required(context.region, 'Region (the X-TC-Region header)');

const gib = (bytes: number) => Math.round((bytes / 1024 ** 3) * 1e6) / 1e6;

/**
 * The block-storage actions of the cloud's API 3.0, version 2017-03-12: each maps the cloud's
 * parameters onto the catalog's own commands and queries (the same services, rules and events
 * as the v1 API) and the answer back onto the cloud's shapes. No rule of the product lives here.
 */
@Injectable()
export class CloudActions {
  constructor(
    private readonly commands: SnapshotCommands,
    private readonly queries: SnapshotQueries,
    private readonly copies: RequestCopies,
  ) {}

  readonly byName: Record<string, CloudAction> = {
    CopySnapshotCrossRegions: writing(
      { SnapshotId: 'string', DestinationRegions: 'strings', SnapshotName: 'string' },
      async (context, p) => {
        const snapshotId = required(p.SnapshotId, 'SnapshotId');
        const request = validated(
          RequestCopiesRequest,
          {
            destinationRegions: required(p.DestinationRegions, 'DestinationRegions'),
            snapshotName: p.SnapshotName,
          },
          { destinationRegions: 'DestinationRegions', snapshotName: 'SnapshotName' },
        );
        await this.inRegion(context, [snapshotId]);
        const { results } = await this.copies.handle(
          context.caller,
          snapshotId,
          request,
          context.requestId,
        );
        return {
          SnapshotCopyResultSet: results.map((r) => ({
            SnapshotId: r.snapshotId ?? '',
            DestinationRegion: r.destinationRegion,
            Code: r.code === 'Success' ? 'Success' : cloudCodeOf(r.code),
            Message: r.code === 'Success' ? '' : r.message,
          })),
        };
      },
    ),

    DescribeSnapshots: reading(describeSnapshotsSchema, async (context, p) => {
      const { total, snapshots } = await this.queries.search(
        context.caller,
        searchOf(p, regionOf(context)),
      );
      return { TotalCount: total, SnapshotSet: snapshots.map(toCloudSnapshot) };
    }),

    CreateSnapshot: writing(
      {
        DiskId: 'string',
        SnapshotName: 'string',
        DiskUsage: 'string',
        DiskSize: 'integer',
        Deadline: 'any',
        DiskBackupId: 'any',
        Tags: 'any',
        LocalSnap: 'any',
      },
      async (context, p) => {
        const unsupported = (['Deadline', 'DiskBackupId', 'LocalSnap'] as const).find((name) => {
          const value: unknown = p[name];
          return (
            value !== undefined && value !== false && !(Array.isArray(value) && value.length === 0)
          );
        });
        if (unsupported)
          throw new CloudError('UnsupportedOperation', `Snapferry does not support ${unsupported}`);
        const region = regionOf(context);
        const names = {
          diskId: 'DiskId',
          diskUsage: 'DiskUsage',
          diskSizeGiB: 'DiskSize',
          name: 'SnapshotName',
        };
        const given = {
          region,
          diskId: required(p.DiskId, 'DiskId'),
          diskUsage: p.DiskUsage ?? 'DATA_DISK',
          diskSizeGiB: p.DiskSize ?? 1,
          name: p.SnapshotName,
        };
        validated(RegisterSnapshotRequest, given, names);
        // The cloud knows the disk; Snapferry keeps no disk inventory, only earlier snapshots of it.
        const known =
          p.DiskSize === undefined || p.DiskUsage === undefined
            ? (await this.queries.list(context.caller, { region, diskId: given.diskId, limit: 1 }))
                .snapshots[0]
            : undefined;
        const diskSizeGiB =
          p.DiskSize ??
          known?.diskSizeGiB ??
          required(
            undefined,
            `DiskSize (Snapferry keeps no disk inventory: give the disk's size in GiB the first time ${given.diskId} is snapshotted)`,
          );
        const request = validated(
          RegisterSnapshotRequest,
          { ...given, diskSizeGiB, diskUsage: p.DiskUsage ?? known?.diskUsage ?? 'DATA_DISK' },
          names,
        );
        const tags = tagsOfCloud(p.Tags, context.fromQuery);
        const snapshot = await this.commands.register(
          context.caller,
          { ...request, ...(tags ? { tags } : {}) },
          context.requestId,
        );
        return { SnapshotId: snapshot.snapshotId };
      },
    ),

    ModifySnapshotAttribute: writing(
      { SnapshotId: 'string', SnapshotName: 'string', IsPermanent: 'boolean', Deadline: 'any' },
      async (context, p) => {
        const snapshotId = required(p.SnapshotId, 'SnapshotId');
        if (p.IsPermanent === false || p.Deadline !== undefined)
          throw new CloudError(
            'UnsupportedOperation',
            'Snapferry keeps every snapshot until it is deleted: IsPermanent false and Deadline are not supported',
          );
        await this.inRegion(context, [snapshotId]);
        if (p.SnapshotName !== undefined) {
          const { name } = validated(
            RenameSnapshotRequest,
            { name: p.SnapshotName },
            { name: 'SnapshotName' },
          );
          await this.commands.rename(context.caller, snapshotId, name, context.requestId);
        }
        return {};
      },
    ),

    DeleteSnapshots: writing(
      { SnapshotIds: 'strings', DeleteBindImages: 'boolean' },
      async (context, p) => {
        const snapshotIds = required(p.SnapshotIds, 'SnapshotIds');
        if (snapshotIds.length === 0)
          throw new CloudError('MissingParameter', 'SnapshotIds must name at least one snapshot');
        if (snapshotIds.length > maxValues)
          throw new CloudError(
            'InvalidParameterValue.LimitExceeded',
            `SnapshotIds may name at most ${maxValues} snapshots`,
          );
        await this.inRegion(context, snapshotIds);
        await this.commands.deleteAll(context.caller, snapshotIds, context.requestId);
        return {};
      },
    ),

    DescribeSnapshotOverview: reading({}, async (context) => {
      const totals = await this.queries.totals(context.caller, context.region);
      // Snapferry bills nothing: no free quota, nothing billed.
      return {
        TotalNums: totals.count,
        TotalSize: gib(totals.sizeBytes),
        FreeQuota: 0,
        RealTradeSize: 0,
      };
    }),
  };

  /** Whether `name` is an action that changes something (an unknown name changes nothing: it is refused). */
  writes(name: string): boolean {
    return Object.hasOwn(this.byName, name) && this.byName[name]!.writes;
  }

  /**
   * The cloud's calls are about one region (`X-TC-Region`): a snapshot of this account in
   * another region, like one that does not exist, is `InvalidSnapshotId.NotFound`. Ids that
   * cannot exist are refused before any read.
   */
  private async inRegion(context: ActionContext, snapshotIds: string[]): Promise<void> {
    const region = regionOf(context);
    const found = await this.queries.regionsOf(
      context.caller,
      snapshotIds.filter((id) => snapshotIdPattern.test(id)),
    );
    const missing = snapshotIds.find((id) => found.get(id) !== region);
    if (missing !== undefined)
      throw new CloudError(
        'InvalidSnapshotId.NotFound',
        `snapshot ${missing.slice(0, 40)} does not exist in ${region}`,
      );
  }
}

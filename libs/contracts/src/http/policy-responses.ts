import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { recoveryPointStates, type RecoveryPointState } from '@snapferry/domain';
import { PolicyDestinationDto, PolicySelectorDto, RetentionRuleDto } from './policy-dtos';

const timestamp = { type: String, format: 'date-time', example: '2025-01-01T10:00:00.000Z' };

/** A destination that refused one of the policy's copies. */
export class PolicyFailureResponse {
  @ApiProperty({ example: 'snap-1a2b3c4d' }) snapshotId!: string;
  @ApiProperty({ example: 'disk-aaaa0001' }) diskId!: string;
  @ApiProperty({ example: 'ap-shanghai' }) destinationRegion!: string;
  @ApiProperty({ example: 'LimitExceeded.SnapshotQuota', description: 'the manual copy’s code' })
  code!: string;
  @ApiProperty() message!: string;
  @ApiProperty(timestamp) refusedAt!: string;
}

export class PolicyResponse {
  @ApiProperty({ example: 'pol-3k9d0x2a' }) policyId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: 'ap-guangzhou' }) sourceRegion!: string;
  @ApiProperty({ type: PolicySelectorDto }) selector!: PolicySelectorDto;
  @ApiProperty({ type: [PolicyDestinationDto] }) destinations!: PolicyDestinationDto[];
  @ApiPropertyOptional({ type: RetentionRuleDto }) sourceRetain?: RetentionRuleDto;
  @ApiProperty() minIntervalMinutes!: number;
  @ApiProperty() rpoMinutes!: number;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({
    type: [PolicyFailureResponse],
    description: 'the latest refusals, newest first (20 at most)',
  })
  failures!: PolicyFailureResponse[];
  @ApiProperty(timestamp) createdAt!: string;
  @ApiProperty(timestamp) updatedAt!: string;
}

export class PolicyListResponse {
  @ApiProperty() total!: number;
  @ApiProperty() offset!: number;
  @ApiProperty() limit!: number;
  @ApiProperty({ type: [PolicyResponse] }) policies!: PolicyResponse[];
}

export class PolicyPreviewCopy {
  @ApiProperty({ example: 'snap-1a2b3c4d' }) snapshotId!: string;
  @ApiProperty({ example: 'disk-aaaa0001' }) diskId!: string;
  @ApiProperty({ example: 'ap-shanghai' }) destinationRegion!: string;
}

export class PolicyPreviewDeletion {
  @ApiProperty({ example: 'snap-7h2k9q1m' }) snapshotId!: string;
  @ApiProperty({ example: 'ap-shanghai' }) region!: string;
  @ApiProperty({ example: 'not among the newest 3 of its disk' }) reason!: string;
}

/** What the policy would do now, without doing it. */
export class PolicyPreviewResponse {
  @ApiProperty({ type: [PolicyPreviewCopy] }) copies!: PolicyPreviewCopy[];
  @ApiProperty({ type: [PolicyPreviewDeletion] }) deletions!: PolicyPreviewDeletion[];
}

/** A selected disk in one destination: its newest NORMAL copy and how old the data is. */
export class RecoveryPointResponse {
  @ApiProperty({ example: 'disk-aaaa0001' }) diskId!: string;
  @ApiProperty({ example: 'ap-shanghai' }) region!: string;
  @ApiProperty({ type: String, nullable: true, example: 'snap-7h2k9q1m' }) snapshotId!:
    string | null;
  @ApiProperty({ ...timestamp, nullable: true, description: 'when its source snapshot was taken' })
  recoversTo!: string | null;
  @ApiProperty({ type: Number, nullable: true }) ageSeconds!: number | null;
  @ApiProperty({
    enum: recoveryPointStates,
    description: 'AT_RISK from 80 % of rpoMinutes, BREACHED from 100 %, NONE: no copy yet',
  })
  state!: RecoveryPointState;
}

export class PolicyStatusResponse {
  @ApiProperty({ example: 'pol-3k9d0x2a' }) policyId!: string;
  @ApiProperty() rpoMinutes!: number;
  @ApiProperty(timestamp) evaluatedAt!: string;
  @ApiProperty({ type: [RecoveryPointResponse] }) recoveryPoints!: RecoveryPointResponse[];
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow } from 'class-validator';
import { policyLimits } from '@snapferry/domain';

// The policy bodies are judged as a whole by the domain's parsePolicyDefinition, which gives a
// reason per field (`error.fields`); these classes document them and let their fields through.

export class PolicyTagDto {
  @ApiProperty({ maxLength: policyLimits.tagKeyLength, example: 'tier' }) key!: string;
  @ApiProperty({ maxLength: policyLimits.tagValueLength, example: 'gold' }) value!: string;
}

export class PolicySelectorDto {
  @ApiPropertyOptional({
    type: [String],
    maxItems: policyLimits.diskIds,
    example: ['disk-aaaa0001'],
  })
  diskIds?: string[];

  @ApiPropertyOptional({
    type: [PolicyTagDto],
    maxItems: policyLimits.tags,
    description: 'a snapshot carrying every one of these tags is selected',
  })
  tags?: PolicyTagDto[];
}

export class RetentionRuleDto {
  @ApiPropertyOptional({
    minimum: 1,
    maximum: policyLimits.count,
    description: 'keep the newest n',
  })
  count?: number;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: policyLimits.maxAgeDays,
    description: 'keep those younger than n days',
  })
  maxAgeDays?: number;
}

export class PolicyDestinationDto {
  @ApiProperty({ example: 'ap-shanghai' }) region!: string;
  @ApiProperty({
    type: RetentionRuleDto,
    description:
      'at least one rule; each is a limit, and the newest NORMAL copy of a disk always stays',
  })
  retain!: RetentionRuleDto;
}

/** `POST /v1/policies`. */
export class CreatePolicyRequest {
  @Allow()
  @ApiProperty({ maxLength: policyLimits.nameLength, example: 'orders-db DR' })
  name!: string;

  @Allow()
  @ApiProperty({ example: 'ap-guangzhou' })
  sourceRegion!: string;

  @Allow()
  @ApiProperty({
    type: PolicySelectorDto,
    description:
      'snapshots on one of diskIds, or carrying every tag (either may be left out, not both)',
  })
  selector!: PolicySelectorDto;

  @Allow()
  @ApiProperty({
    type: [PolicyDestinationDto],
    minItems: 1,
    description: 'at most maxPolicyDestinations of the regions file (3 unless told)',
  })
  destinations!: PolicyDestinationDto[];

  @Allow()
  @ApiPropertyOptional({
    type: RetentionRuleDto,
    description: 'retention of the source snapshots the policy selects',
  })
  sourceRetain?: RetentionRuleDto;

  @Allow()
  @ApiPropertyOptional({
    minimum: 0,
    maximum: policyLimits.minutes,
    default: 0,
    description: 'the least time between two copies of one disk to one destination',
  })
  minIntervalMinutes?: number;

  @Allow()
  @ApiProperty({
    minimum: 1,
    maximum: policyLimits.minutes,
    description: 'the recovery-point objective; at least minIntervalMinutes',
  })
  rpoMinutes!: number;

  @Allow()
  @ApiPropertyOptional({ default: true })
  enabled?: boolean;
}

/** `PATCH /v1/policies/{id}`: the fields given replace the policy's; the result is judged whole. */
export class ChangePolicyRequest {
  @Allow() @ApiPropertyOptional({ maxLength: policyLimits.nameLength }) name?: string;
  @Allow() @ApiPropertyOptional() sourceRegion?: string;
  @Allow() @ApiPropertyOptional({ type: PolicySelectorDto }) selector?: PolicySelectorDto;
  @Allow()
  @ApiPropertyOptional({ type: [PolicyDestinationDto] })
  destinations?: PolicyDestinationDto[];
  @Allow() @ApiPropertyOptional({ type: RetentionRuleDto }) sourceRetain?: RetentionRuleDto;
  @Allow()
  @ApiPropertyOptional({ minimum: 0, maximum: policyLimits.minutes })
  minIntervalMinutes?: number;
  @Allow() @ApiPropertyOptional({ minimum: 1, maximum: policyLimits.minutes }) rpoMinutes?: number;
  @Allow() @ApiPropertyOptional() enabled?: boolean;
}

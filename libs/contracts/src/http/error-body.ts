import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** One refused field of a request. */
export class FieldErrorDetail {
  @ApiProperty({ example: 'tags.2.key', description: 'the field, as a path into the request' })
  field!: string;
  @ApiProperty({ example: 'InvalidParameterValue.TagKeyReserved' }) code!: string;
  @ApiProperty() message!: string;
}

export class ErrorDetail {
  @ApiProperty({ example: 'UnsupportedOperation.SnapshotCopying' }) code!: string;
  @ApiProperty() message!: string;
  @ApiProperty() requestId!: string;
  @ApiPropertyOptional({
    type: [FieldErrorDetail],
    description: 'on a refused request body or query: every field that is wrong and why',
  })
  fields?: FieldErrorDetail[];
}

/** Every error answer: `{"error": {"code", "message", "requestId", "fields"?}}`. */
export class ErrorBody {
  @ApiProperty({ type: ErrorDetail }) error!: ErrorDetail;
}

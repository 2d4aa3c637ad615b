import { ApiProperty } from '@nestjs/swagger';

export class ErrorDetail {
  @ApiProperty({ example: 'UnsupportedOperation.SnapshotCopying' }) code!: string;
  @ApiProperty() message!: string;
  @ApiProperty() requestId!: string;
}

/** Every error answer: `{"error": {"code", "message", "requestId"}}`. */
export class ErrorBody {
  @ApiProperty({ type: ErrorDetail }) error!: ErrorDetail;
}

import { type ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import { ApiError } from './api-error';

const describe = (errors: ValidationError[], prefix = ''): string[] =>
  errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}).map((m) => (prefix ? `${prefix}${m}` : m)),
    ...describe(e.children ?? [], `${prefix}${e.property}.`),
  ]);

/**
 * class-validator on every body and query: a body that is not a JSON object, unknown
 * fields and wrong types are refused before any handler runs.
 */
export class StrictValidationPipe extends ValidationPipe {
  constructor() {
    super({
      transform: true,
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      exceptionFactory: (errors) => new ApiError(400, 'InvalidParameter', describe(errors).join('; ') || 'invalid request'),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && metadata.metatype && metadata.metatype !== Object) {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new ApiError(400, 'InvalidParameter', 'the body must be a JSON object');
    }
    return super.transform(value, metadata);
  }
}

import { type ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import { gatherTagFilters, ListSnapshotsQuery } from '@snapferry/contracts';
import { ApiError, type FieldError } from './api-error';

/** class-validator's findings as messages (nested ones prefixed with their path). */
export const describeErrors = (errors: ValidationError[], prefix = ''): string[] =>
  errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}).map((m) => (prefix ? `${prefix}${m}` : m)),
    ...describeErrors(e.children ?? [], `${prefix}${e.property}.`),
  ]);

/** class-validator's findings per field (`tags.2.key`), for `error.fields`. */
export const fieldErrors = (errors: ValidationError[], prefix = ''): FieldError[] =>
  errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}).map((message) => ({
      field: `${prefix}${e.property}`,
      code: 'InvalidParameter',
      message,
    })),
    ...fieldErrors(e.children ?? [], `${prefix}${e.property}.`),
  ]);

const maxDepth = 16;
// A NUL or a lone surrogate cannot be stored in PostgreSQL (text or jsonb).
const unstorable = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a parsed body cannot be taken at all, before validation walks it (recursively, so depth first). */
export function unacceptable(value: unknown, depth = 0): string | undefined {
  if (typeof value === 'string')
    return unstorable.test(value)
      ? 'strings must not hold NUL characters or lone surrogates'
      : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth >= maxDepth) return `the body is nested deeper than ${maxDepth} levels`;
  for (const [key, item] of Object.entries(value)) {
    const problem = unacceptable(key) ?? unacceptable(item, depth + 1);
    if (problem) return problem;
  }
  return undefined;
}

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
      exceptionFactory: (errors) =>
        new ApiError(
          400,
          'InvalidParameter',
          describeErrors(errors).join('; ') || 'invalid request',
          {},
          fieldErrors(errors),
        ),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // `tag:<key>=<value>` parameters name their key in the parameter: gathered before the whitelist.
    if (metadata.type === 'query' && takesTagFilters(metadata.metatype) && isRecord(value))
      value = gatherTagFilters(value);
    if (metadata.type === 'body' && metadata.metatype && metadata.metatype !== Object) {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new ApiError(400, 'InvalidParameter', 'the body must be a JSON object');
      const problem = unacceptable(value);
      if (problem) throw new ApiError(400, 'InvalidParameter', problem);
    }
    const result: unknown = await super.transform(value, metadata);
    // @IsOptional lets null through; the handlers and the domain take "absent" as undefined only.
    if (metadata.type === 'body' && typeof result === 'object' && result !== null)
      for (const [key, item] of Object.entries(result))
        if (item === null) delete (result as Record<string, unknown>)[key];
    // Paging numbers go to PostgreSQL as bigint: beyond the safe range they would fail there (a 500).
    if (metadata.type === 'query' && typeof result === 'object' && result !== null)
      for (const [key, item] of Object.entries(result))
        if (typeof item === 'number' && !Number.isSafeInteger(item))
          throw new ApiError(400, 'InvalidParameter', `${key} is out of range`);
    return result;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const takesTagFilters = (metatype: ArgumentMetadata['metatype']): boolean =>
  metatype === ListSnapshotsQuery ||
  (typeof metatype === 'function' && metatype.prototype instanceof ListSnapshotsQuery);

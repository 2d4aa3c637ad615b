import {
  type DynamicModule,
  type ExecutionContext,
  Injectable,
  type Provider,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerGuard, type ThrottlerLimitDetail, ThrottlerModule } from '@nestjs/throttler';
import type { RateLimit } from '@snapferry/platform';
import { ApiError } from './api-error';
import { contextOf, type CatalogRequest } from './request-context';

export const rateLimitCode = 'RequestLimitExceeded.KeyRateLimit';

const windowName = (ms: number) =>
  ms === 1000 ? 'second' : ms === 60_000 ? 'minute' : ms === 3_600_000 ? 'hour' : `${ms} ms`;

/**
 * @nestjs/throttler's guard, answering in the API's error shape. It runs after the AuthGuard, so
 * it counts per authenticated key (account and key), not per address; requests without a caller
 * (health, metrics) are never limited, and requests with a bad key were refused already.
 */
@Injectable()
export class KeyRateLimitGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    throw new ApiError(
      429,
      rateLimitCode,
      `more than ${detail.limit} requests per ${windowName(detail.ttl)} with this API key; retry after ${detail.timeToBlockExpire} s`,
    );
  }
}

const callerOf = (req: unknown) => contextOf(req as CatalogRequest).caller;

/** What CatalogModule adds for SNAPFERRY_RATE_LIMIT (nothing when it is off). */
export function keyRateLimit(rateLimit: RateLimit | null): {
  imports: NonNullable<DynamicModule['imports']>;
  providers: Provider[];
} {
  if (!rateLimit) return { imports: [], providers: [] };
  return {
    imports: [
      ThrottlerModule.forRoot({
        throttlers: [{ limit: rateLimit.limit, ttl: rateLimit.windowMs }],
        skipIf: (context) => !callerOf(context.switchToHttp().getRequest()),
        getTracker: (req) => {
          const caller = callerOf(req)!;
          return `${caller.accountId}/${caller.keyId}`;
        },
        // One count per key across every route (the default counts per route).
        generateKey: (_context, tracker, name) => `${name}:${tracker}`,
      }),
    ],
    providers: [{ provide: APP_GUARD, useClass: KeyRateLimitGuard }],
  };
}

import {
  type CanActivate,
  type ExecutionContext,
  Injectable,
  SetMetadata,
  createParamDecorator,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { PUBLIC_ROUTE } from '@snapferry/platform';
import { ApiError } from './api-error';
import type { Caller } from './api-keys';
import { contextOf, type CatalogRequest } from './request-context';

export const OPERATOR_ONLY = 'snapferry:operator';
/** Health, metrics and the cloud API (signed its own way) answer without a key. */
export { Public } from '@snapferry/platform';
export const OperatorOnly = () => SetMetadata(OPERATOR_ONLY, true);

/** Every call but health carries `Authorization: Bearer <api key>`. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly lookup: (key: string) => Caller | undefined,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<CatalogRequest>();
    const header = request.headers.authorization;
    if (!header)
      throw new ApiError(401, 'AuthFailure.MissingApiKey', 'send Authorization: Bearer <api key>');
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const caller = match ? this.lookup(match[1]!) : undefined;
    if (!caller) throw new ApiError(401, 'AuthFailure.InvalidApiKey', 'the API key is not valid');
    contextOf(request).caller = caller;
    if (
      this.reflector.getAllAndOverride<boolean>(OPERATOR_ONLY, targets) &&
      caller.role !== 'operator'
    )
      throw new ApiError(
        403,
        'UnauthorizedOperation.OperatorOnly',
        'this call is for operators only',
      );
    return true;
  }
}

/** The authenticated caller of this request. */
export const CurrentCaller = createParamDecorator(
  (_: unknown, context: ExecutionContext): Caller => {
    const caller = contextOf(context.switchToHttp().getRequest<CatalogRequest>()).caller;
    if (!caller)
      throw new ApiError(401, 'AuthFailure.MissingApiKey', 'send Authorization: Bearer <api key>');
    return caller;
  },
);

export const RequestId = createParamDecorator(
  (_: unknown, context: ExecutionContext): string =>
    contextOf(context.switchToHttp().getRequest<CatalogRequest>()).requestId,
);

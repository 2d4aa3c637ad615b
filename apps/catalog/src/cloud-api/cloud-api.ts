import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DomainError, findRegion, type RegionCatalog } from '@snapferry/domain';
import { WrongExpectedVersionError } from '@snapferry/event-store';
import type { CatalogConfig, CloudKey } from '@snapferry/platform';
import { ApiError } from '../http/api-error';
import { unacceptable } from '../http/validation.pipe';
import { CONFIG, LOGGER, REGION_CATALOG } from '../tokens';
import { CloudActions } from './cloud-actions';
import { CloudError, cloudCodeOf } from './cloud-errors';
import { type CloudAnswer, cloudError } from './cloud-http';
import { CloudSignatures } from './cloud-signatures';
import { paramsFromQuery, type RawParams } from './cloud-params';
import { reuseRefusal } from './signature-reuse';
import { type SignedRequest, verifyTc3 } from './tc3-signature';

export const cloudApiVersion = '2017-03-12';

export type CloudHttpRequest = SignedRequest & { requestId: string };

/**
 * Without SNAPFERRY_CLOUD_KEYS every call gets this, in the cloud's shape (HTTP 200): the
 * SDKs show its code and message, where a 404 would reach their users as a bare HTTP error.
 */
const endpointOff = () =>
  new CloudError(
    'AuthFailure.SecretIdNotFound',
    'the cloud API endpoint is off: this Snapferry has no SNAPFERRY_CLOUD_KEYS (its operator sets <SecretId>:<SecretKey>=<accountId>:<role> entries to turn it on)',
  );

const header = (req: SignedRequest, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * The cloud's API 3.0 edge: authenticate (TC3-HMAC-SHA256, `SNAPFERRY_CLOUD_KEYS`, off without
 * them, no replay), check the version and the action, parse the parameters, run the action, and
 * answer in the cloud's shape — every outcome, refusals and faults included, is an answer (never
 * a throw).
 */
@Injectable()
export class CloudApi {
  private readonly credentials: Map<string, CloudKey>;

  constructor(
    @Inject(CONFIG) config: CatalogConfig,
    @Inject(REGION_CATALOG) private readonly regions: RegionCatalog,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly actions: CloudActions,
    private readonly signatures: CloudSignatures,
  ) {
    this.credentials = new Map(config.cloudKeys.map((k) => [k.secretId, k]));
  }

  async handle(req: CloudHttpRequest, now = Math.floor(Date.now() / 1000)): Promise<CloudAnswer> {
    try {
      return { Response: { ...(await this.run(req, now)), RequestId: req.requestId } };
    } catch (error) {
      const { code, message } = this.refusal(error, req.requestId);
      return cloudError(req.requestId, code, message);
    }
  }

  private async run(req: CloudHttpRequest, now: number): Promise<object> {
    if (this.credentials.size === 0) throw endpointOff();
    const name = header(req, 'x-tc-action');
    if (!name) throw new CloudError('MissingParameter', 'the request has no X-TC-Action header');
    const verdict = verifyTc3(req, (id) => this.credentials.get(id), now);
    if (!verdict.ok) throw new CloudError(verdict.code, verdict.message);
    // Nothing below runs for a request that is not authenticated, or a replay.
    await this.refuseReplay(verdict, name, req.requestId);
    const version = header(req, 'x-tc-version');
    if (!version)
      throw new CloudError('MissingParameter', 'the request has no X-TC-Version header');
    if (version !== cloudApiVersion)
      throw new CloudError(
        'NoSuchVersion',
        `the API version ${version.slice(0, 20)} does not exist; the block-storage actions are version ${cloudApiVersion}`,
      );
    const action = Object.hasOwn(this.actions.byName, name) ? this.actions.byName[name] : undefined;
    if (!action)
      throw new CloudError(
        'InvalidAction',
        `the action ${name.slice(0, 60)} does not exist; Snapferry answers ${Object.keys(this.actions.byName).join(', ')}`,
      );
    const region = header(req, 'x-tc-region') || undefined;
    if (region !== undefined && !findRegion(this.regions, region))
      throw new CloudError(
        'UnsupportedRegion',
        `the region ${region.slice(0, 40)} is not supported`,
      );
    const fromQuery = req.method === 'GET';
    const params = fromQuery ? paramsFromQuery(req.query) : bodyParams(req);
    const problem = unacceptable(params);
    if (problem) throw new CloudError('InvalidParameter', problem);
    const { credential } = verdict;
    return action.run(
      {
        caller: {
          accountId: credential.accountId,
          role: credential.role,
          keyId: `cloud:${credential.secretId}`,
        },
        region,
        requestId: req.requestId,
      },
      params,
      fromQuery,
    );
  }

  /**
   * Counts this use of the signature (across every catalog of the database) and refuses a
   * second use that could change something: a replay, or an action swapped in under a
   * signature that does not cover X-TC-Action (signature-reuse.ts).
   */
  private async refuseReplay(
    verdict: { signature: string; timestamp: number; credential: CloudKey },
    action: string,
    requestId: string,
  ): Promise<void> {
    const use = await this.signatures.use(verdict.signature, action, verdict.timestamp);
    const refusal = reuseRefusal(use, action, (name) => this.actions.writes(name));
    if (refusal === undefined) return;
    this.logger.warn(
      {
        requestId,
        secretId: verdict.credential.secretId,
        action: action.slice(0, 60),
        firstAction: use.firstAction.slice(0, 60),
        uses: use.uses,
      },
      'cloud API signature used again: refused',
    );
    throw new CloudError('AuthFailure.SignatureReplayed', refusal);
  }

  private refusal(error: unknown, requestId: string): { code: string; message: string } {
    if (error instanceof CloudError) return { code: error.code, message: error.message };
    if (error instanceof DomainError || error instanceof ApiError)
      return { code: cloudCodeOf(error.code), message: error.message };
    if (error instanceof WrongExpectedVersionError)
      return { code: 'ResourceBusy', message: 'the snapshot changed meanwhile; retry the request' };
    this.logger.error({ err: error, requestId }, 'cloud API request failed');
    return {
      code: 'InternalError',
      message: 'an internal error occurred; quote the RequestId when reporting it',
    };
  }
}

/** A POST's JSON body (an empty body: no parameters). */
function bodyParams(req: SignedRequest): RawParams {
  const type = header(req, 'content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type))
    throw new CloudError('InvalidParameter', 'Content-Type must be application/json');
  if (req.body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(req.body.toString('utf8'));
  } catch {
    throw new CloudError('InvalidParameter', 'the body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new CloudError('InvalidParameter', 'the body must be a JSON object');
  return parsed as RawParams;
}

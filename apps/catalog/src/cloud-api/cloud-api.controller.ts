import { applyDecorators, Controller, Get, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../http/auth.guard';
import { contextOf } from '../http/request-context';
import { CloudApi, cloudApiVersion } from './cloud-api';
import { type CloudApiRequest, sendCloudAnswer } from './cloud-http';

const description = `The public cloud's API 3.0 protocol for its own SDKs, CLI and Terraform provider: block-storage (cbs) actions of version ${cloudApiVersion}, signed with TC3-HMAC-SHA256 using a SecretId/SecretKey from SNAPFERRY_CLOUD_KEYS (not the bearer API key); without SNAPFERRY_CLOUD_KEYS the endpoint is off and every call answers AuthFailure.SecretIdNotFound. The action is in X-TC-Action and its parameters in the JSON body (POST) or the signed query string (GET). Every answer is HTTP 200 with {"Response": {..., "RequestId"}} or {"Response": {"Error": {"Code", "Message"}, "RequestId"}}. See the README, "Use the cloud SDK".`;

const headers = [
  { name: 'X-TC-Action', required: true, description: 'e.g. DescribeSnapshots' },
  { name: 'X-TC-Version', required: true, description: cloudApiVersion },
  { name: 'X-TC-Region', required: false, description: 'the region the call is about' },
  { name: 'X-TC-Timestamp', required: true, description: 'Unix seconds, within 5 minutes' },
  { name: 'Authorization', required: true, description: 'TC3-HMAC-SHA256 Credential=…' },
];
const answer = {
  description: 'always 200; an error is Response.Error',
  schema: {
    type: 'object',
    properties: {
      Response: {
        type: 'object',
        properties: {
          RequestId: { type: 'string' },
          Error: {
            type: 'object',
            properties: { Code: { type: 'string' }, Message: { type: 'string' } },
          },
        },
        additionalProperties: true,
      },
    },
  },
};

const documented = (summary: string) =>
  applyDecorators(
    ApiOperation({ summary, description }),
    ...headers.map((h) => ApiHeader(h)),
    ApiOkResponse(answer),
  );

/** `POST /` and `GET /`: the cloud's API 3.0 (see CloudApi); the answer is written as the SDKs expect. */
@ApiTags('cloud API 3.0')
@Controller()
export class CloudApiController {
  constructor(private readonly api: CloudApi) {}

  @Public()
  @Post()
  @documented('A cloud API 3.0 action (JSON body)')
  @ApiBody({
    required: false,
    description: 'the action\'s parameters, e.g. {"SnapshotIds": ["snap-1a2b3c4d"]}',
    schema: { type: 'object', additionalProperties: true },
  })
  async post(@Req() req: CloudApiRequest, @Res() res: Response): Promise<void> {
    sendCloudAnswer(res, await this.api.handle(signedRequestOf(req)));
  }

  @Public()
  @Get()
  @documented('A cloud API 3.0 action (signed query string)')
  async get(@Req() req: CloudApiRequest, @Res() res: Response): Promise<void> {
    sendCloudAnswer(res, await this.api.handle(signedRequestOf(req)));
  }
}

function signedRequestOf(req: CloudApiRequest) {
  const url = req.originalUrl;
  const mark = url.indexOf('?');
  return {
    method: req.method,
    path: req.path,
    query: mark < 0 ? '' : url.slice(mark + 1),
    headers: req.headers,
    body: req.rawBody ?? Buffer.alloc(0),
    requestId: contextOf(req).requestId,
  };
}

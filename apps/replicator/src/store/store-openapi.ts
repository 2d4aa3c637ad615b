import {
  REGION_AUTH_SCHEME,
  REGION_CONTENT_HEADER,
  REGION_DATE_HEADER,
  REGION_NONCE_HEADER,
  REGION_SIGNATURE_REPLAYED,
} from '@snapferry/storage';

const region = { name: 'region', in: 'path', required: true, schema: { type: 'string' } };
const snapshotId = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^snap-[a-z0-9]{8}$' },
};
const digest = {
  name: 'digest',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[0-9a-f]{64}$' },
};
const json = (schema: object) => ({ 'application/json': { schema } });
const error = {
  description: 'the error shape of the API',
  content: json({ $ref: '#/components/schemas/Error' }),
};
const errors = {
  '400': error,
  '401': {
    ...error,
    description: `no or a wrong signature (AuthFailure.RegionSignature), or one used before (${REGION_SIGNATURE_REPLAYED})`,
  },
  '404': { ...error, description: 'a region this replicator does not serve, or no such object' },
  '503': {
    ...error,
    description: 'the signature cannot be checked now (ServiceUnavailable): retry',
  },
  '507': {
    ...error,
    description:
      'the region has no space left (ResourceInsufficient.StorageFull); `error.reason` says why in the store’s words (`no space left on device`, a bucket’s `QuotaExceeded`)',
  },
};
const ids = json({
  type: 'object',
  properties: { snapshotIds: { type: 'array', items: { type: 'string' } } },
});
const deleted = json({ type: 'object', properties: { deleted: { type: 'boolean' } } });
const digestList = { type: 'array', items: { type: 'string', pattern: '^[0-9a-f]{64}$' } };
const digests = json({
  type: 'object',
  required: ['digests'],
  properties: { digests: digestList },
});
const accountId = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' };
const accountDigests = json({
  type: 'object',
  required: ['accountId', 'digests'],
  properties: { accountId, digests: digestList },
});
const writer = [
  { name: 'accountId', in: 'query', required: true, schema: accountId },
  { name: 'snapshotId', in: 'query', required: true, schema: snapshotId.schema },
];

/** The store service's own OpenAPI document, served at `/v1/store/openapi.json`. */
export const storeOpenApi = {
  openapi: '3.0.3',
  info: {
    title: 'Snapferry region store service',
    version: '1',
    description: `A region's snapshot store, served by the replicator that runs the region, for the catalog and the other regions. Every call is signed: ${REGION_AUTH_SCHEME} over the method, the path with its query, ${REGION_DATE_HEADER} (Unix milliseconds, within 5 minutes), ${REGION_NONCE_HEADER} (32 random hex digits, new for every call) and ${REGION_CONTENT_HEADER} (the body's SHA-256; for a chunk, the chunk's digest), HMAC-SHA256 with SNAPFERRY_REGION_SECRET. A signature is good once: sent again, it is refused (401 ${REGION_SIGNATURE_REPLAYED}). API keys open nothing here.`,
  },
  components: {
    securitySchemes: {
      regionSignature: {
        type: 'apiKey',
        in: 'header',
        name: 'authorization',
        description: `${REGION_AUTH_SCHEME} Signature=<hex HMAC-SHA256 of "${REGION_AUTH_SCHEME}\\n<METHOD>\\n<path?query>\\n<${REGION_DATE_HEADER}>\\n<${REGION_NONCE_HEADER}>\\n<${REGION_CONTENT_HEADER}>">`,
      },
    },
    schemas: {
      Error: {
        type: 'object',
        properties: {
          error: {
            type: 'object',
            properties: {
              code: { type: 'string' },
              message: { type: 'string' },
              requestId: { type: 'string' },
              missing: { type: 'array', items: { type: 'string' } },
            },
          },
        },
      },
      Manifest: {
        type: 'object',
        required: [
          'version',
          'snapshotId',
          'chunkSize',
          'totalLength',
          'root',
          'chunks',
          'createdAt',
        ],
        properties: {
          version: { type: 'integer', enum: [1, 2] },
          snapshotId: { type: 'string' },
          chunkSize: { type: 'integer' },
          totalLength: { type: 'integer' },
          imageDigest: {
            type: 'string',
            description:
              "the whole image's SHA-256, where it was read whole (absent for changed ranges)",
          },
          root: {
            type: 'string',
            description: 'SHA-256 over each chunk digest (32 bytes) and size (uint64 BE), in order',
          },
          chunks: {
            type: 'array',
            items: {
              type: 'object',
              properties: { digest: { type: 'string' }, size: { type: 'integer' } },
            },
          },
          createdAt: { type: 'string', format: 'date-time' },
          copiedFrom: {
            type: 'object',
            properties: { region: { type: 'string' }, snapshotId: { type: 'string' } },
          },
        },
      },
    },
  },
  security: [{ regionSignature: [] }],
  paths: {
    '/v1/store/{region}/manifests': {
      get: {
        summary: 'the snapshots with complete data here',
        parameters: [region],
        responses: { '200': { description: 'ids', content: ids }, ...errors },
      },
    },
    '/v1/store/{region}/manifests/{id}': {
      get: {
        summary: "a snapshot's manifest",
        parameters: [region, snapshotId],
        responses: {
          '200': {
            description: 'the manifest',
            content: json({ $ref: '#/components/schemas/Manifest' }),
          },
          ...errors,
        },
      },
      put: {
        summary:
          'writes a manifest (with its `accountId`); refused (409 FailedOperation.ChunksMissing, with `missing`) unless every chunk is present and was sent by that account',
        parameters: [region, snapshotId],
        requestBody: { required: true, content: json({ $ref: '#/components/schemas/Manifest' }) },
        responses: {
          '204': { description: 'written: the data is complete' },
          '409': error,
          ...errors,
        },
      },
      delete: {
        summary: 'deletes a manifest (idempotent)',
        parameters: [region, snapshotId],
        responses: { '200': { description: 'whether it existed', content: deleted }, ...errors },
      },
    },
    '/v1/store/{region}/chunks/missing': {
      post: {
        summary:
          'which of these digests the account must send: those the region lacks and those only other accounts sent (dedup never crosses accounts); the ones it holds get their GC age refreshed',
        parameters: [region],
        requestBody: { required: true, content: accountDigests },
        responses: {
          '200': {
            description: 'the missing ones',
            content: json({
              type: 'object',
              properties: { missing: { type: 'array', items: { type: 'string' } } },
            }),
          },
          ...errors,
        },
      },
    },
    '/v1/store/{region}/chunks/{digest}': {
      get: {
        summary: 'a chunk by digest: immutable (cacheable forever), one byte Range honoured',
        parameters: [
          region,
          digest,
          { name: 'range', in: 'header', required: false, schema: { type: 'string' } },
        ],
        responses: {
          '200': {
            description: 'the bytes',
            content: {
              'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
            },
          },
          '206': { description: 'a range of them' },
          ...errors,
        },
      },
      put: {
        summary:
          "writes a chunk for an account's write of a snapshot; its bytes must hash to the digest (400 InvalidParameter.ChunkDigestMismatch); stored once per region, referenced by the account from then on",
        parameters: [region, digest, ...writer],
        requestBody: {
          required: true,
          content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
        },
        responses: {
          '201': { description: 'new for this account' },
          '200': { description: 'the account had already sent it' },
          ...errors,
        },
      },
    },
    '/v1/store/{region}/pending': {
      get: {
        summary: 'snapshots with a write in flight',
        parameters: [region],
        responses: { '200': { description: 'ids', content: ids }, ...errors },
      },
    },
    '/v1/store/{region}/pending/{id}': {
      post: {
        summary: 'records chunks a write in flight needs (GC keeps them)',
        parameters: [region, snapshotId],
        requestBody: { required: true, content: digests },
        responses: { '204': { description: 'recorded' }, ...errors },
      },
      delete: {
        summary: "drops a write's pending record",
        parameters: [region, snapshotId],
        responses: { '200': { description: 'whether it existed', content: deleted }, ...errors },
      },
    },
    '/v1/store/{region}/gc': {
      post: {
        summary: 'collects the chunks nothing references (bounded mark-and-sweep)',
        description:
          'Runs in the request. One GC per region at a time: a call while one runs joins it and gets the same statistics (whatever its graceMs). The run stops once every caller has closed its request.',
        parameters: [region],
        requestBody: {
          required: false,
          content: json({ type: 'object', properties: { graceMs: { type: 'integer' } } }),
        },
        responses: { '200': { description: 'statistics of the sweep' }, ...errors },
      },
    },
    '/v1/store/{region}/scrub': {
      post: {
        summary: 're-verifies every stored chunk; corrupt ones are reported and removed',
        description:
          'Runs in the request. One scrub per region at a time: a call while one runs joins it and gets the same report. The run stops once every caller has closed its request.',
        parameters: [region],
        responses: { '200': { description: 'the scrub report' }, ...errors },
      },
    },
  },
} as const;

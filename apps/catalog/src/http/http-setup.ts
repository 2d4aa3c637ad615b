import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { IncomingMessage } from 'node:http';
import { json, type NextFunction, type Request, type Response } from 'express';
import type { Registry } from 'prom-client';
import { manifestBodyLimit } from '@snapferry/contracts';
import { type BodyPace, httpMetrics, requestLogger, type Logger } from '@snapferry/platform';
import { cloudApiBody, cloudError, isCloudApiCall, sendCloudAnswer } from '../cloud-api/cloud-http';
import { serveConsole } from '../console/serve-console';
import { bodyTooSlowCode, bytesPerWindow, paceBodies } from './body-pace';
import { sendError } from './error.filter';
import { lingerBeforeClosing } from './lingering-close';
import { contextOf, type CatalogRequest } from './request-context';

/**
 * The HTTP edge: structured request logs carrying the request id (also the correlation id of
 * everything the request causes) and the caller's account but never a header's value, request
 * metrics by route, a pace every request body must keep, a JSON body limit (256 KiB; 32 MiB for an upload's manifest), the web console's files (`/console`), and the OpenAPI
 * document (`/openapi.json`) with interactive docs (`/docs`).
 */
export function configureHttp(
  app: NestExpressApplication,
  logger: Logger,
  metrics: Registry,
  pace: BodyPace,
): void {
  const http = httpMetrics(metrics);
  const context = (req: IncomingMessage) => contextOf(req as CatalogRequest);
  app.use(
    requestLogger(logger, {
      requestId: (req) => context(req).requestId,
      bindings: (req) => ({ correlationId: context(req).requestId }),
      accountId: (req) => context(req).caller?.accountId,
      quietPaths: ['/health', '/health/live', '/metrics'],
    }),
  );
  app.use((req: CatalogRequest, res: Response, next: () => void) => {
    const started = process.hrtime.bigint();
    res.setHeader('x-request-id', contextOf(req).requestId);
    res.on('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      http.requests.inc({ method: req.method, route, status: res.statusCode });
      http.duration.observe(
        { method: req.method, route },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    });
    next();
  });
  // Node's own limit (a whole request within 300 s, answered with a bare 408) would cut off an
  // upload that is long but steady; the pace below cuts off the slow ones instead.
  app.getHttpServer().requestTimeout = 0;
  lingerBeforeClosing(app.getHttpServer()); // a refused upload's client reads its 429, not a reset
  app.use(paceBodies(pace, bodyTooSlow(pace)));
  app.use(cloudApiBody()); // raw bytes for `POST /` (signed), before the JSON parser of /v1
  app.use(largeJson()); // before the general parser, which then finds the body read
  app.useBodyParser('json', { limit: '256kb' });
  serveConsole(app);
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Snapferry catalog API')
      .setDescription(
        'Cross-region snapshot replication: snapshots, copies, replications, regions and the event log. ' +
          'Errors are {"error": {"code", "message", "requestId"}}; with SNAPFERRY_RATE_LIMIT set, a key over its ' +
          'limit gets 429 RequestLimitExceeded.KeyRateLimit with Retry-After (seconds), and every answer carries ' +
          'X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset.',
      )
      .setVersion('1')
      .addBearerAuth({
        type: 'http',
        scheme: 'bearer',
        description: 'an API key from SNAPFERRY_API_KEYS',
      })
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json' });
}

/** An incremental upload's manifest lists up to 300,000 chunks: its route alone takes large JSON bodies. */
function largeJson() {
  const manifestRoute = /^\/v1\/snapshots\/[^/]+\/data\/manifest$/;
  const parser = json({ limit: manifestBodyLimit });
  return (req: Request, res: Response, next: NextFunction): void =>
    req.method === 'POST' && manifestRoute.test(req.path) ? parser(req, res, next) : next();
}

/** The 408 for a body that kept too slow a pace; the connection closes, and with it the request. */
function bodyTooSlow(pace: BodyPace) {
  const seconds = pace.timeoutMs / 1000;
  const need = bytesPerWindow(pace);
  const message =
    need > 1
      ? `the request body arrived too slowly (less than ${need} bytes in ${seconds} s); send the request again`
      : `no byte of the request body arrived in ${seconds} s; send the request again`;
  return (req: Request, res: Response): void => {
    const { requestId } = contextOf(req as CatalogRequest);
    res.setHeader('connection', 'close');
    if (isCloudApiCall(req))
      sendCloudAnswer(res, cloudError(requestId, 'FailedOperation.RequestTimeout', message));
    else sendError(res, requestId, { status: 408, code: bodyTooSlowCode, message });
  };
}

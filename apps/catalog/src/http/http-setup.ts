import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { Response } from 'express';
import pinoHttp from 'pino-http';
import type { Registry } from 'prom-client';
import { httpMetrics, type Logger } from '@snapferry/platform';
import { cloudApiBody } from '../cloud-api/cloud-http';
import { contextOf, type CatalogRequest } from './request-context';

/**
 * The HTTP edge: structured request logs carrying the request id (also the correlation id of
 * everything the request causes), request metrics by route, a JSON body limit, and the
 * OpenAPI document (`/openapi.json`) with interactive docs (`/docs`).
 */
export function configureHttp(
  app: NestExpressApplication,
  logger: Logger,
  metrics: Registry,
): void {
  const http = httpMetrics(metrics);
  app.use(
    pinoHttp({
      logger,
      genReqId: (req) => contextOf(req as unknown as CatalogRequest).requestId,
      customProps: (req) => ({
        correlationId: contextOf(req as unknown as CatalogRequest).requestId,
      }),
      autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/metrics' },
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
  app.use(cloudApiBody()); // raw bytes for `POST /` (signed), before the JSON parser of /v1
  app.useBodyParser('json', { limit: '256kb' });
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Snapferry catalog API')
      .setDescription(
        'Cross-region snapshot replication: snapshots, copies, replications, regions and the event log.',
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

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';

/**
 * The console's pages load only their own bundle and talk only to this origin: no inline
 * script or style, no other host, no framing, no plugins.
 */
export const consoleContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** dist/apps/console beside the repository root, from the sources or from dist/ alike. */
export function defaultConsoleDir(from: string = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist/apps/console');
}

function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('content-security-policy', consoleContentSecurityPolicy);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
  next();
}

const notBuilt = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Snapferry console not built</title></head>
<body><h1>The Snapferry web console is not built</h1>
<p>This catalog has no console bundle in dist/apps/console. Run <code>npm run build</code>
(or <code>npm start</code>, which builds it) and reload this page.</p>
<p>The API itself works: see <a href="/docs">/docs</a>.</p></body></html>
`;

/**
 * Serves the built console at /console: hashed assets with a long cache life, and every other
 * /console path gets index.html (the console's own routes). No API key is needed for these
 * files; the console's API calls carry the key. Registered before Nest's routes, so the auth
 * guard never sees these requests. Without a bundle, /console says so (503) instead of failing.
 */
export function serveConsole(app: NestExpressApplication, dir: string = defaultConsoleDir()): void {
  app.use('/console', securityHeaders);
  app.useStaticAssets(dir, {
    prefix: '/console',
    index: false,
    redirect: false,
    fallthrough: true,
    setHeaders: (res: Response, path: string) =>
      res.setHeader(
        'cache-control',
        path.includes(`${join(dir, 'assets')}`)
          ? 'public, max-age=31536000, immutable'
          : 'no-cache',
      ),
  });
  const index = join(dir, 'index.html');
  app.use('/console', (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    // A missing asset is a 404, not the page: a stale tab must not run HTML as a script.
    if (req.path.startsWith('/assets/')) {
      res.status(404).type('text/plain').send('not found\n');
      return;
    }
    if (!existsSync(index)) {
      res.status(503).type('html').setHeader('cache-control', 'no-store').send(notBuilt);
      return;
    }
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(index, (error?: Error) => {
      if (error && !res.headersSent) next(error);
    });
  });
}

import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { consoleContentSecurityPolicy, defaultConsoleDir, serveConsole } from './serve-console';

@Module({})
class EmptyModule {}

/** The console's static serving on a real HTTP server, with a bundle made for the test. */
describe('serving the web console at /console', () => {
  let dir: string;
  let base: string;
  let app: NestExpressApplication;

  const start = async (consoleDir: string) => {
    const nest = await NestFactory.create<NestExpressApplication>(EmptyModule, { logger: false });
    serveConsole(nest, consoleDir);
    await nest.listen(0, '127.0.0.1');
    return {
      nest,
      url: `http://127.0.0.1:${(nest.getHttpServer().address() as { port: number }).port}`,
    };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'snapferry-console-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(
      join(dir, 'index.html'),
      '<!doctype html><title>console</title><div id="root"></div>',
    );
    await writeFile(join(dir, 'assets', 'index-abc123.js'), 'console.log("bundle");');
    ({ nest: app, url: base } = await start(dir));
  });
  afterAll(async () => {
    await app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers /console and every console route with index.html, no API key needed, under a strict CSP', async () => {
    for (const path of [
      '/console',
      '/console/',
      '/console/snapshots?region=ap-guangzhou',
      '/console/replications/repl-aaaa0001',
    ]) {
      const response = await fetch(`${base}${path}`);
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await response.text()).toContain('<div id="root">');
      expect(response.headers.get('content-security-policy')).toBe(consoleContentSecurityPolicy);
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
    expect(consoleContentSecurityPolicy).toContain("script-src 'self'");
    expect(consoleContentSecurityPolicy).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  });

  it('serves hashed assets with a long cache life, and a missing asset is a 404, not the page', async () => {
    const asset = await fetch(`${base}/console/assets/index-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await asset.text()).toBe('console.log("bundle");');
    const missing = await fetch(`${base}/console/assets/index-gone.js`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).not.toContain('<div id="root">');
  });

  it('leaves other methods and paths to the API', async () => {
    expect((await fetch(`${base}/console`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${base}/consoles`)).status).toBe(404);
    const traversal = await fetch(`${base}/console/..%2f..%2fpackage.json`);
    expect(await traversal.text()).not.toContain('"name"');
  });

  it('says clearly that the console is not built when the bundle is missing', async () => {
    const { nest, url } = await start(join(dir, 'not-there'));
    try {
      const response = await fetch(`${url}/console/snapshots`);
      expect(response.status).toBe(503);
      expect(await response.text()).toContain('npm run build');
    } finally {
      await nest.close();
    }
  });

  it('finds dist/apps/console at the repository root from the sources and from dist alike', () => {
    const root = join(__dirname, '../../../..');
    expect(defaultConsoleDir()).toBe(join(root, 'dist/apps/console'));
    expect(defaultConsoleDir(join(root, 'dist/apps/catalog/src/console'))).toBe(
      join(root, 'dist/apps/console'),
    );
  });
});

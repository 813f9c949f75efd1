// The web dashboard (docs/dashboard.md): a dozen small static files, read once when the app is built and
// served from memory. No @fastify/static: for a fixed set of files a map from URL to bytes is shorter, has
// no file-system path a request could traverse, and answers without touching the disk.
// HTML, CSS and the icon are served from web/ as written; the scripts are web/src/*.ts compiled by
// `npm run build` into dist/dashboard/. The dashboard reads and writes only through the public API.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/** The repository root: two levels up from src/web/ (run by tsx) and from dist/web/ (built) alike. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DASHBOARD_SOURCE_DIR = join(ROOT, 'web');
export const DASHBOARD_BUILD_DIR = join(ROOT, 'dist', 'dashboard');

/** Files served from web/ as they are (the rest of web/ is TypeScript source and its tsconfig). */
const STATIC_FILES = ['styles.css', 'favicon.svg'];

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Only this origin's own files and API; no inline script or style, no framing, no form posts. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const HEADERS = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  // File names are not content-hashed, so browsers revalidate every time (a 304 when unchanged).
  'cache-control': 'no-cache',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** URL → asset, or null when the scripts have not been built (`npm run build`). */
export function loadDashboardAssets(): Map<string, Asset> | null {
  if (!existsSync(join(DASHBOARD_BUILD_DIR, 'main.js'))) return null;
  const files: [string, string][] = [
    ['/', join(DASHBOARD_SOURCE_DIR, 'index.html')],
    ...STATIC_FILES.map((name): [string, string] => [`/assets/${name}`, join(DASHBOARD_SOURCE_DIR, name)]),
    ...readdirSync(DASHBOARD_BUILD_DIR)
      .filter((name) => name.endsWith('.js'))
      .map((name): [string, string] => [`/assets/${name}`, join(DASHBOARD_BUILD_DIR, name)]),
  ];
  return new Map(
    files.map(([url, path]) => {
      const body = readFileSync(path);
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
      return [url, { body, type: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream', etag }];
    }),
  );
}

export function registerWebRoutes(app: FastifyInstance): void {
  const assets = loadDashboardAssets();
  if (!assets) {
    app.log.warn(
      `web dashboard not built (no ${DASHBOARD_BUILD_DIR}); run \`npm run build\` to serve it at /`,
    );
    return;
  }
  for (const [url, asset] of assets) {
    app.get(url, async (request, reply) => {
      reply.headers(HEADERS).header('content-type', asset.type).header('etag', asset.etag);
      const known = request.headers['if-none-match']?.split(',').map((tag) => tag.trim().replace(/^W\//, ''));
      if (known?.includes(asset.etag)) return reply.code(304).send();
      return reply.send(asset.body);
    });
  }
}

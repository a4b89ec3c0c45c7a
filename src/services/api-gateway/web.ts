import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import { SERVICE_SLUGS } from '../../catalog.js';

/**
 * The web app's pages may load only what the gateway itself serves: no CDN, no inline script or style.
 * Helmet's global CSP is off (the API answers JSON), so the HTML routes set it here.
 */
export const WEB_APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** First path segments that belong to the API, never to the web app (unknown paths there stay JSON 404s). */
export const RESERVED_PREFIXES: readonly string[] = [
  ...SERVICE_SLUGS,
  'api',
  'docs',
  'health',
  'ready',
  'metrics',
];

export interface WebAppOptions {
  /** Folder of the built app (default: `dist/web` of this package). */
  root?: string;
}

/** `dist/web` beside the package.json above this file, from the sources and from the compiled `dist/src`. */
export function defaultWebRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return join(dir, 'dist', 'web');
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Personal Health Assistant: web app not built</title></head>
<body>
<h1>The web app is not built</h1>
<p>The API is running (its documentation is at <a href="/docs">/docs</a>), but this server has no built web app
to show.</p>
<p>Build it with <code>npm run build</code> (or only the web app with <code>npm run build:web</code>), then restart
the server.</p>
</body>
</html>
`;

function acceptsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.includes('text/html');
}

function pathnameOf(request: FastifyRequest): string | undefined {
  const raw = request.url.split('?')[0] ?? '/';
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/**
 * Serves the single-page app at `/`: its built files, and `index.html` for every other GET that asks
 * for HTML outside the API's own paths (the app routes on the client). Without a build, a short page
 * says how to make one.
 */
export async function serveWebApp(app: FastifyInstance, options: WebAppOptions = {}): Promise<void> {
  const root = resolve(options.root ?? defaultWebRoot());
  const built = existsSync(join(root, 'index.html'));

  await app.register(async (web) => {
    if (built) await web.register(fastifyStatic, { root, serve: false });

    function sendIndex(reply: FastifyReply) {
      reply.header('cache-control', 'no-cache');
      if (!built) {
        return reply
          .type('text/html; charset=utf-8')
          .header('content-security-policy', "default-src 'none'")
          .send(NOT_BUILT_PAGE);
      }
      return reply
        .header('content-security-policy', WEB_APP_CSP)
        .sendFile('index.html', { cacheControl: false });
    }

    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const pathname = pathnameOf(request);
      const segments = pathname?.split('/').filter((s) => s !== '');
      // Undecodable, or climbing out of the root: nothing here (send would refuse such files too).
      if (
        pathname === undefined ||
        segments === undefined ||
        segments.some((s) => s === '..' || s.includes('\\'))
      ) {
        return reply.callNotFound();
      }
      const first = segments[0];
      if (first === undefined) return sendIndex(reply);
      if (RESERVED_PREFIXES.includes(first)) return reply.callNotFound();
      const last = segments[segments.length - 1] ?? '';
      if (last.includes('.')) {
        // A file: served as built (send refuses paths that climb out of the root), or a 404.
        if (pathname === '/index.html') return sendIndex(reply);
        if (!built) return reply.callNotFound();
        const hashed = first === 'assets';
        reply.header(
          'cache-control',
          hashed ? 'public, max-age=31536000, immutable' : 'public, max-age=3600',
        );
        return reply.sendFile(pathname, { cacheControl: false });
      }
      return acceptsHtml(request) ? sendIndex(reply) : reply.callNotFound();
    };

    web.get('/', { schema: { hide: true } }, handler);
    web.get('/*', { schema: { hide: true } }, handler);
  });
}

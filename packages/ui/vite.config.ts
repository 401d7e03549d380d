import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';
import type { Plugin } from 'vite';

const CATALOG_DIR = fileURLToPath(new URL('../../catalogs/', import.meta.url));

/**
 * The page runs under a strict Content-Security-Policy (no inline script or style). The production
 * index.html carries the same policy as a meta tag so a violation shows up in every test run, even
 * when the server forgets the header. Not applied in `vite dev`, whose client injects inline code.
 * This is the policy's one source: the server reads it back from the built index.html for its header.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ');

function contentSecurityPolicy(): Plugin {
  return {
    name: 'tamga-csp-meta',
    apply: 'build',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP },
        injectTo: 'head-prepend',
      },
    ],
  };
}

interface CatalogFile {
  readonly catalog: string;
  readonly domains?: Record<string, { en: string; ru: string }>;
  readonly entries: readonly {
    code: number;
    name: string;
    domain?: string;
    description?: { en: string; ru: string } | string;
    classifiedEvent?: number;
    severity?: number;
    status?: string;
    pollable?: boolean;
  }[];
}

/**
 * Emits `catalog.json`: the built-in catalogues (`catalogs/*.json`) in the shape of
 * `GET /api/v1/catalog`. The page uses it only when the API does not answer, so the event-type
 * drop-down works against a server that has no catalogue endpoint yet. Kept out of the script bundle.
 */
function catalogFallback(): Plugin {
  return {
    name: 'tamga-catalog-fallback',
    apply: 'build',
    generateBundle() {
      const items: unknown[] = [];
      const files = existsSync(CATALOG_DIR)
        ? readdirSync(CATALOG_DIR)
            .filter((f) => f.endsWith('.json'))
            .sort()
        : [];
      for (const file of files) {
        const data = JSON.parse(readFileSync(CATALOG_DIR + file, 'utf8')) as CatalogFile;
        for (const e of data.entries) {
          const domain = e.domain ?? data.catalog;
          items.push({
            code: e.code,
            name: e.name,
            catalog: data.catalog,
            domain,
            domainTitle: data.domains?.[domain] ?? domain,
            description: e.description ?? '',
            classifiedEvent: e.classifiedEvent ?? 1,
            severity: e.severity,
            status: e.status ?? 'active',
            pollable: e.pollable ?? false,
          });
        }
      }
      this.emitFile({ type: 'asset', fileName: 'catalog.json', source: JSON.stringify({ items }) });
    },
  };
}

/** Files worth compressing: text the page loads. */
const COMPRESSIBLE = /\.(html|js|css|json|svg|txt)$/;

/**
 * Writes `NAME.br` and `NAME.gz` next to every text file of the build (brotli at its best, gzip 9), so the server sends
 * them as they are (@fastify/static `preCompressed`) without compressing on each request. A compressed copy that
 * saves nothing is not written.
 */
function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'tamga-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      const walk = (dir: string): string[] =>
        readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
      for (const file of walk(outDir).filter((f) => COMPRESSIBLE.test(f))) {
        const source = readFileSync(file);
        const br = brotliCompressSync(source, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: source.length } });
        const gz = gzipSync(source, { level: 9 });
        if (br.length < source.length) writeFileSync(`${file}.br`, br);
        if (gz.length < source.length) writeFileSync(`${file}.gz`, gz);
      }
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [
    preact({ devtoolsInProd: false, prefreshEnabled: true }),
    contentSecurityPolicy(),
    catalogFallback(),
    precompress(),
  ],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // One small script: no inline module-preload polyfill, no split chunks to preload.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:7300', '/.well-known': 'http://127.0.0.1:7300' },
  },
});

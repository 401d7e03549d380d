import type { FastifyInstance } from 'fastify';

/** A registered route: method and URL pattern, e.g. `GET /api/v1/events/:id`. */
export interface RegisteredRoute {
  readonly method: string;
  readonly url: string;
}

/**
 * Every route the app registered, read from `printRoutes({ commonPrefix: false })` (Fastify's radix
 * tree, one segment per line, children indented by 4). HEAD routes Fastify adds for GET are left out.
 */
export function registeredRoutes(app: FastifyInstance): RegisteredRoute[] {
  const routes: RegisteredRoute[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ├└─]*?)(?:[├└]── )?(\S+) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    // The root `└── /` is depth 0; each level below indents by 4 characters.
    const depth = line.startsWith('└── /') || line.startsWith('/') ? 0 : Math.floor(line.indexOf('── ') / 4);
    stack.length = depth;
    const url = (depth === 0 ? '' : stack[depth - 1]!) + m[2]!;
    stack[depth] = url;
    for (const method of m[3]!.split(',').map((s) => s.trim())) {
      if (method !== 'HEAD') routes.push({ method, url: url.replace(/\/{2,}/g, '/') });
    }
  }
  return routes;
}

/**
 * The methods each registered route pattern answers, to tell a wrong method (405 with `Allow`, RFC 9110 §15.5.6)
 * from an unknown path (404). Fastify answers both 404: its router looks a path up per method.
 */
export class RouteMethods {
  readonly #routes: { readonly pattern: RegExp; readonly methods: Set<string> }[] = [];
  readonly #byUrl = new Map<string, Set<string>>();

  /** Records a route as Fastify's `onRoute` hook gives it (`/api/v1/events/:id`, `/*`). */
  add(methods: string | readonly string[], url: string): void {
    let set = this.#byUrl.get(url);
    if (set === undefined) {
      set = new Set();
      this.#byUrl.set(url, set);
      const source = url
        .replace(/\/+$/, '')
        .split('/')
        .map((part) => (part.startsWith(':') ? '[^/]+' : part === '*' ? '.*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/');
      this.#routes.push({ pattern: new RegExp(`^${source}/?$`), methods: set });
    }
    for (const method of typeof methods === 'string' ? [methods] : methods) set.add(method.toUpperCase());
  }

  /** The methods some route answers at `path` (no query string), sorted; empty for an unknown path. */
  allowed(path: string): string[] {
    const methods = new Set<string>();
    for (const route of this.#routes) if (route.pattern.test(path)) for (const m of route.methods) methods.add(m);
    return [...methods].sort();
  }
}

import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../build-server.js';
import { PROBLEM_JSON, toProblem } from '../problem.js';
import { OPENAPI_DOCUMENT } from '../openapi.js';

/** `/healthz` (the process answers), `/readyz` (the store can take appends now) and the OpenAPI document. */
export async function healthRoutes(app: FastifyInstance, { context }: { context: ServerContext }): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    try {
      await context.journal.store.checkReady();
      return { status: 'ready', store: context.journal.store.kind, nodeId: context.journal.nodeId };
    } catch (error) {
      const problem = toProblem(error);
      request.log.warn({ err: error }, 'not ready');
      return reply.status(503).header('retry-after', '5').type(PROBLEM_JSON).send({ ...problem, status: 503 });
    }
  });

  app.get('/api/v1/openapi.json', async () => OPENAPI_DOCUMENT);
}

/** Builds the Fastify server with the routes of the roles the system plays. */
import http from 'node:http';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { collectorRoutes, parseJsonBody } from '../ingest/routes.ts';
import { createMetrics } from '../ops/metrics.ts';
import { opsRoutes } from '../ops/routes.ts';
import type { System } from '../system.ts';
import { demoRoutes } from '../demo/routes.ts';
import { streamRoutes } from './push/stream-route.ts';
import { isRecommendationsUrl, recommendationsEndpoint, type RecommendationsHandler } from './recommendations-endpoint.ts';
import { servingRoutes } from './routes.ts';
import { trackerScriptRoutes } from './static-files.ts';

/** Bodies up to this size are read whole so that an oversized batch can still be kept for inspection. */
const READ_LIMIT_BYTES = 8 * 1024 * 1024;

const TRACKER_ROUTES = /^\/v1\/(events|recommendations|stream|forget)(\?|$)/;

export async function createHttpServer(system: System): Promise<FastifyInstance> {
  // Set once the routes are: GET /v1/recommendations goes there before Fastify's routing, so the
  // hooks below do not see it (recommendations-endpoint.ts sets its own CORS header); a hook that
  // must apply to every request belongs in that handler too.
  let answerRecommendations: RecommendationsHandler | undefined;
  const app = Fastify({
    serverFactory: (fastifyHandler, options) =>
      nodeServer(options, (request, response) => {
        if (answerRecommendations && request.method === 'GET' && isRecommendationsUrl(request.url!)) answerRecommendations(request.url!, response);
        else fastifyHandler(request, response);
      }),
    logger: system.config.logLevel === 'silent' ? false : { level: system.config.logLevel },
    // Per-request log lines would cost more than a recommendation; metrics cover requests.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: READ_LIMIT_BYTES,
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, useDefaults: true } },
  });
  // sendBeacon posts text/plain to avoid a CORS preflight; both are parsed as JSON.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'buffer' }, (_request, body, done) => done(null, parseJsonBody(body as Buffer)));

  app.setErrorHandler((error: { statusCode?: number; message: string; code?: string }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error(error);
    const message = error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? `body is over ${READ_LIMIT_BYTES} bytes; the limit is 1 MB a batch` : error.message;
    return reply.code(status).send({ error: message });
  });

  // The tracker runs on the shop's pages, another origin than this server: the routes it calls
  // answer any origin. They use no cookies, and its requests are simple (text/plain, GET).
  // A callback hook, not an async one: every request passes here, and a promise per request shows.
  app.addHook('onRequest', (request, reply, done) => {
    if (TRACKER_ROUTES.test(request.url)) reply.header('access-control-allow-origin', '*');
    done();
  });

  const admin = system.config.adminToken;
  if (admin) {
    app.addHook('onRequest', async (request, reply) => {
      if (request.url.startsWith('/v1/admin/') && request.headers.authorization !== `Bearer ${admin}`) {
        return reply.code(401).send({ error: 'admin endpoints need Authorization: Bearer <ADMIN_TOKEN>' });
      }
    });
  }

  const metrics = createMetrics(system.store);
  if (system.roles.includes('collector')) collectorRoutes(app, system.collector, metrics);
  if (system.roles.includes('server')) {
    const answer = recommendationsEndpoint(system, metrics, (error) => app.log.error(error));
    servingRoutes(app, system, answer);
    streamRoutes(app, system, metrics);
    answerRecommendations = answer;
  }
  opsRoutes(app, system, metrics);
  trackerScriptRoutes(app);
  // The demo seeds its history through the collector and shows recommendations: the all-roles `start` only.
  if (system.config.demo && system.roles.includes('collector') && system.roles.includes('server')) await demoRoutes(app, system, metrics);
  return app;
}

/** The HTTP server Fastify would make (its timeouts), with `listener` in front of Fastify's. */
function nodeServer(options: FastifyServerOptions, listener: http.RequestListener): http.Server {
  const server = http.createServer(listener);
  server.keepAliveTimeout = options.keepAliveTimeout!;
  server.requestTimeout = options.requestTimeout!;
  server.setTimeout(options.connectionTimeout);
  return server;
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WillowMetrics } from './willow-metrics';
import { secondsSince } from '../../common/clock';

/** The route label of a request Nest did not route (an unknown path, a body refused before routing). */
export const UNMATCHED_ROUTE = 'unmatched';

/** The token of the metrics HTTP answers are timed into; null when observability is off. */
export const HTTP_METRICS = Symbol('HttpMetrics');

/** Nest answers an unknown path through a catch-all route of its own: that pattern names no route either. */
const CATCH_ALL = new Set(['/{*path}', '*', '/*']);

type RoutedRequest = IncomingMessage & { route?: { path?: unknown }; baseUrl?: string };

/**
 * Express middleware timing every answer into `willow_http_request_duration_seconds`, labelled with the route pattern
 * Express matched (`/v1/queues/:Name/items`), never the raw path, so the label set stays bounded.
 */
export function httpMetrics(metrics: WillowMetrics) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const { route, baseUrl } = req as RoutedRequest;
      const path = route?.path;
      const pattern = typeof path === 'string' && !CATCH_ALL.has(path) ? `${baseUrl ?? ''}${path}` : UNMATCHED_ROUTE;
      metrics.httpAnswered(req.method ?? 'GET', pattern, res.statusCode, secondsSince(started));
    });
    next();
  };
}

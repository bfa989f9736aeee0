/**
 * The HTTP routes, listed once: serverless.ts turns them into API Gateway events, the api handler and
 * the local runtime route by them.
 */
export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export interface RouteSpec {
  method: HttpMethod;
  /** API Gateway path syntax: `{id}` is a path parameter. */
  path: string;
  /** Needs the API key on AWS (and the bearer token when one is configured). */
  private: boolean;
}

export const ROUTES = [
  // The dashboard (src/dashboard): public, as the page holds no data; its API calls carry the key and token
  // the user types into it.
  { method: 'GET', path: '/', private: false },
  { method: 'GET', path: '/app.js', private: false },
  { method: 'GET', path: '/app.css', private: false },
  { method: 'GET', path: '/health', private: false },
  // The OpenAPI description of these routes (src/openapi): public, as it holds no data.
  { method: 'GET', path: '/openapi.json', private: false },
  { method: 'POST', path: '/jobs', private: true },
  { method: 'GET', path: '/jobs', private: true },
  { method: 'DELETE', path: '/jobs', private: true },
  { method: 'GET', path: '/jobs/{id}', private: true },
  { method: 'DELETE', path: '/jobs/{id}', private: true },
  { method: 'GET', path: '/jobs/{id}/upcoming', private: true },
  // API Gateway wants one parameter name per path position: `{id}` stays the job at position 2.
  { method: 'GET', path: '/jobs/{id}/executions/{generation}/history', private: true },
  { method: 'POST', path: '/jobs/{id}/pause', private: true },
  { method: 'POST', path: '/jobs/{id}/resume', private: true },
  { method: 'POST', path: '/jobs/{id}/trigger', private: true },
  { method: 'POST', path: '/jobs/{id}/backfill', private: true },
  { method: 'GET', path: '/stats', private: true },
  // What the local runtime's target stand-ins received (src/adapters/targets/local.ts); 404 on AWS.
  { method: 'GET', path: '/outbox', private: true },
  // Seed 000's and seed 001's own routes (tasks.ts): the /jobs handlers answering in the seeds' shapes. API
  // Gateway wants one parameter name per path position, so `{id}` here too (the seeds write {taskId}, {task_id}).
  { method: 'POST', path: '/tasks', private: true },
  { method: 'GET', path: '/tasks', private: true },
  { method: 'DELETE', path: '/tasks', private: true },
  { method: 'GET', path: '/tasks/{id}', private: true },
  { method: 'DELETE', path: '/tasks/{id}', private: true },
] as const satisfies readonly RouteSpec[];

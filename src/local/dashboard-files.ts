/** Serves the dashboard's built files; none yet, so every request passes to the API. */
import type { StaticHandler } from './http-gateway';

export function dashboardFiles(): StaticHandler {
  return async () => false;
}

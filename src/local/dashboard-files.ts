/**
 * Serves the dashboard from source: the bundle is built in memory with esbuild once, when the runtime
 * starts (tens of milliseconds), and `/`, `/app.js` and `/app.css` are answered from it — the same files
 * at the same paths as the api Lambda serves on AWS. Every other request passes to the API.
 */
import { buildDashboard, type DashboardFileName, type DashboardFiles } from '../dashboard/build';
import type { StaticHandler } from './http-gateway';

const PATHS: Record<string, DashboardFileName> = {
  '/': 'index.html',
  '/app.js': 'app.js',
  '/app.css': 'app.css',
};

export function dashboardFiles(): StaticHandler {
  // Started now, awaited by the first request; a failed build is kept as the answer rather than thrown,
  // so a syntax error in the dashboard shows on the page and never stops the API.
  const built: Promise<DashboardFiles | Error> = buildDashboard().catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const name = PATHS[new URL(req.url ?? '/', 'http://localhost').pathname];
    if (name === undefined) return false;
    const files = await built;
    if (files instanceof Error) {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' }).end(`the dashboard did not build:\n${files.message}\n`);
      return true;
    }
    const file = files[name];
    res
      .writeHead(200, {
        'content-type': file.contentType,
        'content-length': Buffer.byteLength(file.body, 'utf8'),
        // Rebuilt at every start: the browser must ask again rather than keep last run's bundle.
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
      })
      .end(req.method === 'HEAD' ? undefined : file.body);
    return true;
  };
}

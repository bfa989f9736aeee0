/**
 * The dashboard's built files, as the api Lambda serves them at `/`, `/app.js` and `/app.css`.
 *
 * Run from source (tests, ts-node) this module is empty. When serverless-esbuild bundles the api for
 * `sls package`, `embedDashboardPlugin` (src/dashboard/build.ts, wired in serverless.ts) loads a
 * replacement holding the files built from src/dashboard, so the zip carries the page inside its handler.
 * The local runtime serves the same build itself (src/local/dashboard-files.ts).
 */
export interface DashboardAsset {
  contentType: string;
  body: string;
}

export const DASHBOARD_FILES: Readonly<Partial<Record<string, DashboardAsset>>> = {};

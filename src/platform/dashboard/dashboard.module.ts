import { Module, type DynamicModule } from '@nestjs/common';
import { ServeStaticModule } from '@nestjs/serve-static';
import { existsSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';

/** Where the dashboard is served, and where `npm run build` puts it (dist/ui, beside dist/main.js). */
export const DASHBOARD_PATH = '/ui';
export const DASHBOARD_DIR = join(__dirname, '..', '..', 'ui');

/**
 * The page holds an API key in the tab's sessionStorage, so it loads nothing but its own files, talks only to this
 * origin and cannot be framed.
 */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

function setHeaders(res: ServerResponse, path: string): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  // Built assets carry a content hash in their name; index.html names the current ones, so it is always revalidated.
  res.setHeader('Cache-Control', path.includes(`${join('ui', 'assets')}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
}

/**
 * Serves the dashboard's static build at /ui (DESIGN.md §11). Only /ui/ renders index.html: the dashboard routes
 * with the URL fragment, so any other unknown path, under /ui or not, stays the API's JSON 404. A process started
 * from sources without a build (the e2e test app) serves no dashboard.
 */
@Module({})
export class DashboardModule {
  static forRoot(rootPath: string = DASHBOARD_DIR): DynamicModule {
    if (!existsSync(join(rootPath, 'index.html'))) return { module: DashboardModule };
    return {
      module: DashboardModule,
      imports: [
        ServeStaticModule.forRoot({
          rootPath,
          serveRoot: DASHBOARD_PATH,
          renderPath: '/',
          serveStaticOptions: { index: 'index.html', redirect: true, dotfiles: 'ignore', etag: true, setHeaders },
        }),
      ],
    };
  }
}

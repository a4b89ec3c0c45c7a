// Copies non-TypeScript assets (SQL migrations) next to the compiled services.
import { cpSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const services = 'src/services';
for (const service of readdirSync(services)) {
  const from = join(services, service, 'migrations');
  if (existsSync(from)) cpSync(from, join('dist', from), { recursive: true });
}

cpSync('src/platform/events/migrations', 'dist/src/platform/events/migrations', { recursive: true });

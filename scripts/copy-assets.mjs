// Copies non-TypeScript assets (SQL migrations, reference data) next to the compiled services.
import { cpSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const services = 'src/services';
for (const service of readdirSync(services)) {
  // SQL migrations and reference data (e.g. food tables) travel with the compiled service.
  for (const folder of ['migrations', 'data']) {
    const from = join(services, service, folder);
    if (existsSync(from)) cpSync(from, join('dist', from), { recursive: true });
  }
}

cpSync('src/platform/events/migrations', 'dist/src/platform/events/migrations', { recursive: true });

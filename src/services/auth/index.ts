import { fileURLToPath } from 'node:url';
import type { ServiceModule } from '../../platform/service.js';
import { Accounts } from './accounts.js';
import { registerAuthRoutes } from './routes.js';

export const authService: ServiceModule = {
  slug: 'auth',
  version: '1.0.0',
  description: 'Accounts, sign-in, sessions, two-factor sign-in, password reset and email verification.',
  migrationsDir: fileURLToPath(new URL('./migrations', import.meta.url)),
  async register(app, ctx) {
    const accounts = new Accounts(ctx);
    await accounts.restoreRevocations();
    registerAuthRoutes(app, accounts);
    // Auth's own rows are removed by DELETE /api/v1/auth/me, after every other service has erased.
  },
};

import { fileURLToPath } from 'node:url';
import type { ServiceModule } from '../../platform/service.js';
import { Profiles, presentProfile } from './profiles.js';
import { registerProfileRoutes } from './routes.js';

export const userProfileService: ServiceModule = {
  slug: 'user-profile',
  version: '1.0.0',
  description:
    'Demographics, body measurements with units, preferences, privacy settings, data export and account deletion.',
  migrationsDir: fileURLToPath(new URL('./migrations', import.meta.url)),
  async register(app, ctx) {
    const profiles = new Profiles(ctx.db);
    registerProfileRoutes(app, ctx, profiles);
    return {
      async export(userId) {
        const row = await profiles.find(userId);
        return row ? presentProfile(row) : null;
      },
      erase: (userId) => profiles.erase(userId),
    };
  },
};

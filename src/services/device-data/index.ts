import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ActingTokenIssuer } from '../../platform/auth/acting.js';
import { ActingClients } from '../../platform/clients/acting.js';
import type { ServiceModule } from '../../platform/service.js';
import { loadDeviceDataConfig } from './config.js';
import { registerConnectionRoutes } from './connection-routes.js';
import { Connections } from './connections.js';
import { registerDeviceRoutes } from './device-routes.js';
import { Devices, emit, presentDevice } from './devices.js';
import { HEALTH_TRACKING_CALLS, HealthWriter } from './health.js';
import { registerImportRoutes } from './import-routes.js';
import { Imports, presentImport } from './imports.js';
import { NIGHTSCOUT_BODY_LIMIT, NightscoutSecrets, registerNightscoutRoutes } from './nightscout.js';
import { presentTreatment, Treatments } from './treatments.js';

const VERSION = '1.0.0';

export const deviceDataService: ServiceModule = {
  slug: 'device-data',
  version: VERSION,
  description:
    'Devices and data sources; file imports (Apple Health, Dexcom Clarity, Fitbit, Nightscout) streamed in ' +
    'constant memory; a Nightscout-compatible upload API for xDrip+, Loop and AndroidAPS; Dexcom and Oura ' +
    'connections (OAuth 2.0 with PKCE, sealed tokens, resumable sync). Readings land in health tracking.',
  migrationsDir: fileURLToPath(new URL('./migrations', import.meta.url)),
  // Read when the gateway starts, so IMPORT_MAX_BYTES applies at the edge too.
  get largeBodyRoutes() {
    const imports = {
      method: 'POST',
      path: '/api/v1/imports',
      limitBytes: loadDeviceDataConfig().importMaxBytes,
    };
    const uploads = [
      '/api/v1/entries',
      '/api/v1/entries.json',
      '/api/v1/treatments',
      '/api/v1/treatments.json',
    ].map((path) => ({ method: 'POST', path, limitBytes: NIGHTSCOUT_BODY_LIMIT }));
    return [imports, ...uploads];
  },
  async register(app, ctx) {
    const config = loadDeviceDataConfig();
    const logger = ctx.logger.child({ service: 'device-data' });
    const acting = new ActingClients(
      ctx.clients,
      new ActingTokenIssuer(ctx.secrets.jwtSecret),
      'device-data',
      HEALTH_TRACKING_CALLS,
    );
    const health = new HealthWriter(acting, logger);
    const devices = new Devices(ctx.db);
    const treatments = new Treatments(ctx.db);
    const imports = new Imports(
      ctx.db,
      devices,
      treatments,
      health,
      logger,
      join(ctx.config.dataDir, 'device-data', 'uploads'),
      config.batchSize,
    );
    const connections = new Connections(
      ctx.db,
      devices,
      health,
      config,
      ctx.secrets.secretKey,
      ctx.config.publicUrl,
      logger,
    );
    const secrets = new NightscoutSecrets(ctx.db, ctx.secrets.secretKey);

    registerDeviceRoutes(app, ctx.db, devices, connections);
    await registerImportRoutes(app, imports, config.importMaxBytes);
    registerNightscoutRoutes(app, {
      db: ctx.db,
      secrets,
      devices,
      treatments,
      health,
      batchSize: config.batchSize,
      publicUrl: ctx.config.publicUrl,
      version: VERSION,
    });
    registerConnectionRoutes(app, connections, ctx.config.publicUrl);

    app.addHook('onReady', async () => {
      await imports.recover();
      connections.startScheduler();
    });
    app.addHook('onClose', async () => {
      await connections.stop();
      await imports.stop();
    });

    return {
      async export(userId) {
        const { rows: importRows } = await ctx.db.query<Parameters<typeof presentImport>[0]>(
          'SELECT * FROM device_data.imports WHERE user_id = $1 ORDER BY id',
          [userId],
        );
        const secret = await secrets.status(userId);
        return {
          devices: (await devices.exportAll(userId)).map((d) => presentDevice(d)),
          imports: importRows.map(presentImport),
          connections: await connections.exportAll(userId),
          nightscout_secret: secret ? { created_at: secret.created_at.toISOString() } : null,
          treatments: (await treatments.list(userId, 1_000_000)).map(presentTreatment),
        };
      },
      async erase(userId) {
        const { rows } = await ctx.db.query<{ id: string }>(
          `SELECT id FROM device_data.imports WHERE user_id = $1 AND status IN ('queued', 'processing')`,
          [userId],
        );
        for (const row of rows) rmSync(imports.spoolPath(row.id), { force: true });
        await ctx.db.transaction(async (tx) => {
          for (const table of [
            'connections',
            'oauth_flows',
            'nightscout_secrets',
            'treatments',
            'imports',
            'devices',
          ]) {
            await tx.query(`DELETE FROM device_data.${table} WHERE user_id = $1`, [userId]);
          }
          await emit(tx, userId, 'account.erased', {});
        });
      },
    };
  },
};

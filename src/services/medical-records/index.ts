import { fileURLToPath } from 'node:url';
import type { ServiceModule } from '../../platform/service.js';
import { DOCUMENT_LARGE_BODY_ROUTES, registerDocuments } from './documents.js';
import { registerExportRoutes } from './export-routes.js';
import { presentRecord, registerRecordRoutes } from './routes.js';
import { IMPORT_BODY_LIMIT } from './schemas.js';
import { registerEpicConnectionRoutes } from './smart-routes.js';
import { MedicalStore } from './store.js';

export const medicalRecordsService: ServiceModule = {
  slug: 'medical-records',
  version: '1.0.0',
  description:
    'Medical records across types (labs, vital signs, conditions, medications, allergies, immunizations, ' +
    'procedures, encounters, reports, documents), FHIR R4 import with a per-resource report, lab flags ' +
    'computed by the server, and lab history.',
  migrationsDir: fileURLToPath(new URL('./migrations', import.meta.url)),
  largeBodyRoutes: [
    { method: 'POST', path: '/api/v1/fhir/import', limitBytes: IMPORT_BODY_LIMIT },
    ...DOCUMENT_LARGE_BODY_ROUTES,
  ],
  async register(app, ctx) {
    const store = new MedicalStore(ctx.db);
    registerRecordRoutes(app, store);
    registerExportRoutes(app, ctx);
    const epic = registerEpicConnectionRoutes(app, ctx, store);
    const documents = await registerDocuments(app, ctx, store);
    return {
      async export(userId) {
        const { records, patients } = await store.exportAll(userId);
        return {
          records: records.map(presentRecord),
          patients,
          epic_connections: await epic.export(userId),
          documents: await documents.export(userId),
        };
      },
      erase: async (userId) => {
        await epic.erase(userId);
        await documents.erase(userId);
        await store.erase(userId);
      },
    };
  },
};

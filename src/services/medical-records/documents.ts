import type { FastifyInstance } from 'fastify';
import { FieldCipher } from '../../platform/crypto.js';
import type { ServiceContext } from '../../platform/service.js';
import { DocumentCipher } from './documents-crypto.js';
import { DocumentExtractor } from './documents-extraction.js';
import { OcrEngine } from './documents-ocr.js';
import { presentDocument, presentSuggestion, registerDocumentRoutes } from './documents-routes.js';
import { UPLOAD_BODY_LIMIT } from './documents-schemas.js';
import { DocumentStore } from './documents-store.js';
import { LinkSigner } from './links.js';
import type { MedicalStore } from './store.js';

/** For the gateway: the upload is the one route of documents with a large body. */
export const DOCUMENT_LARGE_BODY_ROUTES = [
  { method: 'POST', path: '/api/v1/documents', limitBytes: UPLOAD_BODY_LIMIT },
];

/**
 * Documents: upload (encrypted in the database), background text extraction and OCR, lab value
 * suggestions that become lab records once confirmed. Returns the account export and erase parts.
 */
export async function registerDocuments(app: FastifyInstance, ctx: ServiceContext, records: MedicalStore) {
  const documents = new DocumentStore(ctx.db);
  const fileCipher = new DocumentCipher(ctx.secrets.secretKey);
  const textCipher = new FieldCipher(ctx.secrets.secretKey, 'medical-records:document-text');
  const logger = ctx.logger.child({ service: 'medical-records', part: 'documents' });
  const extractor = new DocumentExtractor(documents, fileCipher, textCipher, new OcrEngine(), logger);
  await registerDocumentRoutes(app, {
    documents,
    records,
    fileCipher,
    textCipher,
    extractor,
    links: new LinkSigner(ctx.secrets.secretKey),
    revocations: ctx.revocations,
  });
  app.addHook('onReady', () => extractor.recover());
  app.addHook('onClose', () => extractor.stop());
  return {
    extractor,
    /**
     * Metadata, extracted text and suggestions; not the files themselves: the export is one JSON document
     * built in memory, and a user's files can reach many times 20 MiB. Each file is downloaded from its
     * content_url.
     */
    async export(userId: string) {
      const { documents: rows, suggestions } = await documents.exportAll(userId);
      return rows.map((row) => ({
        ...presentDocument(row),
        text: row.extracted_text ? textCipher.open(row.extracted_text) : null,
        suggestions: suggestions.filter((s) => s.document_id === row.id).map(presentSuggestion),
      }));
    },
    erase: (userId: string) => documents.erase(userId),
  };
}

import { readFileSync } from 'node:fs';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import {
  bearer,
  errorCode,
  registerAndLogin,
  useTestApp,
  type SignedIn,
} from '../../test-support/harness.js';

const t = useTestApp();
const base = '/medical-records/api/v1';

const SCAN_PNG = readFileSync(new URL('./test-fixtures/scanned-lab-report.png', import.meta.url));

interface FilePart {
  data: Buffer;
  filename?: string;
  contentType?: string;
  field?: string;
}

/** A multipart/form-data body, built by hand so that every byte sent is the test's choice. */
function multipart(fields: Record<string, string>, file?: FilePart) {
  const boundary = `----pha-test-${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
    );
  }
  if (file) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${file.field ?? 'file'}"; filename="${file.filename ?? 'upload.bin'}"\r\n` +
          `Content-Type: ${file.contentType ?? 'application/octet-stream'}\r\n\r\n`,
      ),
      file.data,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    payload: Buffer.concat(parts),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

const upload = (user: SignedIn, fields: Record<string, string>, file?: FilePart) => {
  const body = multipart(fields, file);
  return t.app.inject({
    method: 'POST',
    url: `${base}/documents`,
    headers: { ...bearer(user.accessToken), ...body.headers },
    payload: body.payload,
  });
};
const get = (user: SignedIn, path: string) =>
  t.app.inject({ method: 'GET', url: `${base}${path}`, headers: bearer(user.accessToken) });
const post = (user: SignedIn, path: string, payload: object = {}) =>
  t.app.inject({ method: 'POST', url: `${base}${path}`, headers: bearer(user.accessToken), payload });

interface Suggestion {
  id: string;
  test: string;
  status: string;
  value: number | null;
  unit: { ucum: string } | null;
  loinc: { code: string } | null;
  reference_range: { low: number | null; high: number | null } | null;
  effective_date: string | null;
}

/** Waits for the background extraction to finish. */
async function extracted(user: SignedIn, id: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await get(user, `/documents/${id}`);
    const body = res.json();
    if (['done', 'failed'].includes(body.extraction?.status) || Date.now() > deadline) return body;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const byTest = (suggestions: Suggestion[], test: string) => suggestions.find((s) => s.test === test)!;

/** A lab report with a real text layer (pdf-lib, standard Helvetica), laid out as a table. */
async function labReportPdf(): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([595, 842]);
  page.drawText('Northfield Medical Laboratory - Chemistry', { x: 50, y: 790, size: 14, font });
  page.drawText('Date collected: 2024-02-01', { x: 50, y: 770, size: 11, font });
  const rows = [
    ['Test', 'Result', 'Units', 'Reference range'],
    ['Glucose, fasting', '105', 'mg/dL', '70 - 99'],
    ['Hemoglobin A1c', '6.1', '%', '4.0 - 5.6'],
    ['LDL Cholesterol', '131', 'mg/dL', '< 100'],
    ['Potassium', '4.2', 'mmol/L', '3.5 - 5.1'],
    ['eGFR (CKD-EPI 2021)', '>90', 'mL/min/1.73m2', '> 60'],
  ];
  rows.forEach((row, i) =>
    [50, 220, 300, 400].forEach((x, j) => page.drawText(row[j]!, { x, y: 740 - 18 * i, size: 11, font })),
  );
  page.drawText('Comment: fasting sample, reviewed by Dr. Example.', { x: 50, y: 600, size: 11, font });
  return Buffer.from(await doc.save());
}

/** A scan: the PNG fixture as the only content of a page, no text layer. */
async function scannedPdf(): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const image = await doc.embedPng(SCAN_PNG);
  doc.addPage([595, 842]).drawImage(image, { x: 20, y: 500, width: 555, height: 212 });
  return Buffer.from(await doc.save());
}

describe('documents', () => {
  it('uploads a PDF, extracts its text layer in the background, and offers the lab values it states', async () => {
    const user = await registerAndLogin(t.app);
    const pdf = await labReportPdf();
    const res = await upload(
      user,
      { title: 'Chemistry panel', category: 'lab_report', document_date: '2024-02-01' },
      { data: pdf, filename: 'C:\\fakepath\\Bericht; März 2024.pdf', contentType: 'text/plain' },
    );
    expect(res.statusCode, res.body).toBe(202);
    const created = res.json();
    expect(created).toMatchObject({
      title: 'Chemistry panel',
      category: 'lab_report',
      document_date: '2024-02-01',
      media_type: 'application/pdf', // from the bytes, not the declared text/plain
      size_bytes: pdf.length,
      filename: 'Bericht; März 2024.pdf',
    });
    expect(['pending', 'processing', 'done']).toContain(created.extraction.status);

    const doc = await extracted(user, created.id);
    expect(doc.extraction).toMatchObject({ status: 'done', method: 'text_layer', pages: 1, reason: null });
    expect(doc.text).toContain('Glucose, fasting  105  mg/dL  70 - 99');
    const s: Suggestion[] = doc.suggestions;
    expect(s.map((x) => x.test)).toEqual(['glucose', 'hba1c', 'ldl', 'potassium', 'egfr']);
    expect(byTest(s, 'glucose')).toMatchObject({
      status: 'pending',
      value: 105,
      unit: { ucum: 'mg/dL' },
      loinc: { code: '2345-7' },
      reference_range: { low: 70, high: 99 },
      effective_date: '2024-02-01',
    });
    expect(byTest(s, 'ldl')).toMatchObject({ value: 131, reference_range: { low: null, high: 100 } });
    expect(byTest(s, 'egfr')).toMatchObject({
      value: null,
      comparator: '>',
      value_text: '>90',
      loinc: { code: '98979-8' },
    });

    // The original bytes come back, with a safe Content-Disposition.
    const content = await get(user, `/documents/${created.id}/content`);
    expect(content.statusCode).toBe(200);
    expect(content.headers['content-type']).toBe('application/pdf');
    expect(Buffer.compare(content.rawPayload, pdf)).toBe(0);
    expect(content.headers['content-disposition']).toBe(
      `attachment; filename="Bericht_ M_rz 2024.pdf"; filename*=UTF-8''Bericht%3B%20M%C3%A4rz%202024.pdf`,
    );

    // Listed among the records as a document, and in the document list.
    const records = (await get(user, '/records?type=document')).json();
    expect(records.items).toHaveLength(1);
    expect(records.items[0]).toMatchObject({
      id: created.record_id,
      record_type: 'document',
      resource_type: 'DocumentReference',
      display: 'Chemistry panel',
      effective_at: '2024-02-01T00:00:00.000Z',
      code: { system: 'http://loinc.org', code: '11502-2' },
    });
    expect((await get(user, '/documents')).json().items.map((d: { id: string }) => d.id)).toEqual([
      created.id,
    ]);

    // The same file again (a retried upload) is the same document.
    const again = await upload(user, {}, { data: pdf, filename: 'copy.pdf' });
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(created.id);

    // Encrypted at rest: neither the file nor its text is readable in the database.
    const { rows } = await t.db.query<{ content: Uint8Array; extracted_text: string }>(
      'SELECT content, extracted_text FROM medical_records.documents WHERE id = $1',
      [created.id],
    );
    const stored = Buffer.from(rows[0]!.content);
    expect(stored.length).toBe(pdf.length + 29);
    expect(stored.includes(Buffer.from('%PDF'))).toBe(false);
    expect(stored.includes(Buffer.from('Glucose'))).toBe(false);
    expect(rows[0]!.extracted_text).toMatch(/^v1\./);
    expect(rows[0]!.extracted_text).not.toContain('Glucose');
  });

  it('confirms a suggestion into a lab record with server flags; confirms once; validates corrections; rejects', async () => {
    const user = await registerAndLogin(t.app);
    const created = (
      await upload(user, { category: 'lab_report' }, { data: await labReportPdf(), filename: 'labs.pdf' })
    ).json();
    const doc = await extracted(user, created.id);
    const s: Suggestion[] = doc.suggestions;
    const glucose = byTest(s, 'glucose');
    const at = `/documents/${created.id}/suggestions`;

    const confirmed = await post(user, `${at}/${glucose.id}/confirm`);
    expect(confirmed.statusCode, confirmed.body).toBe(201);
    const { suggestion, record } = confirmed.json();
    expect(suggestion).toMatchObject({ id: glucose.id, status: 'confirmed', record_id: record.id });
    expect(record).toMatchObject({
      record_type: 'lab',
      code: { system: 'http://loinc.org', code: '2345-7' },
      effective_at: '2024-02-01T00:00:00.000Z', // the collection date printed in the report
      measurement: {
        value: { value: 105, unit: 'mg/dL', code: 'mg/dL' },
        flags: { flag: 'H', abnormal: true, reference_range: { low: { value: 70 }, high: { value: 99 } } },
      },
    });
    const full = (await get(user, `/records/${record.id}`)).json();
    expect(full.resource.derivedFrom).toEqual([{ reference: `DocumentReference/${created.id}` }]);
    const history = (await get(user, '/labs/2345-7/history')).json();
    expect(history.points.map((p: { record_id: string }) => p.record_id)).toEqual([record.id]);

    const twice = await post(user, `${at}/${glucose.id}/confirm`);
    expect(twice.statusCode).toBe(409);
    expect(errorCode(twice)).toBe('already_confirmed');
    expect(twice.json().error.details).toEqual({ record_id: record.id });

    const hba1c = byTest(s, 'hba1c');
    const negative = await post(user, `${at}/${hba1c.id}/confirm`, { value: -6.1 });
    expect(negative.statusCode).toBe(400);
    expect(negative.json().error.details[0].field).toBe('value');
    const notNumber = await post(user, `${at}/${hba1c.id}/confirm`, { value: 'six' });
    expect(notNumber.statusCode).toBe(400);
    const wrongUnit = await post(user, `${at}/${hba1c.id}/confirm`, { unit: 'mg/dL' });
    expect(wrongUnit.statusCode).toBe(400);
    expect(wrongUnit.json().error.details[0]).toMatchObject({ field: 'unit' });
    const badDate = await post(user, `${at}/${hba1c.id}/confirm`, { effective_date: '2024-13-01' });
    expect(badDate.statusCode).toBe(400);
    expect(badDate.json().error.details[0]).toMatchObject({ field: 'effective_date' });
    const unknownField = await post(user, `${at}/${hba1c.id}/confirm`, { flag: 'H' });
    expect(unknownField.statusCode).toBe(400);

    // A corrected value: stored as corrected, flagged by the server against the printed range.
    const corrected = await post(user, `${at}/${hba1c.id}/confirm`, { value: 5.4, unit: '%' });
    expect(corrected.statusCode, corrected.body).toBe(201);
    expect(corrected.json().record.measurement).toMatchObject({
      value: { value: 5.4, code: '%' },
      flags: { flag: 'N' },
    });

    // A bound (">90") stays text, not a number the flags would misread.
    const egfr = await post(user, `${at}/${byTest(s, 'egfr').id}/confirm`);
    expect(egfr.statusCode).toBe(201);
    expect(egfr.json().record.measurement).toMatchObject({ value: null, value_text: '>90 mL/min/1.73m2' });

    const ldl = byTest(s, 'ldl');
    const rejected = await post(user, `${at}/${ldl.id}/reject`);
    expect(rejected.statusCode).toBe(200);
    expect(rejected.json()).toMatchObject({ id: ldl.id, status: 'rejected' });
    const confirmRejected = await post(user, `${at}/${ldl.id}/confirm`);
    expect(confirmRejected.statusCode).toBe(409);
    expect(errorCode(confirmRejected)).toBe('suggestion_rejected');
    const rejectConfirmed = await post(user, `${at}/${glucose.id}/reject`);
    expect(rejectConfirmed.statusCode).toBe(409);

    // Deleting the document keeps the lab records the user confirmed; its records row goes.
    const del = await t.app.inject({
      method: 'DELETE',
      url: `${base}/documents/${created.id}`,
      headers: bearer(user.accessToken),
    });
    expect(del.statusCode).toBe(204);
    expect((await get(user, `/documents/${created.id}`)).statusCode).toBe(404);
    expect((await get(user, '/records?type=document')).json().items).toEqual([]);
    expect((await get(user, `/records/${record.id}`)).statusCode).toBe(200);
  });

  it("someone else's document is a 404 everywhere", async () => {
    const owner = await registerAndLogin(t.app);
    const other = await registerAndLogin(t.app);
    const created = (await upload(owner, {}, { data: await labReportPdf() })).json();
    const doc = await extracted(owner, created.id);
    const sid = doc.suggestions[0].id;
    for (const path of [`/documents/${created.id}`, `/documents/${created.id}/content`]) {
      const res = await get(other, path);
      expect(res.statusCode, path).toBe(404);
      expect(errorCode(res)).toBe('not_found');
    }
    expect((await post(other, `/documents/${created.id}/suggestions/${sid}/confirm`)).statusCode).toBe(404);
    expect((await post(other, `/documents/${created.id}/suggestions/${sid}/reject`)).statusCode).toBe(404);
    const del = await t.app.inject({
      method: 'DELETE',
      url: `${base}/documents/${created.id}`,
      headers: bearer(other.accessToken),
    });
    expect(del.statusCode).toBe(404);
    expect((await get(other, '/documents')).json().items).toEqual([]);
    expect((await get(other, '/records')).json().items).toEqual([]);
    expect((await get(owner, `/documents/${created.id}`)).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: `${base}/documents` })).statusCode).toBe(401);
  });

  it('refuses what it cannot take, with a 4xx naming the problem', async () => {
    const user = await registerAndLogin(t.app);
    const pdf = await labReportPdf();

    const text = await upload(
      user,
      {},
      { data: Buffer.from('Glucose 105 mg/dL\n'), filename: 'labs.pdf', contentType: 'application/pdf' },
    );
    expect(text.statusCode).toBe(415);
    expect(errorCode(text)).toBe('unsupported_file_type');

    const empty = await upload(user, {}, { data: Buffer.alloc(0), filename: 'empty.pdf' });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.details[0]).toMatchObject({ field: 'file', problem: 'is empty' });

    const noFile = await upload(user, { title: 'no file here' });
    expect(noFile.statusCode).toBe(400);
    expect(noFile.json().error.details[0]).toMatchObject({ field: 'file', problem: 'is required' });

    const otherField = await upload(user, {}, { data: pdf, field: 'document' });
    expect(otherField.statusCode).toBe(400);
    expect(otherField.json().error.details[0]).toMatchObject({ field: 'document' });

    const corrupt = await upload(
      user,
      {},
      { data: Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage'), filename: 'x.pdf' },
    );
    expect(corrupt.statusCode).toBe(422);
    expect(errorCode(corrupt)).toBe('corrupt_pdf');

    const truncatedPng = await upload(user, {}, { data: SCAN_PNG.subarray(0, 12), filename: 'x.png' });
    expect(truncatedPng.statusCode).toBe(422);
    expect(errorCode(truncatedPng)).toBe('corrupt_image');

    const badCategory = await upload(user, { category: 'x-ray' }, { data: pdf });
    expect(badCategory.statusCode).toBe(400);
    expect(badCategory.json().error.details[0]).toMatchObject({ field: 'category' });

    const badDate = await upload(user, { document_date: '2024-02-30' }, { data: pdf });
    expect(badDate.statusCode).toBe(400);
    expect(badDate.json().error.details[0]).toMatchObject({ field: 'document_date' });

    const unknown = await upload(user, { owner: 'someone' }, { data: pdf });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.details[0]).toMatchObject({ field: 'owner' });

    const raw = await t.app.inject({
      method: 'POST',
      url: `${base}/documents`,
      headers: { ...bearer(user.accessToken), 'content-type': 'application/pdf' },
      payload: pdf,
    });
    expect(raw.statusCode).toBe(415);
    expect(errorCode(raw)).toBe('multipart_required');

    // One byte over 20 MiB, through the gateway as a client would send it.
    const big = Buffer.alloc(20 * 1024 * 1024 + 1, 0x20);
    big.write('%PDF-1.7\n');
    const tooLarge = await upload(user, {}, { data: big, filename: 'big.pdf' });
    expect(tooLarge.statusCode).toBe(413);
    expect(errorCode(tooLarge)).toBe('payload_too_large');
    // Refused by the service (the gateway lets an upload of this size through to it).
    expect(tooLarge.json().error.message).toMatch(/20 MiB\), the limit of a document/);

    expect((await get(user, '/documents')).json().items).toEqual([]);
  });

  it('reads a scanned image and a scanned PDF by OCR, offline, and says why a vector-only PDF cannot be read', async () => {
    const user = await registerAndLogin(t.app);
    const png = await upload(user, { category: 'lab_report' }, { data: SCAN_PNG, filename: 'scan.png' });
    expect(png.statusCode, png.body).toBe(202);
    expect(png.json().media_type).toBe('image/png');
    const scanPdf = (await upload(user, {}, { data: await scannedPdf(), filename: 'scan.pdf' })).json();
    const vector = await PDFDocument.create();
    vector.addPage([595, 842]).drawRectangle({ x: 50, y: 50, width: 200, height: 100 });
    const vectorDoc = (
      await upload(user, {}, { data: Buffer.from(await vector.save()), filename: 'shapes.pdf' })
    ).json();

    const fromImage = await extracted(user, png.json().id);
    expect(fromImage.extraction).toMatchObject({ status: 'done', method: 'ocr' });
    const found = (fromImage.suggestions as Suggestion[]).map((s) => [
      s.test,
      s.value,
      s.unit?.ucum,
      s.loinc?.code,
    ]);
    expect(found).toEqual([
      ['hemoglobin', 13.2, 'g/dL', '718-7'],
      ['hematocrit', 39.8, '%', '4544-3'],
      ['wbc', 6.4, '10*3/uL', '6690-2'],
      ['platelets', 250, '10*3/uL', '777-3'],
      ['tsh', 2.1, 'm[IU]/L', '3016-3'],
    ]);
    expect(byTest(fromImage.suggestions, 'hemoglobin')).toMatchObject({
      reference_range: { low: 12, high: 15.5 },
      effective_date: '2024-03-05',
    });

    const fromScan = await extracted(user, scanPdf.id);
    expect(fromScan.extraction).toMatchObject({ status: 'done', method: 'ocr', pages: 1 });
    expect((fromScan.suggestions as Suggestion[]).map((s) => [s.test, s.value])).toEqual([
      ['hemoglobin', 13.2],
      ['hematocrit', 39.8],
      ['wbc', 6.4],
      ['platelets', 250],
      ['tsh', 2.1],
    ]);

    // A PNG cut short: its header reads, its pixels do not.
    const cut = (await upload(user, {}, { data: SCAN_PNG.subarray(0, 4000), filename: 'cut.png' })).json();
    const fromCut = await extracted(user, cut.id);
    expect(fromCut.extraction.status).toBe('failed');
    expect(fromCut.extraction.reason).toMatch(/^The image could not be read by OCR/);

    const fromShapes = await extracted(user, vectorDoc.id);
    expect(fromShapes.extraction.status).toBe('failed');
    expect(fromShapes.extraction.reason).toMatch(/vector shapes/);
    expect(fromShapes.suggestions).toEqual([]);
  });

  it('exports documents with their text (not the files) and erases them with the account data', async () => {
    const user = await registerAndLogin(t.app);
    const created = (await upload(user, { title: 'Panel' }, { data: await labReportPdf() })).json();
    await extracted(user, created.id);
    const exported = (await get(user, '/account/export')).json();
    expect(exported.data.documents).toHaveLength(1);
    expect(exported.data.documents[0]).toMatchObject({
      id: created.id,
      title: 'Panel',
      content_url: `api/v1/documents/${created.id}/content`,
    });
    expect(exported.data.documents[0].text).toContain('Hemoglobin A1c');
    expect(exported.data.documents[0].suggestions).toHaveLength(5);
    expect(exported.data.records.some((r: { id: string }) => r.id === created.record_id)).toBe(true);

    const erase = await t.app.inject({
      method: 'DELETE',
      url: `${base}/account/data`,
      headers: bearer(user.accessToken),
    });
    expect(erase.statusCode).toBe(204);
    expect((await get(user, `/documents/${created.id}`)).statusCode).toBe(404);
    const { rows } = await t.db.query(
      'SELECT 1 FROM medical_records.document_suggestions WHERE user_id = $1 UNION ALL SELECT 1 FROM medical_records.documents WHERE user_id = $1',
      [user.userId],
    );
    expect(rows).toEqual([]);
  });
});

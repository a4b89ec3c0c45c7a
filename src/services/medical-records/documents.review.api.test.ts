import { PDFDocument, StandardFonts } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { bearer, registerAndLogin, useTestApp, type SignedIn } from '../../test-support/harness.js';

const t = useTestApp();
const MR = '/medical-records/api/v1';

function multipart(fields: Record<string, string>, file: Buffer) {
  const boundary = `----pha-review-${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = Object.entries(fields).map(([name, value]) =>
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
  );
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="labs.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
    ),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return { payload: Buffer.concat(parts), 'content-type': `multipart/form-data; boundary=${boundary}` };
}

const upload = (user: SignedIn, fields: Record<string, string>, file: Buffer) => {
  const body = multipart(fields, file);
  return t.app.inject({
    method: 'POST',
    url: `${MR}/documents`,
    headers: { ...bearer(user.accessToken), 'content-type': body['content-type'] },
    payload: body.payload,
  });
};

async function labPdf(line: string): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([595, 842]);
  page.drawText('Date collected: 2024-02-01', { x: 50, y: 770, size: 11, font });
  page.drawText(line, { x: 50, y: 740, size: 11, font });
  return Buffer.from(await doc.save());
}

async function extracted(user: SignedIn, id: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const body = (
      await t.app.inject({ method: 'GET', url: `${MR}/documents/${id}`, headers: bearer(user.accessToken) })
    ).json();
    if (['done', 'failed'].includes(body.extraction?.status) || Date.now() > deadline) return body;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('documents under careless or concurrent clients', () => {
  it('refuses a NUL in the title with a 400 naming it, and stores nothing', async () => {
    const user = await registerAndLogin(t.app);
    const res = await upload(
      user,
      { title: 'Labs\u0000' },
      await labPdf('Glucose, fasting 105 mg/dL 70 - 99'),
    );
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error.details[0].field).toBe('title');
    const { rows } = await t.db.query(`SELECT 1 FROM medical_records.documents WHERE user_id = $1`, [
      user.userId,
    ]);
    expect(rows).toHaveLength(0);
  });

  it('two confirms of one suggestion at once: one lab record, one 201 and one 409', async () => {
    const user = await registerAndLogin(t.app);
    const created = (await upload(user, {}, await labPdf('Glucose, fasting 105 mg/dL 70 - 99'))).json();
    const doc = await extracted(user, created.id);
    const sid = doc.suggestions[0].id as string;
    const confirm = () =>
      t.app.inject({
        method: 'POST',
        url: `${MR}/documents/${created.id}/suggestions/${sid}/confirm`,
        headers: bearer(user.accessToken),
        payload: {},
      });
    const answers = await Promise.all([confirm(), confirm()]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 409]);
    const { rows } = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM medical_records.records WHERE user_id = $1 AND record_type = 'lab'`,
      [user.userId],
    );
    expect(rows[0]!.n).toBe(1);
  });

  it("a suggestion confirmed under another of my documents' ids is a 404", async () => {
    const user = await registerAndLogin(t.app);
    const first = (await upload(user, {}, await labPdf('Glucose, fasting 105 mg/dL 70 - 99'))).json();
    const second = (await upload(user, {}, await labPdf('Potassium 4.2 mmol/L 3.5 - 5.1'))).json();
    const sid = (await extracted(user, first.id)).suggestions[0].id as string;
    await extracted(user, second.id);
    const res = await t.app.inject({
      method: 'POST',
      url: `${MR}/documents/${second.id}/suggestions/${sid}/confirm`,
      headers: bearer(user.accessToken),
      payload: {},
    });
    expect(res.statusCode).toBe(404);
  });
});

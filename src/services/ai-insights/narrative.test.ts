import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LanguageModelError,
  NoLanguageModel,
  type CompletionRequest,
  type LanguageModel,
} from '../../platform/ai/ai.js';
import { bearer, registerAndLogin, useTestApp } from '../../test-support/harness.js';
import { groundedIn, writeNarrative, type NarrativeFact } from './narrative.js';

const facts: NarrativeFact[] = [
  {
    severity: 'moderate',
    title: 'Blood pressure: Stage 2 hypertension range on 3 days',
    explanation: 'In the last 30 days, 3 of your 4 readings were at 150/95 mmHg.',
    values: { mean_systolic: { value: 150, unit: 'mm[Hg]' }, p_value: { value: 0.0123, unit: '1' } },
  },
];

/** A model that answers from a script and records what it was asked. */
function scripted(
  answer: (request: CompletionRequest) => Promise<string>,
): LanguageModel & { asked: CompletionRequest[] } {
  const asked: CompletionRequest[] = [];
  return {
    kind: 'openai-compatible',
    description: 'scripted',
    asked,
    async complete(request) {
      asked.push(request);
      return { text: await answer(request), model: 'scripted-1' };
    },
  };
}

describe('groundedIn', () => {
  it('accepts numbers that are in the facts, as written or rounded', () => {
    expect(groundedIn('On 3 days your blood pressure was 150/95 mmHg.', facts)).toBe(true);
    expect(groundedIn('A p-value of 0.01 was found.', facts)).toBe(true);
    expect(groundedIn('No numbers here; discuss it with your clinician.', facts)).toBe(true);
  });

  it('refuses a number the facts do not hold', () => {
    expect(groundedIn('Your blood pressure was 160/95 mmHg.', facts)).toBe(false);
    expect(groundedIn('This raises your risk by 20 percent.', facts)).toBe(false);
  });
});

describe('writeNarrative', () => {
  it('sends only the facts, and returns the trimmed text with the model name', async () => {
    const model = scripted(async () => '  Your blood pressure was in the stage 2 range on 3 days.\n');
    const outcome = await writeNarrative(model, facts, () => new Date('2024-05-01T10:00:00Z'));
    expect(outcome).toEqual({
      narrative: {
        text: 'Your blood pressure was in the stage 2 range on 3 days.',
        model: 'scripted-1',
        generated_at: '2024-05-01T10:00:00.000Z',
      },
    });
    expect(model.asked).toHaveLength(1);
    expect(JSON.parse(model.asked[0]!.messages[0]!.content)).toEqual({ facts });
    expect(model.asked[0]!.system).toMatch(/Use only the facts/);
  });

  it('gives null with the reason: no model, no facts, a failure, an ungrounded answer', async () => {
    expect(await writeNarrative(new NoLanguageModel(), facts)).toEqual({
      narrative: null,
      reason: 'no_model',
    });
    expect(
      await writeNarrative(
        scripted(async () => 'x'),
        [],
      ),
    ).toEqual({ narrative: null, reason: 'no_facts' });
    const failing = scripted(async () => {
      throw new LanguageModelError('timeout', 'too slow');
    });
    expect(await writeNarrative(failing, facts)).toEqual({ narrative: null, reason: 'failed' });
    const inventive = scripted(async () => 'Your blood pressure of 180/110 doubles your risk.');
    expect(await writeNarrative(inventive, facts)).toEqual({ narrative: null, reason: 'ungrounded' });
  });
});

// ---- through the API, with a local fake OpenAI-compatible server --------------------------------------

type Mode = 'ok' | 'fail' | 'hang' | 'ungrounded';
let mode: Mode = 'ok';
const received: {
  authorization?: string;
  body: { model: string; messages: { role: string; content: string }[] };
}[] = [];
let server: Server;
const env: Record<string, string> = {
  OPENAI_MODEL: 'fake-model',
  OPENAI_API_KEY: 'sk-fake-key',
  OPENAI_TIMEOUT_MS: '400',
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      received.push({ authorization: req.headers.authorization, body });
      if (mode === 'hang') return;
      if (mode === 'fail') {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"model crashed"}}');
        return;
      }
      const input = JSON.parse(body.messages[1].content) as { facts: NarrativeFact[] };
      const text =
        mode === 'ungrounded'
          ? 'Your numbers suggest a 37 percent higher risk.'
          : `In short: ${input.facts.map((f) => f.title).join('; ')}.`;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          model: 'fake-model-2024',
          choices: [{ message: { role: 'assistant', content: text } }],
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  env.OPENAI_BASE_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const t = useTestApp(env);
const AI = '/ai-insights/api/v1';

async function stage1(token: string) {
  const now = Date.now();
  const items = [2, 1].map((d) => ({
    metric_type: 'blood_pressure',
    value: { systolic: 135, diastolic: 85 },
    unit: 'mmHg',
    timestamp: new Date(now - d * 86_400_000).toISOString(),
  }));
  const res = await t.app.inject({
    method: 'POST',
    url: '/health-tracking/api/v1/metrics/batch',
    headers: bearer(token),
    payload: { items },
  });
  expect(res.statusCode).toBe(201);
}

const get = async (token: string) => {
  const res = await t.app.inject({ method: 'GET', url: `${AI}/insights`, headers: bearer(token) });
  expect(res.statusCode).toBe(200);
  return res.json();
};

describe('narrative through the API', () => {
  it('writes a summary from the insights only, once per set of facts', async () => {
    mode = 'ok';
    received.length = 0;
    const user = await registerAndLogin(t.app, 'Narrative Person');
    await stage1(user.accessToken);
    const body = await get(user.accessToken);
    expect(body.insights).toHaveLength(1);
    expect(body.narrative).toEqual({
      text: `In short: ${body.insights[0].title}.`,
      model: 'fake-model-2024',
      generated_at: expect.any(String),
    });
    expect(received).toHaveLength(1);
    expect(received[0]!.authorization).toBe('Bearer sk-fake-key');
    expect(received[0]!.body.model).toBe('fake-model');
    const sent = received[0]!.body.messages[1]!.content;
    expect(Object.keys(JSON.parse(sent).facts[0]).sort()).toEqual([
      'explanation',
      'severity',
      'title',
      'values',
    ]);
    // Nothing about the person beyond the insights: no name, email or ids.
    for (const secret of ['Narrative Person', user.email, user.userId, body.insights[0].id])
      expect(sent).not.toContain(secret);

    // Same facts: no new call.
    await get(user.accessToken);
    expect(received).toHaveLength(1);
    // Dismissed: no active insight, no narrative, no call; restored: written again.
    await t.app.inject({
      method: 'POST',
      url: `${AI}/insights/${body.insights[0].id}/dismiss`,
      headers: bearer(user.accessToken),
    });
    expect((await get(user.accessToken)).narrative).toBeNull();
    expect(received).toHaveLength(1);
    await t.app.inject({
      method: 'POST',
      url: `${AI}/insights/${body.insights[0].id}/restore`,
      headers: bearer(user.accessToken),
    });
    expect((await get(user.accessToken)).narrative.text).toMatch(/^In short:/);
    expect(received).toHaveLength(2);
  });

  it.each(['fail', 'hang', 'ungrounded'] as const)(
    'answers with narrative null when the model is %s',
    async (m) => {
      mode = m;
      const user = await registerAndLogin(t.app);
      await stage1(user.accessToken);
      const started = Date.now();
      const body = await get(user.accessToken);
      expect(body.insights).toHaveLength(1);
      expect(body.narrative).toBeNull();
      expect(Date.now() - started).toBeLessThan(10_000);
      // The same facts are not sent again at once: a failing model does not slow every read.
      const asked = received.length;
      expect((await get(user.accessToken)).narrative).toBeNull();
      expect(received).toHaveLength(asked);
    },
  );
});

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig } from '../config.js';
import { createLanguageModel, LanguageModelError, NoLanguageModel, OpenAiCompatibleModel } from './ai.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

type Responder = (seen: Seen, res: ServerResponse) => void;

/** A local stand-in for an OpenAI-compatible server: records each request and answers as told. */
let server: Server;
let baseUrl: string;
const seen: Seen[] = [];
let respond: Responder = () => {};

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const entry = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: JSON.parse(text),
      };
      seen.push(entry);
      respond(entry, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const json = (status: number, body: unknown) => (_seen: Seen, res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

const request = {
  system: 'Be brief.',
  messages: [{ role: 'user' as const, content: 'Say hello.' }],
  maxTokens: 50,
};

async function failure(promise: Promise<unknown>): Promise<LanguageModelError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LanguageModelError);
  return err as LanguageModelError;
}

describe('OpenAiCompatibleModel', () => {
  it('posts a chat completion with the model, messages, key and limits, and returns the text', async () => {
    seen.length = 0;
    respond = json(200, {
      id: 'x',
      model: 'served-model-1',
      choices: [{ index: 0, message: { role: 'assistant', content: '  Hello there.  ' } }],
    });
    const model = new OpenAiCompatibleModel({
      baseUrl: `${baseUrl}/`,
      model: 'm-1',
      apiKey: 'sk-test-1',
      timeoutMs: 2000,
    });
    const answer = await model.complete(request);
    expect(answer).toEqual({ text: 'Hello there.', model: 'served-model-1' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { authorization: 'Bearer sk-test-1', 'content-type': 'application/json' },
      body: {
        model: 'm-1',
        max_tokens: 50,
        temperature: 0,
        stream: false,
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Say hello.' },
        ],
      },
    });
    expect(model.description).not.toContain('sk-test-1');
  });

  it('sends no Authorization header without a key (a local Ollama), and names the model it asked for', async () => {
    seen.length = 0;
    respond = json(200, { choices: [{ message: { content: 'Hi.' } }] });
    const model = new OpenAiCompatibleModel({ baseUrl, model: 'llama3.2', timeoutMs: 2000 });
    expect(await model.complete(request)).toEqual({ text: 'Hi.', model: 'llama3.2' });
    expect(seen[0]!.headers.authorization).toBeUndefined();
  });

  it('fails with http_error on a non-2xx answer, without the body in the message', async () => {
    respond = json(401, { error: { message: 'Incorrect API key provided: sk-test-2' } });
    const model = new OpenAiCompatibleModel({ baseUrl, model: 'm', apiKey: 'sk-test-2', timeoutMs: 2000 });
    const err = await failure(model.complete(request));
    expect(err).toMatchObject({ reason: 'http_error', status: 401 });
    expect(err.message).not.toContain('sk-test-2');
  });

  it('fails with bad_response on a body without text', async () => {
    const model = new OpenAiCompatibleModel({ baseUrl, model: 'm', timeoutMs: 2000 });
    respond = json(200, { choices: [] });
    expect((await failure(model.complete(request))).reason).toBe('bad_response');
    respond = json(200, { choices: [{ message: { content: '   ' } }] });
    expect((await failure(model.complete(request))).reason).toBe('bad_response');
    respond = (_s, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>proxy error</html>');
    };
    expect((await failure(model.complete(request))).reason).toBe('bad_response');
  });

  it('gives up after the timeout when the server does not answer', async () => {
    respond = () => {}; // never answers
    const model = new OpenAiCompatibleModel({ baseUrl, model: 'm', timeoutMs: 5000 });
    const started = Date.now();
    const err = await failure(model.complete({ ...request, timeoutMs: 150 }));
    expect(err.reason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('fails with network when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const model = new OpenAiCompatibleModel({
      baseUrl: `http://127.0.0.1:${port}/v1`,
      model: 'm',
      timeoutMs: 2000,
    });
    expect((await failure(model.complete(request))).reason).toBe('network');
  });
});

describe('NoLanguageModel', () => {
  it('refuses every call with not_configured', async () => {
    const model = new NoLanguageModel();
    expect(model.kind).toBe('none');
    expect((await failure(model.complete())).reason).toBe('not_configured');
  });
});

describe('language model configuration', () => {
  it('is none without OPENAI_API_KEY and OPENAI_BASE_URL', () => {
    const config = loadConfig({});
    expect(config.ai.openai).toBeUndefined();
    expect(createLanguageModel(config.ai).kind).toBe('none');
    expect(describeConfig(config).language_model).toMatch(/^none/);
  });

  it('uses OpenAI with a default model when only the key is set, and never prints the key', () => {
    const config = loadConfig({ OPENAI_API_KEY: 'sk-secret-value-123' });
    expect(config.ai.openai).toEqual({
      baseUrl: 'https://api.openai.com/v1',
      model: 'gpt-4o-mini',
      apiKey: 'sk-secret-value-123',
      timeoutMs: 10_000,
    });
    expect(createLanguageModel(config.ai).kind).toBe('openai-compatible');
    expect(JSON.stringify(describeConfig(config))).not.toContain('sk-secret-value-123');
  });

  it('takes a local server without a key, with its model and timeout', () => {
    const config = loadConfig({
      OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1/',
      OPENAI_MODEL: 'llama3.2',
      OPENAI_TIMEOUT_MS: '30000',
    });
    expect(config.ai.openai).toEqual({
      baseUrl: 'http://127.0.0.1:11434/v1',
      model: 'llama3.2',
      apiKey: undefined,
      timeoutMs: 30_000,
    });
  });

  it('names every problem: a base URL without a model, a bad URL, a bad timeout', () => {
    expect(() => loadConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' })).toThrow(
      /OPENAI_MODEL is required/,
    );
    let error: unknown;
    try {
      loadConfig({ OPENAI_API_KEY: 'k', OPENAI_BASE_URL: 'ftp://x', OPENAI_TIMEOUT_MS: '5' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/OPENAI_BASE_URL must use http or https/);
    expect(problems).toMatch(/OPENAI_TIMEOUT_MS must be a whole number from 100 to 300000/);
  });
});

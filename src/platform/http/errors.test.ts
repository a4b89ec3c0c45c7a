import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AppError,
  describeValidation,
  handleError,
  serviceUnavailable,
  tooManyRequests,
  unauthorized,
} from './errors.js';

describe('describeValidation', () => {
  it('names a missing property by its full path', () => {
    expect(
      describeValidation('body', [
        { instancePath: '', keyword: 'required', params: { missingProperty: 'email' }, message: 'x' },
        {
          instancePath: '/address',
          keyword: 'required',
          params: { missingProperty: 'city' },
          message: "must have required property 'city'",
        },
      ]),
    ).toEqual([
      { field: 'email', problem: 'is required' },
      { field: 'address.city', problem: 'is required' },
    ]);
  });

  it('names an unexpected property as not accepted', () => {
    expect(
      describeValidation('body', [
        { instancePath: '', keyword: 'additionalProperties', params: { additionalProperty: 'role' } },
        {
          instancePath: '/settings/units',
          keyword: 'additionalProperties',
          params: { additionalProperty: 'colour' },
        },
      ]),
    ).toEqual([
      { field: 'role', problem: 'is not an accepted field' },
      { field: 'settings.units.colour', problem: 'is not an accepted field' },
    ]);
  });

  it('turns a JSON pointer into a dotted path and keeps Ajv’s message', () => {
    expect(
      describeValidation('body', [
        { instancePath: '/readings/0/value', keyword: 'minimum', message: 'must be >= 0', params: {} },
      ]),
    ).toEqual([{ field: 'readings.0.value', problem: 'must be >= 0' }]);
  });

  it('falls back to the context, then to "body", for issues about the whole input', () => {
    expect(
      describeValidation('querystring', [{ instancePath: '', keyword: 'type', message: 'must be object' }]),
    ).toEqual([{ field: 'querystring', problem: 'must be object' }]);
    expect(describeValidation(undefined, [{ keyword: 'type', message: 'must be object' }])).toEqual([
      { field: 'body', problem: 'must be object' },
    ]);
  });

  it('says "is invalid" when Ajv gives no message', () => {
    expect(describeValidation('params', [{ instancePath: '/id', keyword: 'format' }])).toEqual([
      { field: 'id', problem: 'is invalid' },
    ]);
  });

  it('keeps Ajv’s wording when required/additionalProperties lack the expected params', () => {
    expect(
      describeValidation('body', [{ instancePath: '/a', keyword: 'required', message: 'must be there' }]),
    ).toEqual([{ field: 'a', problem: 'must be there' }]);
  });

  it('returns nothing for no issues', () => {
    expect(describeValidation('body', [])).toEqual([]);
  });
});

describe('error helpers', () => {
  it('make AppErrors with stable codes and statuses', () => {
    const unauth = unauthorized('The access token has expired', 'token_expired');
    expect(unauth).toBeInstanceOf(AppError);
    expect(unauth).toBeInstanceOf(Error);
    expect(unauth).toMatchObject({ status: 401, code: 'token_expired', name: 'AppError' });
    expect(unauth.headers).toEqual({ 'www-authenticate': 'Bearer' });
    expect(tooManyRequests('slow down', 7)).toMatchObject({
      status: 429,
      code: 'rate_limited',
      details: { retry_after_seconds: 7 },
      headers: { 'retry-after': '7' },
    });
    expect(serviceUnavailable('down', { service: 'auth' })).toMatchObject({
      status: 503,
      code: 'service_unavailable',
      details: { service: 'auth' },
    });
  });
});

describe('handleError', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = Fastify({ logger: false });
    app.setErrorHandler(handleError);
    app.get('/app-error', async () => {
      throw unauthorized('The access token is not valid', 'invalid_token');
    });
    app.post(
      '/validated',
      {
        schema: {
          body: {
            type: 'object',
            required: ['email'],
            additionalProperties: false,
            properties: { email: { type: 'string' } },
          },
        },
      },
      async () => ({ ok: true }),
    );
    app.get('/boom', async () => {
      throw new Error('database password is hunter2');
    });
    await app.ready();
  });
  afterAll(() => app.close());

  it('sends an AppError in the shared shape with its headers', async () => {
    const res = await app.inject({ method: 'GET', url: '/app-error', headers: { 'x-request-id': 'r' } });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.json()).toEqual({
      error: {
        code: 'invalid_token',
        message: 'The access token is not valid',
        request_id: expect.any(String),
      },
    });
  });

  it('answers a validation failure with 400 naming the field', async () => {
    const res = await app.inject({ method: 'POST', url: '/validated', payload: {} });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error.code).toBe('validation_error');
    expect(body.error.message).toContain('email is required');
    expect(body.error.details).toEqual([{ field: 'email', problem: 'is required' }]);
  });

  it('answers malformed JSON with 400 invalid_json', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/validated',
      headers: { 'content-type': 'application/json' },
      payload: '{"email":',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_json');
  });

  it('answers an unexpected error with 500 and keeps its details out of the body', async () => {
    const res = await app.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.json().error).toMatchObject({
      code: 'internal_error',
      message: 'Something went wrong on our side',
    });
    expect(res.body).not.toContain('hunter2');
  });
});

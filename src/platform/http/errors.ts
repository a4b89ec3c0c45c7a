import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** The one error type services throw; the error handler turns it into the shared JSON shape. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badRequest = (message: string, details?: unknown) =>
  new AppError(400, 'bad_request', message, details);
export const validationError = (message: string, details?: unknown) =>
  new AppError(400, 'validation_error', message, details);
export const unauthorized = (message = 'Authentication required', code = 'unauthorized') =>
  new AppError(401, code, message, undefined, { 'www-authenticate': 'Bearer' });
export const forbidden = (message = 'You do not have access to this resource') =>
  new AppError(403, 'forbidden', message);
export const notFound = (message = 'Not found') => new AppError(404, 'not_found', message);
export const conflict = (message: string, code = 'conflict') => new AppError(409, code, message);
export const tooManyRequests = (message: string, retryAfterSeconds: number) =>
  new AppError(
    429,
    'rate_limited',
    message,
    { retry_after_seconds: retryAfterSeconds },
    {
      'retry-after': String(retryAfterSeconds),
    },
  );
export const serviceUnavailable = (message: string, details?: unknown) =>
  new AppError(503, 'service_unavailable', message, details);
export const badGateway = (message: string, details?: unknown) =>
  new AppError(502, 'bad_gateway', message, details);

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; request_id: string };
}

export function errorBody(
  request: FastifyRequest,
  code: string,
  message: string,
  details?: unknown,
): ErrorBody {
  return { error: { code, message, ...(details === undefined ? {} : { details }), request_id: request.id } };
}

interface AjvIssue {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

/** Turns Ajv's issues into `{field, problem}` pairs a person can act on. */
export function describeValidation(
  context: string | undefined,
  issues: AjvIssue[],
): { field: string; problem: string }[] {
  return issues.map((issue) => {
    const base = (issue.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    let field = base;
    let problem = issue.message ?? 'is invalid';
    if (issue.keyword === 'required' && typeof issue.params?.missingProperty === 'string') {
      field = base ? `${base}.${issue.params.missingProperty}` : issue.params.missingProperty;
      problem = 'is required';
    } else if (
      issue.keyword === 'additionalProperties' &&
      typeof issue.params?.additionalProperty === 'string'
    ) {
      field = base ? `${base}.${issue.params.additionalProperty}` : issue.params.additionalProperty;
      problem = 'is not an accepted field';
    }
    return { field: field || (context ?? 'body'), problem };
  });
}

/** Maps every error to the shared shape; anything unexpected is a 500 whose details stay in the log. */
export function handleError(
  error: FastifyError | AppError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  if (error instanceof AppError) {
    if (error.headers) reply.headers(error.headers);
    return reply.status(error.status).send(errorBody(request, error.code, error.message, error.details));
  }
  const fe = error as FastifyError & { validation?: AjvIssue[]; validationContext?: string };
  if (fe.validation) {
    const issues = describeValidation(fe.validationContext, fe.validation);
    const summary = issues.map((i) => `${i.field} ${i.problem}`).join('; ');
    return reply
      .status(400)
      .send(
        errorBody(
          request,
          'validation_error',
          `Invalid ${fe.validationContext ?? 'request'}: ${summary}`,
          issues,
        ),
      );
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return reply.status(400).send(errorBody(request, 'invalid_json', 'The request body is not valid JSON'));
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return reply
        .status(413)
        .send(
          errorBody(request, 'payload_too_large', 'The request body is larger than this endpoint accepts'),
        );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return reply
        .status(415)
        .send(errorBody(request, 'unsupported_media_type', 'Send the body as application/json'));
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return reply
        .status(400)
        .send(errorBody(request, 'bad_request', 'Content-Length does not match the body'));
    default:
      break;
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code = fe.statusCode === 429 ? 'rate_limited' : 'bad_request';
    return reply.status(fe.statusCode).send(errorBody(request, code, fe.message));
  }
  if (fe.statusCode === 502 || fe.statusCode === 503 || fe.statusCode === 504) {
    // An upstream (proxied service) did not answer: say so rather than blame ourselves.
    const code = fe.statusCode === 504 ? 'upstream_timeout' : 'service_unavailable';
    return reply
      .status(fe.statusCode)
      .send(errorBody(request, code, 'A service behind the gateway did not answer'));
  }
  request.log.error({ err: error }, 'unhandled error');
  return reply.status(500).send(errorBody(request, 'internal_error', 'Something went wrong on our side'));
}

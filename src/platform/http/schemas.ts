import { Type, type TSchema } from 'typebox';

/** The one error shape, for OpenAPI. */
export const ErrorResponse = Type.Object({
  error: Type.Object({
    code: Type.String({ description: 'Stable machine-readable code' }),
    message: Type.String({ description: 'What went wrong, for a person' }),
    details: Type.Optional(Type.Unknown()),
    request_id: Type.String(),
  }),
});

export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((status) => [status, ErrorResponse]));
}

/** A string restricted to `values`, typed as their union. */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: { description?: string } = {},
) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

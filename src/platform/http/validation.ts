import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import type { FastifySchemaCompiler } from 'fastify';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
type AddFormats = (ajv: Ajv) => Ajv;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ??
  addFormatsModule) as unknown as AddFormats;

function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    // Extra fields are refused, not silently dropped: a typo in a field name must not lose data.
    removeAdditional: false,
    useDefaults: true,
    coerceTypes: coerce ? 'array' : false,
    strict: false,
  });
  addFormats(ajv);
  // RFC 3339 allows a leap second (23:59:60) and the year 0000, but neither is an instant JavaScript or
  // PostgreSQL can store: refuse them at the door (a 400 naming the field) instead of failing later.
  ajv.addFormat('date-time', { type: 'string', validate: storableDateTime });
  ajv.addFormat('date', { type: 'string', validate: storableDate });
  return ajv;
}

const rfc3339 = (name: 'date-time' | 'date') => {
  const format = fullFormats[name] as { validate: (value: string) => boolean };
  return (value: string) => format.validate(value);
};
const isRfc3339DateTime = rfc3339('date-time');
const isRfc3339Date = rfc3339('date');

export function storableDateTime(value: string): boolean {
  return isRfc3339DateTime(value) && !value.startsWith('0000') && Number.isFinite(Date.parse(value));
}

export function storableDate(value: string): boolean {
  return isRfc3339Date(value) && !value.startsWith('0000');
}

// Bodies are JSON and must carry the right types; query strings and paths are text and are coerced.
const bodyAjv = makeAjv(false);
const textAjv = makeAjv(true);

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : textAjv;
  const validate: ValidateFunction = ajv.compile(schema as object);
  return (data: unknown) => {
    if (validate(data)) return { value: data };
    const error = Object.assign(new Error('validation failed'), { validation: validate.errors ?? [] });
    return { error };
  };
};

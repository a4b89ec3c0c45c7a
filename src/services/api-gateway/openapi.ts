/** Minimal OpenAPI shape the gateway needs to merge the services' documents. */
export interface OpenApiDocument {
  openapi?: string;
  info?: { title?: string; version?: string; description?: string };
  paths?: Record<string, unknown>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
  tags?: { name: string }[];
}

/** One document for the whole API: each service's paths under its gateway prefix. */
export function mergeOpenApi(
  docs: { slug: string; doc: OpenApiDocument }[],
): OpenApiDocument & { paths: Record<string, unknown> } {
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const { slug, doc } of docs) {
    for (const [path, item] of Object.entries(doc.paths ?? {})) paths[`/${slug}${path}`] = item;
    for (const [name, schema] of Object.entries(doc.components?.schemas ?? {}))
      schemas[`${slug}.${name}`] = schema;
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'Personal Health Assistant API',
      version: '1.0.0',
      description:
        'Every service through the API gateway: /<service>/<path>. Authenticate with a bearer access token.',
    },
    paths,
    components: {
      schemas,
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}

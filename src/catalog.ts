/**
 * The 18 services of the deployment plan: slug, seed port, the environment variable other services
 * use to reach it, and whether this codebase serves it yet. Single source of truth for the CLI,
 * the gateway and the service clients. A service that is not built is not served at all.
 */
export interface ServiceEntry {
  /** URL path segment under the gateway and the name used everywhere else. */
  readonly slug: ServiceSlug;
  /** Port from the deployment plan. */
  readonly port: number;
  /** Environment variable holding this service's base URL in the distributed shape. */
  readonly urlVariable: string;
  readonly title: string;
  /** Services this one calls (direction of the seed's dependency diagram). */
  readonly dependsOn: readonly ServiceSlug[];
  readonly built: boolean;
}

export const SERVICE_SLUGS = [
  'auth',
  'user-profile',
  'health-tracking',
  'voice-input',
  'device-data',
  'medical-records',
  'medical-analysis',
  'nutrition',
  'health-analysis',
  'consent-audit',
  'knowledge-graph',
  'doctor-collaboration',
  'genomics',
  'ai-insights',
  'analytics',
  'ai-reasoning',
  'graphql-bff',
  'api-gateway',
] as const;

export type ServiceSlug = (typeof SERVICE_SLUGS)[number];

function entry(
  slug: ServiceSlug,
  port: number,
  title: string,
  dependsOn: readonly ServiceSlug[],
  built = false,
): ServiceEntry {
  const urlVariable = `${slug.replace(/-/g, '_').toUpperCase()}_SERVICE_URL`;
  return { slug, port, title, dependsOn, built, urlVariable };
}

export const CATALOG: readonly ServiceEntry[] = [
  entry('auth', 8000, 'Auth', [], true),
  entry('user-profile', 8001, 'User profile', ['auth'], true),
  entry('health-tracking', 8002, 'Health tracking', ['auth'], true),
  entry('voice-input', 8003, 'Voice input', ['auth', 'health-tracking']),
  entry('device-data', 8004, 'Device data', ['auth', 'health-tracking'], true),
  entry('medical-records', 8005, 'Medical records', ['auth', 'user-profile', 'health-tracking'], true),
  entry('medical-analysis', 8006, 'Medical analysis', ['auth', 'medical-records']),
  entry('nutrition', 8007, 'Nutrition', ['auth', 'user-profile', 'health-tracking'], true),
  entry('health-analysis', 8008, 'Health analysis', ['auth', 'health-tracking']),
  entry('consent-audit', 8009, 'Consent and audit', ['auth']),
  entry('knowledge-graph', 8010, 'Knowledge graph', ['auth']),
  entry('doctor-collaboration', 8011, 'Doctor collaboration', ['auth', 'consent-audit']),
  entry('genomics', 8012, 'Genomics', ['auth']),
  entry(
    'ai-insights',
    8200,
    'AI insights',
    ['auth', 'user-profile', 'health-tracking', 'medical-records', 'nutrition'],
    true,
  ),
  entry('analytics', 8210, 'Analytics', ['auth', 'health-tracking']),
  entry('ai-reasoning', 8300, 'AI reasoning orchestrator', ['auth', 'ai-insights', 'knowledge-graph']),
  entry('graphql-bff', 8400, 'GraphQL BFF', ['auth']),
  entry('api-gateway', 8080, 'API gateway', [], true),
];

export function serviceBySlug(slug: string): ServiceEntry | undefined {
  return CATALOG.find((s) => s.slug === slug);
}

/** Built services other than the gateway: the ones that own routes and data. */
export function builtBackendServices(): ServiceEntry[] {
  return CATALOG.filter((s) => s.built && s.slug !== 'api-gateway');
}

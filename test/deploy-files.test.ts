import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CATALOG, builtBackendServices, serviceBySlug, type ServiceEntry } from '../src/catalog.js';
import { ConfigError, loadConfig } from '../src/platform/config.js';
import { openEventBus } from '../src/platform/events/events.js';
import { TOPICS } from '../src/platform/events/outbox.js';
import { DeviceDataConfigError, loadDeviceDataConfig } from '../src/services/device-data/config.js';

/**
 * Keeps deploy/docker-compose.yml and render.yaml in step with what is built (src/catalog.ts) and with
 * what the code reads. Neither file is run here (no Docker engine, no Render account in CI): this test
 * parses them and checks what `docker compose config` and Render's Blueprint validation would, plus the
 * project's own rules.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SEED = join(ROOT, '..', 'shared', 'seed', 'deployment-plan.md');
const haveSeed = existsSync(SEED);
const seedNote = haveSeed ? '' : ' (skipped: ../shared/seed/deployment-plan.md is absent)';

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const BUILT = CATALOG.filter((s) => s.built);
const BACKENDS = builtBackendServices();
const PHA_IMAGE = 'personal-health-assistant:latest';

// --- What the code reads -------------------------------------------------------------------------

type Env = Record<string, string | undefined>;

/** Every variable name a loader looks up, recorded with an environment that answers each lookup. */
function namesReadBy(load: (env: Env) => unknown): Set<string> {
  const names = new Set<string>();
  // Once with nothing set and once with everything set, so that lookups behind a condition (SMTP_* after
  // SMTP_HOST, KAFKA_TLS when present) happen too. Invalid values only add problems to the error.
  for (const answer of [undefined, 'x']) {
    const env = new Proxy({} as Env, {
      get(_target, key) {
        if (typeof key === 'string') names.add(key);
        return answer;
      },
    });
    try {
      load(env);
    } catch (err) {
      if (!(err instanceof ConfigError) && !(err instanceof DeviceDataConfigError)) throw err;
    }
  }
  return names;
}

/** The container entrypoint's own variables (SERVICE, PORT for the health check, ...). */
function namesReadByEntrypoint(): Set<string> {
  const script = read('deploy/entrypoint.sh');
  const names = [
    ...script.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g),
    ...script.matchAll(/process\.env\.([A-Z][A-Z0-9_]*)/g),
  ];
  return new Set(names.map((m) => m[1]!));
}

const READ_BY_CODE = new Set([
  ...namesReadBy((env) => loadConfig(env, 'distributed')),
  ...namesReadBy((env) => loadDeviceDataConfig(env)),
  ...namesReadByEntrypoint(),
]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const serviceSource = (slug: string) =>
  sourceFiles(join(ROOT, 'src', 'services', slug))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');

/**
 * The services one service calls: its dependencies in the catalogue, or every built backend when its
 * code walks builtBackendServices() (auth's account deletion, user-profile's export, the gateway).
 */
function callees(service: ServiceEntry): ServiceEntry[] {
  if (serviceSource(service.slug).includes('builtBackendServices(')) {
    return BACKENDS.filter((s) => s.slug !== service.slug);
  }
  return service.dependsOn.map((slug) => serviceBySlug(slug)!);
}

/** Services that write events (outbox) or consume them: the ones Kafka matters to. */
const usesEvents = (slug: string) =>
  /\bappendEvent\(|\bsubscribeOnce\(|\bconsumeOnce\(/.test(serviceSource(slug));

// --- docker-compose.yml ----------------------------------------------------------------------------

interface ComposeService {
  image?: string;
  build?: unknown;
  profiles?: string[];
  environment?: Record<string, unknown>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: unknown };
  restart?: string;
  volumes?: string[];
  ports?: string[];
  command?: unknown;
}

interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const composeText = read('deploy/docker-compose.yml');
// Compose resolves YAML merge keys (`<<: *service-env`) the same way.
const compose = parse(composeText, { merge: true }) as ComposeFile;
const composeServices = Object.entries(compose.services);
const phaContainers = composeServices.filter(([, s]) => s.image === PHA_IMAGE);

const envOf = (name: string) => (compose.services[name]?.environment ?? {}) as Record<string, unknown>;

/** Compose interpolation: `$$` (a literal $), `${NAME}`, `${NAME:-x}`, `${NAME-x}`, `${NAME:?x}`, ... */
function badInterpolations(value: string): string[] {
  const rest = value.replace(/\$\$/g, '').replace(/\$\{[A-Za-z_][A-Za-z0-9_]*(?:(?::?[-?+])[^}]*)?\}/g, '');
  return rest.includes('$') ? [value] : [];
}

function dependencyCycle(services: Record<string, ComposeService>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...path, name];
    state.set(name, 'visiting');
    for (const next of Object.keys(services[name]?.depends_on ?? {})) {
      const cycle = visit(next, [...path, name]);
      if (cycle) return cycle;
    }
    state.set(name, 'done');
    return undefined;
  };
  for (const name of Object.keys(services)) {
    const cycle = visit(name, []);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('deploy/docker-compose.yml', () => {
  it('is a well-formed compose file (what `docker compose config` would refuse)', () => {
    const topLevel = Object.keys(compose).filter((k) => !k.startsWith('x-'));
    expect(
      topLevel.every((k) => ['name', 'services', 'volumes', 'networks', 'configs', 'secrets'].includes(k)),
    ).toBe(true);
    const declaredVolumes = Object.keys(compose.volumes ?? {});
    for (const [name, service] of composeServices) {
      expect(service.image ?? service.build, `${name}: image or build`).toBeDefined();
      for (const [target, dep] of Object.entries(service.depends_on ?? {})) {
        const other = compose.services[target];
        expect(other, `${name} depends on undefined service ${target}`).toBeDefined();
        expect(['service_started', 'service_healthy', 'service_completed_successfully']).toContain(
          dep.condition,
        );
        if (dep.condition === 'service_healthy')
          expect(other!.healthcheck, `${target}: healthcheck`).toBeDefined();
        if (dep.condition === 'service_completed_successfully') expect(other!.restart).toBe('no');
        // A service outside every profile may not depend on one a profile turns off: compose errors.
        if (!service.profiles) expect(other!.profiles, `${name} -> ${target} (profile)`).toBeUndefined();
      }
      if (service.healthcheck) {
        const test = service.healthcheck.test as string[];
        expect(['CMD', 'CMD-SHELL', 'NONE']).toContain(test[0]);
      }
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (!source.startsWith('.') && !source.startsWith('/')) expect(declaredVolumes).toContain(source);
      }
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        expect(['string', 'number', 'boolean'], `${name}.${key}`).toContain(typeof value);
        if (typeof value === 'string') expect(badInterpolations(value), `${name}.${key}`).toEqual([]);
      }
      for (const port of service.ports ?? []) expect(badInterpolations(port)).toEqual([]);
    }
    expect(dependencyCycle(compose.services)).toBeUndefined();
  });

  it('has one container per built service, SERVICE=<slug>, and none for a service not built', () => {
    const served = phaContainers
      .filter(([, s]) => s.environment?.SERVICE !== undefined)
      .map(([name, s]) => [name, s.environment!.SERVICE]);
    expect(Object.fromEntries(served)).toEqual(Object.fromEntries(BUILT.map((s) => [s.slug, s.slug])));
  });

  it.each(BUILT.map((s) => [s.slug, s] as const))(
    '%s: depends on the services it calls (healthy) and reaches them on their seed ports',
    (_slug, service) => {
      const block = compose.services[service.slug]!;
      const dependsOn = block.depends_on ?? {};
      for (const callee of service.dependsOn) {
        expect(dependsOn[callee]?.condition, `${service.slug} -> ${callee}`).toBe('service_healthy');
      }
      if (service.slug === 'api-gateway') {
        for (const backend of BACKENDS) expect(dependsOn[backend.slug]?.condition).toBe('service_healthy');
      } else {
        expect(dependsOn.migrate?.condition).toBe('service_completed_successfully');
      }
      const env = envOf(service.slug);
      for (const callee of callees(service)) {
        expect(env[callee.urlVariable], `${service.slug}: ${callee.urlVariable}`).toBe(
          `http://${callee.slug}:${callee.port}`,
        );
      }
      expect(env.JWT_SECRET_KEY).toMatch(/^\$\{JWT_SECRET_KEY:\?/);
      expect(env.SECRET_KEY).toMatch(/^\$\{SECRET_KEY:\?/);
      if (usesEvents(service.slug)) expect(env.KAFKA_BOOTSTRAP_SERVERS).toBe('${KAFKA_BOOTSTRAP_SERVERS:-}');
    },
  );

  it('names only variables the code reads, optional ones passed through empty by default', () => {
    for (const [name, service] of phaContainers) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        expect(READ_BY_CODE.has(key), `${name}: ${key} is read by no code`).toBe(true);
        // A provider credential is never given a value here: only passed through from the operator.
        if (
          /(_CLIENT_ID|_CLIENT_SECRET|_API_KEY|_PASSWORD|_USERNAME)$/.test(key) &&
          typeof value === 'string'
        ) {
          expect(value, `${name}: ${key}`).toBe(`\${${key}:-}`);
        }
      }
    }
  });

  it('offers a single-node Kafka behind the kafka profile, with the topics the app uses', () => {
    const kafka = compose.services.kafka!;
    expect(kafka.image).toMatch(/^apache\/kafka:\d+\.\d+\.\d+$/);
    expect(kafka.profiles).toEqual(['kafka']);
    const env = kafka.environment as Record<string, string | number>;
    expect(env.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe(`${env.KAFKA_NODE_ID}@kafka:9093`);
    expect(String(env.KAFKA_LISTENERS)).toContain('CONTROLLER://:9093');
    expect(env.KAFKA_ADVERTISED_LISTENERS).toBe('PLAINTEXT://kafka:9092');
    expect(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR).toBe(1);
    // KRaft cluster ids are UUIDs in base64url: 16 bytes.
    expect(Buffer.from(String(env.CLUSTER_ID), 'base64url')).toHaveLength(16);
    // The documented way to point the services at it names the advertised listener.
    expect(composeText).toContain('KAFKA_BOOTSTRAP_SERVERS=kafka:9092 docker compose');
    const topics = compose.services['kafka-topics']!;
    expect(topics.profiles).toEqual(['kafka']);
    expect(topics.depends_on?.kafka?.condition).toBe('service_healthy');
    const script = JSON.stringify(topics.command);
    for (const topic of TOPICS) expect(script).toContain(topic);
  });
});

// --- render.yaml -----------------------------------------------------------------------------------

interface RenderEnvVar {
  key?: string;
  value?: unknown;
  sync?: boolean;
  generateValue?: boolean;
  fromGroup?: string;
}

interface RenderService {
  type: string;
  name: string;
  runtime: string;
  plan?: string;
  dockerfilePath?: string;
  dockerContext?: string;
  healthCheckPath?: string;
  envVars: RenderEnvVar[];
}

interface Blueprint {
  services: RenderService[];
  envVarGroups?: { name: string; envVars: RenderEnvVar[] }[];
}

const renderText = read('render.yaml');

/** The file with the lines between `# BEGIN <block>` and `# END <block>` uncommented. */
function uncommented(text: string, blocks: string[]): string {
  let inside: string | undefined;
  return text
    .split('\n')
    .map((line) => {
      const marker = /^\s*# (BEGIN|END) (.+)$/.exec(line);
      if (marker && blocks.includes(marker[2]!)) {
        inside = marker[1] === 'BEGIN' ? marker[2] : undefined;
        return '';
      }
      if (inside === undefined) return line;
      if (line.trim() !== '' && !/^\s*#/.test(line))
        throw new Error(`not commented inside ${inside}: ${line}`);
      return line.replace(/^(\s*)# ?/, '$1');
    })
    .join('\n');
}

const activeBlueprint = parse(renderText) as Blueprint;
const fullBlueprint = parse(
  uncommented(renderText, ['distributed services', 'distributed groups']),
) as Blueprint;
const distributed = fullBlueprint.services.filter(
  (s) => !activeBlueprint.services.some((a) => a.name === s.name),
);

const renderName = (slug: string) => (slug === 'api-gateway' ? 'api-gateway' : `${slug}-service`);
const keysOf = (service: RenderService) => service.envVars.flatMap((v) => (v.key ? [v.key] : []));
const varOf = (service: RenderService, key: string) => service.envVars.find((v) => v.key === key);
const groupKeys = (service: RenderService) =>
  service.envVars.flatMap((v) =>
    v.fromGroup ? (fullBlueprint.envVarGroups?.find((g) => g.name === v.fromGroup)?.envVars ?? []) : [],
  );

/** Render instance types and their memory in MB (render.com pricing; free and starter: 512 MB). */
const PLAN_MEMORY_MB: Record<string, number> = {
  free: 512,
  starter: 512,
  standard: 2048,
  pro: 4096,
  pro_plus: 8192,
  pro_max: 16384,
  pro_ultra: 32768,
};

describe('render.yaml', () => {
  it('is a valid Blueprint with the distributed block uncommented too', () => {
    expect(renderText).toMatch(/# BEGIN distributed services[\s\S]*# END distributed services/);
    expect(renderText).toMatch(/# BEGIN distributed groups[\s\S]*# END distributed groups/);
    const names = fullBlueprint.services.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const service of fullBlueprint.services) {
      expect(service.type).toBe('web');
      expect(service.runtime).toBe('docker');
      expect(Object.keys(PLAN_MEMORY_MB)).toContain(service.plan ?? 'free');
      expect(existsSync(join(ROOT, service.dockerfilePath!)), service.dockerfilePath).toBe(true);
      expect(service.healthCheckPath).toBe('/health');
      for (const v of service.envVars) {
        const kinds = ['value', 'sync', 'generateValue', 'fromGroup'].filter((k) => k in v);
        expect(kinds, `${service.name}: ${JSON.stringify(v)}`).toHaveLength(1);
        if ('sync' in v) expect(v.sync).toBe(false);
        if ('value' in v) expect(typeof v.value, `${service.name}.${v.key}`).toBe('string');
        if (v.fromGroup) expect(fullBlueprint.envVarGroups?.map((g) => g.name)).toContain(v.fromGroup);
      }
      const keys = [...keysOf(service), ...groupKeys(service).map((v) => v.key!)];
      expect(new Set(keys).size, `${service.name}: a variable listed twice`).toBe(keys.length);
    }
    // Render refuses `sync: false` in an environment group.
    for (const group of fullBlueprint.envVarGroups ?? []) {
      expect(group.envVars.some((v) => 'sync' in v)).toBe(false);
    }
  });

  it('names only variables the code reads', () => {
    const all = [
      ...fullBlueprint.services.flatMap(keysOf),
      ...(fullBlueprint.envVarGroups ?? []).flatMap((g) => g.envVars.map((v) => v.key!)),
    ];
    expect(all.filter((key) => !READ_BY_CODE.has(key))).toEqual([]);
  });

  it('all-in-one: asks for the optional providers, and leaves out Kafka, which that shape ignores', async () => {
    const [allInOne] = activeBlueprint.services;
    expect(varOf(allInOne!, 'SERVICE')?.value).toBe('all-in-one');
    for (const key of [
      'DEXCOM_CLIENT_ID',
      'DEXCOM_CLIENT_SECRET',
      'OURA_CLIENT_ID',
      'OURA_CLIENT_SECRET',
      'EPIC_FHIR_CLIENT_ID',
      'EPIC_FHIR_CLIENT_SECRET',
      'OPENAI_API_KEY',
    ]) {
      expect(varOf(allInOne!, key)?.sync, key).toBe(false);
    }
    // The reason Kafka is not offered there: the all-in-one shape keeps events in process even when set.
    const config = loadConfig({ KAFKA_BOOTSTRAP_SERVERS: 'kafka:9092' }, 'all-in-one');
    const bus = await openEventBus(config, 'all-in-one', pino({ level: 'silent' }));
    expect(bus.kind).toBe('in-process');
    await bus.close();
    expect(keysOf(allInOne!).filter((k) => k.startsWith('KAFKA_'))).toEqual([]);
  });

  it('distributed block: one service per built service, and none for a service not built', () => {
    expect(distributed.map((s) => s.name).sort()).toEqual(BUILT.map((s) => renderName(s.slug)).sort());
  });

  it.each(BUILT.map((s) => [s.slug, s] as const))(
    '%s: named as the plan names it, SERVICE=<slug>, with the URLs of the services it calls',
    (_slug, service) => {
      const block = distributed.find((s) => s.name === renderName(service.slug));
      expect(block, renderName(service.slug)).toBeDefined();
      expect(varOf(block!, 'SERVICE')?.value).toBe(service.slug);
      const shared = groupKeys(block!).map((v) => v.key);
      expect(shared).toEqual(expect.arrayContaining(['JWT_SECRET_KEY', 'SECRET_KEY']));
      for (const callee of callees(service)) {
        expect(varOf(block!, callee.urlVariable)?.value, `${block!.name}: ${callee.urlVariable}`).toBe(
          `https://${renderName(callee.slug)}.onrender.com`,
        );
      }
      if (service.slug !== 'api-gateway') expect(varOf(block!, 'DATABASE_URL')?.sync).toBe(false);
      expect(varOf(block!, 'REDIS_URL')?.sync).toBe(false);
      if (usesEvents(service.slug)) {
        for (const key of ['KAFKA_BOOTSTRAP_SERVERS', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD']) {
          expect(varOf(block!, key)?.sync, `${block!.name}: ${key}`).toBe(false);
        }
      }
    },
  );
});

// --- Both files against the deployment plan ----------------------------------------------------------

interface SeedService {
  port: number;
  name?: string;
  memoryMb?: number;
  variables: string[];
}

/** The plan's services in document order: deploy steps (name, memory, env block) and phase tables. */
function seedServices(text: string): SeedService[] {
  const found: { at: number; service: SeedService }[] = [];
  for (const m of text.matchAll(
    /^#### Step [\d.]+ - Deploy .*\(Port (\d+)\)\n([\s\S]*?)(?=^#{2,4} |^---$)/gm,
  )) {
    const body = m[2]!;
    const memory = /\| Memory \| (\d+(?:\.\d+)?) (MB|GB)/.exec(body);
    const env = /```env\n([\s\S]*?)```/.exec(body)?.[1] ?? '';
    found.push({
      at: m.index,
      service: {
        port: Number(m[1]),
        name: /\| Service \| `([^`]+)` \|/.exec(body)?.[1],
        memoryMb: memory ? Number(memory[1]) * (memory[2] === 'GB' ? 1024 : 1) : undefined,
        variables: [...env.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((v) => v[1]!),
      },
    });
  }
  for (const m of text.matchAll(/^\| \d+ \| [^|]+ \| (\d{4}) \| (\d+) (MB|GB) \|$/gm)) {
    const memoryMb = Number(m[2]) * (m[3] === 'GB' ? 1024 : 1);
    found.push({ at: m.index, service: { port: Number(m[1]), memoryMb, variables: [] } });
  }
  return found.sort((a, b) => a.at - b.at).map((f) => f.service);
}

/**
 * Variables the plan lists for a service that this codebase reads globally but that service does not
 * use; each exception is checked against the service's code, so it lapses once the service uses it.
 */
function unusedBy(slug: string, variable: string): boolean {
  if (variable.startsWith('OPENAI_')) return !/config\.ai\b|createLanguageModel/.test(serviceSource(slug));
  return false;
}

describe.skipIf(!haveSeed)(`both files against the deployment plan${seedNote}`, () => {
  const seed = haveSeed ? seedServices(readFileSync(SEED, 'utf8')) : [];
  const seedFor = (service: ServiceEntry) => seed.find((s) => s.port === service.port);

  it('knows every built service by its seed port, and its Render name as the plan gives it', () => {
    for (const service of BUILT) {
      const entry = seedFor(service);
      expect(entry, `${service.slug} (${service.port}) in the plan`).toBeDefined();
      if (entry!.name) expect(renderName(service.slug)).toBe(entry!.name);
    }
  });

  it('lists the distributed services in the plan’s deployment order', () => {
    const planOrder = seed
      .map((s) => BUILT.find((b) => b.port === s.port))
      .filter((s): s is ServiceEntry => s !== undefined)
      .map((s) => renderName(s.slug));
    expect(distributed.map((s) => s.name)).toEqual(planOrder);
  });

  it('gives each Render service at least the memory the plan asks for', () => {
    for (const service of BUILT) {
      const block = distributed.find((s) => s.name === renderName(service.slug))!;
      const wanted = seedFor(service)!.memoryMb ?? 512;
      expect(PLAN_MEMORY_MB[block.plan ?? 'free'], `${block.name}: ${wanted} MB`).toBeGreaterThanOrEqual(
        wanted,
      );
    }
  });

  it('passes each service the plan’s variables that the code reads, in both files', () => {
    for (const service of BUILT) {
      const block = distributed.find((s) => s.name === renderName(service.slug))!;
      const render = new Set([...keysOf(block), ...groupKeys(block).map((v) => v.key!)]);
      const composeEnv = envOf(service.slug);
      for (const variable of seedFor(service)!.variables) {
        if (!READ_BY_CODE.has(variable) || unusedBy(service.slug, variable)) continue;
        expect(render.has(variable), `render.yaml ${block.name}: ${variable}`).toBe(true);
        expect(variable in composeEnv, `compose ${service.slug}: ${variable}`).toBe(true);
      }
    }
  });
});

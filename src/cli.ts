#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { CATALOG, SERVICE_SLUGS, serviceBySlug, type ServiceSlug } from './catalog.js';
import { isRole } from './platform/auth/principal.js';
import { ConfigError, describeConfig, loadConfig, type DeploymentShape } from './platform/config.js';
import { migrateServices, openDatabase, startAllInOne, startServices, type Runtime } from './runtime.js';
import { SERVICE_MODULES } from './services/registry.js';

const USAGE = `Personal Health Assistant

Usage:
  pha start                      every built service in one process on PORT (default 8080)
  pha serve <service...>         each named service on its own seed port (distributed shape)
  pha serve all                  every built service, each on its seed port, plus the gateway
  pha migrate                    apply pending database migrations of every built service
  pha doctor [--services]        print the effective configuration and check configured servers
  pha set-role <email> <role>    give an account a role (patient, doctor, caregiver, admin)

Services: ${CATALOG.map((s) => `${s.slug}${s.built ? '' : ' (not built yet)'}`).join(', ')}
`;

function config(shape: DeploymentShape) {
  try {
    return loadConfig(process.env, shape);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
}

function stopOnSignals(runtime: Runtime): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    runtime.infrastructure.logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => process.exit(1), 10_000);
    timer.unref();
    await runtime.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start': {
      const runtime = await startAllInOne(config('all-in-one'));
      stopOnSignals(runtime);
      const { port } = runtime.apps[0]!;
      runtime.infrastructure.logger.info(
        { port, services: Object.keys(SERVICE_MODULES) },
        `ready on http://localhost:${port}`,
      );
      return -1;
    }
    case 'serve': {
      const requested = rest.includes('all') ? CATALOG.filter((s) => s.built).map((s) => s.slug) : rest;
      if (requested.length === 0) {
        console.error('Name at least one service, or "all".\n\n' + USAGE);
        return 2;
      }
      const unknown = requested.filter((s) => !(SERVICE_SLUGS as readonly string[]).includes(s));
      if (unknown.length > 0) {
        console.error(`Unknown service(s): ${unknown.join(', ')}. Known: ${SERVICE_SLUGS.join(', ')}`);
        return 2;
      }
      const unbuilt = requested.filter((s) => !serviceBySlug(s)?.built);
      if (unbuilt.length > 0) {
        console.error(`Not built yet: ${unbuilt.join(', ')}`);
        return 2;
      }
      const runtime = await startServices(config('distributed'), requested as ServiceSlug[]);
      stopOnSignals(runtime);
      for (const { slug, port } of runtime.apps)
        runtime.infrastructure.logger.info({ service: slug, port }, `${slug} ready`);
      return -1;
    }
    case 'migrate': {
      const cfg = config('all-in-one');
      const db = await openDatabase(cfg);
      try {
        const applied = await migrateServices(db, Object.keys(SERVICE_MODULES) as ServiceSlug[]);
        for (const [service, versions] of Object.entries(applied)) {
          console.log(
            `${service}: ${versions.length === 0 ? 'up to date' : `applied ${versions.join(', ')}`}`,
          );
        }
      } finally {
        await db.close();
      }
      return 0;
    }
    case 'doctor': {
      const { values } = parseArgs({
        args: rest,
        options: { services: { type: 'boolean', default: false } },
      });
      const cfg = config(process.env.JWT_SECRET_KEY ? 'distributed' : 'all-in-one');
      console.log(JSON.stringify(describeConfig(cfg), null, 2));
      const { runChecks } = await import('./platform/doctor.js');
      const checks = await runChecks(cfg, { services: values.services ?? false });
      if (checks.length === 0) console.log('\nNo external servers configured: everything runs embedded.');
      for (const c of checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}: ${c.detail}`);
      return checks.every((c) => c.ok) ? 0 : 1;
    }
    case 'set-role': {
      const [email, role] = rest;
      if (!email || !isRole(role)) {
        console.error('Usage: pha set-role <email> <patient|doctor|caregiver|admin>');
        return 2;
      }
      const cfg = config('all-in-one');
      const db = await openDatabase(cfg);
      try {
        await migrateServices(db, ['auth']);
        const { rowCount } = await db.query(
          'UPDATE auth.users SET role = $2, updated_at = now() WHERE email = $1',
          [email.trim().toLowerCase(), role],
        );
        if (rowCount === 0) {
          console.error(`No account with email ${email}`);
          return 1;
        }
        console.log(`${email} is now ${role}. Tokens issued before now keep the old role until they expire.`);
      } finally {
        await db.close();
      }
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`Unknown command "${command}".\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);

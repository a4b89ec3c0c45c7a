import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Static } from 'typebox';
import { v5 as uuidv5 } from 'uuid';
import { ActingTokenIssuer } from '../../platform/auth/acting.js';
import { principalOf } from '../../platform/auth/guard.js';
import { ActingClients } from '../../platform/clients/acting.js';
import { errorResponses } from '../../platform/http/schemas.js';
import type { ServiceContext } from '../../platform/service.js';
import {
  buildExportBundle,
  EXPORT_UUID_NAMESPACE,
  identityUrl,
  missingSubject,
  withOwner,
  type ExportIssue,
  type ExportItem,
} from './export.js';
import { ExportQueries } from './export-queries.js';
import type { FhirResource } from './fhir.js';
import * as S from './export-schemas.js';
import { LINK_RESPONSE_HEADERS, linkAuthenticator, linkOf, LinkSigner } from './links.js';
import { fetchLatestReadings, fetchProfile, type Caller, type Fetched, type ProfileView } from './peers.js';
import { buildSummary, type PatientSummary } from './summary.js';
import { renderSummaryHtml, SUMMARY_CSP } from './summary-html.js';
import { VITAL_CODES, vitalObservation } from './vitals.js';

/** Header naming the services whose data is missing from an export (also said in its OperationOutcome). */
export const INCOMPLETE_HEADER = 'x-export-incomplete';

const PROFILE_SOURCE = 'user-profile';
/** FHIR administrative gender for the profile's sex (R4 administrative-gender has no "intersex"). */
const GENDER: Record<string, string> = {
  female: 'female',
  male: 'male',
  intersex: 'other',
  unknown: 'unknown',
};

/** A Patient for the account holder, from the profile (or without demographics when it is unavailable). */
function accountPatient(userId: string, profile: Fetched<ProfileView>): ExportItem {
  const id = uuidv5(`account\u0000${userId}`, EXPORT_UUID_NAMESPACE);
  const resource: FhirResource = { resourceType: 'Patient', id, meta: { source: PROFILE_SOURCE } };
  if (profile.status === 'ok') {
    const p = profile.value;
    if (p.full_name) resource.name = [{ use: 'usual', text: p.full_name }];
    if (p.sex && GENDER[p.sex]) resource.gender = GENDER[p.sex]!;
    if (p.date_of_birth) resource.birthDate = p.date_of_birth;
  }
  return { source_system: PROFILE_SOURCE, source_id: id, aliases: [], resource };
}

export function registerExportRoutes(root: FastifyInstance, ctx: ServiceContext): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const queries = new ExportQueries(ctx.db);
  const tags = ['medical-records'];
  const links = new LinkSigner(ctx.secrets.secretKey);
  // A summary opened through a link has no bearer token to pass on: it reads the vitals and the profile
  // with an acting token that permits only those reads.
  const acting = new ActingClients(
    ctx.clients,
    new ActingTokenIssuer(ctx.secrets.jwtSecret),
    'medical-records',
    [
      { service: 'health-tracking', method: 'GET', route: '/api/v1/metrics/latest' },
      { service: 'user-profile', method: 'GET', route: '/api/v1/profile' },
      // user-profile makes the profile on its first read, from the account (with the token it was given).
      { service: 'auth', method: 'GET', route: '/api/v1/auth/me' },
    ],
  );
  const callerFor = (request: FastifyRequest): Caller => {
    const link = linkOf(request);
    if (!link) return ctx.clients.onBehalfOf(request);
    return (slug, options) =>
      acting.call({ userId: link.userId, role: link.role }, 'summary-link', slug, {
        ...options,
        requestId: request.id,
      });
  };

  app.get(
    '/api/v1/fhir/export',
    {
      schema: {
        tags,
        summary: 'My whole record as a FHIR R4 Bundle (collection), ready to import elsewhere',
        description:
          'Every resource imported (kept as it came, with meta.source set to its source system when it had ' +
          'none) and the Patient resources, in a Bundle of type collection with urn:uuid fullUrls. References ' +
          'between them point to those fullUrls; references to resources this service does not keep ' +
          '(Practitioner, Organization...) keep their type, display and identifier without a link. With no ' +
          'imported Patient, one is made from the account profile. vitals=latest adds the latest reading of ' +
          'each vital sign from health-tracking as a vital-signs Observation (LOINC, UCUM). If health-tracking ' +
          'or user-profile does not answer, the export is still given: an OperationOutcome entry says what is ' +
          `missing, and so does the ${INCOMPLETE_HEADER} header.`,
        querystring: S.ExportQuery,
        response: { 200: S.FhirBundle, ...errorResponses(400, 401) },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      const call = callerFor(request);
      const [patients, records] = await Promise.all([queries.patients(userId), queries.records(userId)]);
      const issues: ExportIssue[] = [];
      const incomplete: string[] = [];

      const readings =
        (request.query.vitals ?? 'latest') === 'latest' ? await fetchLatestReadings(call) : null;
      if (readings?.status === 'unavailable') {
        incomplete.push('health-tracking');
        issues.push({
          severity: 'warning',
          code: 'transient',
          diagnostics: `Vital signs from health-tracking are not included: ${readings.reason}.`,
        });
      }
      const latest = readings?.status === 'ok' ? readings.value : [];

      const patientItems: ExportItem[] = patients.map((p) => ({
        source_system: p.source_system,
        source_id: p.source_id,
        aliases: p.aliases,
        resource: p.resource,
      }));
      // Readings, and resources uploaded without the patient R4 requires, are the account holder's: with
      // one imported Patient that is them; with none or several, a Patient is made from the profile.
      const orphans = records.filter((r) => missingSubject(r.resource) !== null).length;
      const needsAccountPatient =
        patients.length === 0 ||
        (patients.length > 1 && (orphans > 0 || latest.some((r) => VITAL_CODES[r.metric_type])));
      if (needsAccountPatient) {
        const profile = await fetchProfile(call);
        if (profile.status === 'unavailable') {
          incomplete.push('user-profile');
          issues.push({
            severity: 'warning',
            code: 'transient',
            diagnostics: `The account Patient carries no demographics: user-profile did not answer (${profile.reason}).`,
          });
        }
        patientItems.push(accountPatient(userId, profile));
      }
      const owner = identityUrl(patientItems.at(-1)!);
      if (orphans > 0) {
        issues.push({
          severity: 'information',
          code: 'informational',
          diagnostics:
            `${orphans} resource(s) were imported without the patient FHIR R4 requires them to name; the export ` +
            "names the record owner's Patient.",
        });
      }
      const vitalItems: ExportItem[] = latest.flatMap((reading) => {
        const observation = vitalObservation(reading, owner);
        return observation
          ? [
              {
                source_system: 'health-tracking',
                source_id: String(observation.id),
                aliases: [],
                resource: observation,
              },
            ]
          : [];
      });

      const { bundle } = buildExportBundle(
        [
          ...patientItems,
          ...records.map((r) => ({
            source_system: r.source_system,
            source_id: r.source_id,
            aliases: [],
            resource: withOwner(r.resource, owner),
            display: r.display,
          })),
          ...vitalItems,
        ],
        { id: randomUUID(), timestamp: new Date(), issues },
      );
      if (incomplete.length) reply.header(INCOMPLETE_HEADER, incomplete.join(', '));
      const day = new Date().toISOString().slice(0, 10);
      reply
        .header('content-type', 'application/fhir+json; charset=utf-8')
        .header('content-disposition', `attachment; filename="health-record-${day}.fhir.json"`)
        .header('cache-control', 'no-store');
      // Plain JSON.stringify: the resources are free-form FHIR JSON, kept exactly, not a fixed shape.
      return reply
        .serializer((payload) => JSON.stringify(payload))
        .send(bundle as unknown as Static<typeof S.FhirBundle>);
    },
  );

  async function summaryFor(request: FastifyRequest, labs: number): Promise<PatientSummary> {
    const userId = principalOf(request).userId;
    const call = callerFor(request);
    const [patients, clinical, latestLabs, recordCounts, readings] = await Promise.all([
      queries.patients(userId),
      queries.records(userId, ['condition', 'medication', 'allergy']),
      queries.latestLabs(userId, labs),
      queries.countsBySource(userId),
      fetchLatestReadings(call),
    ]);
    const profile = patients.length === 1 ? null : await fetchProfile(call);
    return buildSummary({
      now: new Date(),
      patients,
      conditions: clinical.filter((r) => r.record_type === 'condition'),
      medications: clinical.filter((r) => r.record_type === 'medication'),
      allergies: clinical.filter((r) => r.record_type === 'allergy'),
      labs: latestLabs,
      recordCounts,
      readings,
      profile,
    });
  }

  app.get(
    '/api/v1/summary',
    {
      schema: {
        tags,
        summary:
          'My patient summary: active problems, current medications, allergies, recent labs, latest vitals',
        description:
          'Problems are Conditions whose clinicalStatus is active, recurrence or relapse (or absent with no ' +
          'abatement), never refuted or entered-in-error ones; medications are active or on-hold requests and ' +
          'statements, never stopped, completed, cancelled or doNotPerform ones; allergies are those not ' +
          'inactive, resolved, refuted or entered in error. Labs: the latest valid result of each analyte with ' +
          'the flags computed here. Vitals come from health-tracking; when it does not answer, vitals.status is ' +
          '"unavailable" and the rest is still given. See also GET /api/v1/summary.html.',
        querystring: S.SummaryQuery,
        response: { 200: S.PatientSummary, ...errorResponses(400, 401) },
      },
    },
    async (request) => summaryFor(request, request.query.labs ?? 20),
  );

  app.post(
    '/api/v1/summary/link',
    {
      schema: {
        tags,
        summary: 'A short-lived link that opens my printable summary without the bearer token',
        description:
          "The link (GET /api/v1/summary.html?link=...) works for this account's summary only, for 5 minutes " +
          'at most (never beyond the access token that asked for it), and stops at once when that sign-in ' +
          'ends (logout, account deletion). Open it in a new browser tab to read or print the summary.',
        response: { 200: S.SignedLink, ...errorResponses(401) },
      },
    },
    async (request) => {
      const { token, expiresAt } = links.sign('summary', principalOf(request));
      return {
        url: `/medical-records/api/v1/summary.html?link=${token}`,
        expires_at: expiresAt.toISOString(),
      };
    },
  );

  app.get(
    '/api/v1/summary.html',
    {
      config: { signedLink: linkAuthenticator(links, ctx.revocations, 'summary') },
      schema: {
        tags,
        summary: 'My patient summary as one printable HTML page, to hand to a doctor',
        description:
          'Self-contained (inline CSS, no scripts or external assets), with a print stylesheet; the same ' +
          'content as GET /api/v1/summary, long lists cut with a count of what is left out. Takes the bearer ' +
          'token or a link from POST /api/v1/summary/link (?link=); a link that has expired, was altered, is ' +
          "another resource's or whose sign-in ended answers 401 (link_expired, link_invalid, " +
          "link_other_resource, session_revoked), as does a link sent with another account's token " +
          '(link_other_user).',
        querystring: S.SummaryQuery,
        produces: ['text/html'],
        response: {
          200: { type: 'string', description: 'text/html page' },
          ...errorResponses(400, 401),
        },
      },
    },
    async (request, reply) => {
      const summary = await summaryFor(request, request.query.labs ?? 15);
      if (linkOf(request)) reply.headers(LINK_RESPONSE_HEADERS);
      return reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', SUMMARY_CSP)
        .header('cache-control', 'no-store')
        .send(renderSummaryHtml(summary));
    },
  );
}

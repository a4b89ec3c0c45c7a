/**
 * Body measurement units. Exact definitions from the International Yard and Pound Agreement (1959):
 * 1 in = 2.54 cm, 1 lb = 0.45359237 kg; 1 ft = 12 in; 1 st = 14 lb.
 */
export const LENGTH_UNITS = ['cm', 'm', 'in', 'ft'] as const;
export const MASS_UNITS = ['kg', 'g', 'lb', 'st'] as const;
export type LengthUnit = (typeof LENGTH_UNITS)[number];
export type MassUnit = (typeof MASS_UNITS)[number];

const CM_PER: Record<LengthUnit, number> = { cm: 1, m: 100, in: 2.54, ft: 30.48 };
const KG_PER: Record<MassUnit, number> = { kg: 1, g: 0.001, lb: 0.45359237, st: 6.35029318 };

export const toCentimetres = (value: number, unit: LengthUnit) => value * CM_PER[unit];
export const fromCentimetres = (cm: number, unit: LengthUnit) => cm / CM_PER[unit];
export const toKilograms = (value: number, unit: MassUnit) => value * KG_PER[unit];
export const fromKilograms = (kg: number, unit: MassUnit) => kg / KG_PER[unit];

/** Plausible adult and child body sizes; outside them a value is almost surely a unit mistake. */
export const HEIGHT_RANGE_CM = { min: 30, max: 275 };
export const WEIGHT_RANGE_KG = { min: 0.5, max: 650 };

export const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

import ucumLib from '@lhncbc/ucum-lhc';
import type { MetricDef, UnitDef } from './catalog.js';

/**
 * Unit conversion through the UCUM library of the U.S. National Library of Medicine (@lhncbc/ucum-lhc),
 * which implements the Unified Code for Units of Measure (ucum.org). Every unit this service accepts is
 * converted by it; the results are kept as `canonical = scale * value + offset` (exact for UCUM's linear
 * and affine units, checked at a third point) so that batches of thousands of values convert fast.
 */
const ucum = ucumLib.UcumLhcUtils.getInstance();

export interface Linear {
  scale: number;
  offset: number;
}

function ucumConvert(from: string, value: number, to: string, molarMass?: number): number {
  const result = ucum.convertUnitTo(from, value, to, molarMass ? { molecularWeight: molarMass } : {});
  if (result.status !== 'succeeded' || result.toVal === null || !Number.isFinite(result.toVal)) {
    throw new Error(`UCUM cannot convert ${from} to ${to}: ${result.msg.join('; ')}`);
  }
  return result.toVal;
}

const cache = new Map<string, Linear>();

/** The conversion from one UCUM unit to another, as scale and offset, from the UCUM library. */
export function conversion(from: string, to: string, molarMass?: number): Linear {
  const key = `${from}\u0000${to}\u0000${molarMass ?? ''}`;
  const known = cache.get(key);
  if (known) return known;
  const offset = ucumConvert(from, 0, to, molarMass);
  const scale = ucumConvert(from, 1, to, molarMass) - offset;
  const probe = ucumConvert(from, 100, to, molarMass);
  if (Math.abs(probe - (offset + 100 * scale)) > 1e-9 * Math.max(1, Math.abs(probe))) {
    throw new Error(`The conversion from ${from} to ${to} is not affine`);
  }
  const linear = { scale, offset };
  cache.set(key, linear);
  return linear;
}

export const applyLinear = (l: Linear, value: number) => l.scale * value + l.offset;
export const invertLinear = (l: Linear, value: number) => (value - l.offset) / l.scale;

/** Rounds away binary noise (0.1 * 3 = 0.30000000000000004) while keeping every meaningful digit. */
export function tidy(value: number, significant = 12): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  // A whole number of at most `significant` digits has no noise to round away (most device samples).
  if (Number.isInteger(value) && Math.abs(value) < 10 ** significant) return value;
  return Number(value.toPrecision(significant));
}

/** A value stored as float4 (series storage), shown with the 7 significant digits it has. */
export function fromFloat4(value: number): number {
  return Number(Math.fround(value).toPrecision(7));
}

export interface ResolvedUnit {
  /** The name as sent. */
  name: string;
  ucum: string;
  toCanonical: Linear;
}

const resolved = new Map<MetricDef, Map<string, ResolvedUnit | undefined>>();

/** Resolves a unit name (plain name or UCUM code) for a metric; undefined when the metric does not accept it. */
export function resolveUnit(def: MetricDef, name: string): Readonly<ResolvedUnit> | undefined {
  // Remembered per metric and name (batches repeat the same few): the answer never changes.
  let byName = resolved.get(def);
  if (!byName) {
    byName = new Map();
    resolved.set(def, byName);
  }
  if (byName.has(name)) return byName.get(name);
  const unit: UnitDef | undefined = def.units.find((u) => u.names.includes(name) || u.ucum === name);
  const answer = unit
    ? { name, ucum: unit.ucum, toCanonical: conversion(unit.ucum, def.canonical, def.molarMass?.value) }
    : undefined;
  // Unknown names come from clients: remember only a bounded number of them.
  if (answer || byName.size < 1000) byName.set(name, answer);
  return answer;
}

/** Every name a metric accepts, for error messages and the catalogue. */
export function acceptedUnitNames(def: MetricDef): string[] {
  return [...new Set(def.units.flatMap((u) => [...u.names, u.ucum]))];
}

/** Converts a canonical value of `def` into `unitName` (for showing goals in the unit they were set in). */
export function fromCanonical(def: MetricDef, unitName: string, canonical: number): number {
  const unit = resolveUnit(def, unitName);
  if (!unit) throw new Error(`${unitName} is not a unit of ${def.type}`);
  return tidy(invertLinear(unit.toCanonical, canonical), 10);
}

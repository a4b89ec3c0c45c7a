import { describe, expect, it } from 'vitest';
import { foodTable } from './foods.js';
import { matchFood, searchFoods } from './matcher.js';
import { itemsFromDescription } from './meals.js';
import { parseDescription, parsePart } from './parser.js';
import { dailyTargets, mifflinStJeor } from './targets.js';

const table = foodTable();

describe('parser', () => {
  it('splits on and, with and commas', () => {
    expect(parseDescription('Oatmeal with berries').map((p) => p.food)).toEqual(['oatmeal', 'berries']);
    expect(parseDescription('2 eggs and toast, coffee').map((p) => p.food)).toEqual([
      'eggs',
      'toast',
      'coffee',
    ]);
  });
  it('reads numbers, words, fractions and units', () => {
    expect(parsePart('200 g chicken breast')).toMatchObject({
      quantity: 200,
      unit: 'g',
      food: 'chicken breast',
    });
    expect(parsePart('200g chicken breast')).toMatchObject({ quantity: 200, unit: 'g' });
    expect(parsePart('two large eggs')).toMatchObject({
      quantity: 2,
      unit: null,
      size: 'large',
      food: 'eggs',
    });
    expect(parsePart('1 1/2 cups of milk')).toMatchObject({ quantity: 1.5, unit: 'cup', food: 'milk' });
    expect(parsePart('½ cup blueberries')).toMatchObject({ quantity: 0.5, unit: 'cup' });
    expect(parsePart('half a cup rice')).toMatchObject({ quantity: 0.5, unit: 'cup', food: 'rice' });
    expect(parsePart('3 tbsp olive oil')).toMatchObject({ quantity: 3, unit: 'tbsp', food: 'olive oil' });
    expect(parsePart('1 lb salmon')).toMatchObject({ quantity: 1, unit: 'lb' });
    expect(parsePart('toast')).toMatchObject({ quantity: null, unit: null, food: 'toast' });
  });
});

describe('matcher', () => {
  it('prefers the common form of a food', () => {
    expect(matchFood(table, 'eggs')?.food.description).toBe('Egg, whole, raw, fresh');
    const chicken = matchFood(table, 'chicken breast')!.food.description;
    expect(chicken).toMatch(/^Chicken, broilers? or fryers, breast/);
    expect(chicken).not.toMatch(/breaded|skin,/);
    expect(matchFood(table, 'banana')?.food.description).toBe('Bananas, raw');
  });
  it('reports aliases and finds nothing for foods the table lacks', () => {
    expect(matchFood(table, 'oatmeal')).toMatchObject({ interpreted_as: 'oats' });
    expect(matchFood(table, 'toast')).toBeNull();
    expect(matchFood(table, 'xyzzy')).toBeNull();
  });
  it('searches', () => {
    expect(searchFoods(table, 'blueberries raw', 3)[0]?.food.ndb_no).toBe('09050');
  });
});

describe('meal items', () => {
  it('computes portions from household weights', () => {
    const [eggs, toast] = itemsFromDescription(table, '2 eggs and toast');
    expect(eggs).toMatchObject({ status: 'matched', ndb_no: '01123', grams: 100 });
    expect(toast).toMatchObject({ status: 'unmatched', ndb_no: null, grams: null });
    const [chicken] = itemsFromDescription(table, '200 g chicken breast');
    expect(chicken).toMatchObject({ status: 'matched', grams: 200, portion: { source: 'weight' } });
    const [oats, berries] = itemsFromDescription(table, 'Oatmeal with berries');
    expect(oats).toMatchObject({ grams: 40, portion: { source: 'assumed_serving' } });
    expect(berries).toMatchObject({ ndb_no: '09050', grams: 74 });
    const [cup] = itemsFromDescription(table, '1 cup blueberries');
    expect(cup).toMatchObject({ grams: 148, portion: { source: 'household' } });
  });
  it('asks for an amount it cannot know', () => {
    const [chicken] = itemsFromDescription(table, 'chicken breast');
    expect(chicken).toMatchObject({ status: 'needs_portion', grams: null });
    expect(chicken!.problem).toMatch(/weight/);
  });
});

describe('targets', () => {
  it('follows Mifflin-St Jeor', () => {
    // 70 kg, 175 cm, 30 y man: 700 + 1093.75 - 150 + 5
    expect(mifflinStJeor(70, 175, 30, 'male')).toBeCloseTo(1648.75, 2);
    expect(mifflinStJeor(60, 165, 40, 'female')).toBeCloseTo(600 + 1031.25 - 200 - 161, 2);
  });
  it('derives energy and macro ranges, or nothing without the inputs', () => {
    const t = dailyTargets({ weight_kg: 70, height_cm: 175, age: 30, sex: 'male' }, 'moderate')!;
    expect(t.energy.value).toBe(Math.round(1648.75 * 1.55));
    expect(t.carbohydrate.min).toBe(Math.round((1648.75 * 1.55 * 0.45) / 4));
    expect(t.sodium.max).toBe(2300);
    expect(dailyTargets({ weight_kg: null, height_cm: 175, age: 30, sex: 'male' }, 'light')).toBeNull();
  });
});

CREATE SCHEMA IF NOT EXISTS nutrition;

CREATE TABLE nutrition.meals (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL,
  name text NOT NULL,
  description text NOT NULL,
  meal_type text CHECK (meal_type IN ('breakfast', 'lunch', 'dinner', 'snack')),
  eaten_at timestamptz NOT NULL,
  -- The parsed items (food NDB number and grams); nutrients are computed from the USDA table on read.
  items jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX meals_by_user_time ON nutrition.meals (user_id, eaten_at DESC, id DESC);

CREATE TABLE nutrition.water_logs (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL,
  amount_ml numeric(8, 1) NOT NULL CHECK (amount_ml > 0),
  logged_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX water_by_user_time ON nutrition.water_logs (user_id, logged_at DESC);

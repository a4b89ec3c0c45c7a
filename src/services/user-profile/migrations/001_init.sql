CREATE SCHEMA IF NOT EXISTS user_profile;

CREATE TABLE user_profile.profiles (
  user_id uuid PRIMARY KEY,
  email text NOT NULL,
  full_name text NOT NULL,
  date_of_birth date,
  sex text CHECK (sex IN ('female', 'male', 'intersex', 'unknown')),
  -- Canonical units; the unit a person entered is kept for display.
  height_cm numeric(6, 2),
  height_unit text CHECK (height_unit IN ('cm', 'm', 'in', 'ft')),
  weight_kg numeric(7, 3),
  weight_unit text CHECK (weight_unit IN ('kg', 'g', 'lb', 'st')),
  preferences jsonb NOT NULL DEFAULT '{}'::jsonb,
  privacy jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

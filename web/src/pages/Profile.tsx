import { useEffect, useState } from 'react';
import {
  api,
  ApiError,
  PROFILE,
  type LengthUnit,
  type MassUnit,
  type Profile as ProfileData,
  type Sex,
} from '../api';
import {
  asApiError,
  ErrorSummary,
  MeasureField,
  onSubmit,
  SelectField,
  Status,
  TextField,
} from '../components/Form';
import { Page } from '../components/Page';
import { LENGTH_UNITS, MASS_UNITS, SEXES } from '../labels';
import { useSession } from '../session';

interface Draft {
  full_name: string;
  date_of_birth: string;
  sex: string;
  height: string;
  height_unit: LengthUnit;
  weight: string;
  weight_unit: MassUnit;
}

function draftOf(profile: ProfileData): Draft {
  const imperial = profile.preferences.unit_system === 'imperial';
  return {
    full_name: profile.full_name,
    date_of_birth: profile.date_of_birth ?? '',
    sex: profile.sex ?? '',
    height: profile.height ? String(profile.height.value) : '',
    height_unit: profile.height?.unit ?? (imperial ? 'in' : 'cm'),
    weight: profile.weight ? String(profile.weight.value) : '',
    weight_unit: profile.weight?.unit ?? (imperial ? 'lb' : 'kg'),
  };
}

function measure<U extends string>(value: string, unit: U): { value: number; unit: U } | null | 'invalid' {
  if (value.trim() === '') return null;
  const number = Number(value);
  return Number.isFinite(number) ? { value: number, unit } : 'invalid';
}

const oneDecimal = (value: number) => (Math.round(value * 10) / 10).toFixed(1);

const FIELDS = {
  full_name: 'Name',
  date_of_birth: 'Date of birth',
  sex: 'Sex',
  height: 'Height',
  weight: 'Weight',
};

export function Profile() {
  const { state, setUser } = useSession();
  const [profile, setProfile] = useState<ProfileData | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loadError, setLoadError] = useState('');
  const [saved, setSaved] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    api<ProfileData>('GET', PROFILE).then(
      (p) => {
        if (!live) return;
        setProfile(p);
        setDraft(draftOf(p));
      },
      (err: unknown) => live && setLoadError(asApiError(err).message),
    );
    return () => {
      live = false;
    };
  }, []);

  const change = (patch: Partial<Draft>) => {
    setDraft((d) => (d ? { ...d, ...patch } : d));
    setSaved('');
  };

  const submit = onSubmit(async () => {
    if (!draft) return;
    setError(null);
    setSaved('');
    const height = measure(draft.height, draft.height_unit);
    const weight = measure(draft.weight, draft.weight_unit);
    if (height === 'invalid' || weight === 'invalid') {
      const field = height === 'invalid' ? 'height' : 'weight';
      setError(
        new ApiError(400, 'invalid_number', `Enter the ${field} as a number, such as 70 or 70.5`, { field }),
      );
      return;
    }
    setBusy(true);
    try {
      const updated = await api<ProfileData>('PUT', PROFILE, {
        body: {
          full_name: draft.full_name.trim(),
          date_of_birth: draft.date_of_birth || null,
          sex: (draft.sex || null) as Sex | null,
          height,
          weight,
        },
      });
      setProfile(updated);
      setDraft(draftOf(updated));
      setSaved(`Saved. Your profile is ${updated.completion.percent}% complete.`);
      if (state.status === 'signed-in' && state.user.full_name !== updated.full_name) {
        setUser({ ...state.user, full_name: updated.full_name });
      }
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  });

  return (
    <Page
      title="Your profile"
      intro="Age, sex, height and weight let the platform use the right reference ranges for you. Everything here is optional, and only you can see it unless you share it."
    >
      {loadError ? <p role="alert">{loadError}</p> : null}
      {!draft || !profile ? (
        !loadError ? (
          <p>Loading your profile…</p>
        ) : null
      ) : (
        <form className="form card" noValidate onSubmit={submit} aria-busy={busy}>
          <ErrorSummary form="profile" error={error} fields={FIELDS} />
          <TextField
            form="profile"
            name="full_name"
            label="Name"
            autoComplete="name"
            required
            maxLength={200}
            value={draft.full_name}
            onChange={(e) => change({ full_name: e.target.value })}
            error={error?.fieldError('full_name')}
          />
          <div className="field">
            <p className="label">Email</p>
            <p className="hint">The address you sign in with.</p>
            <p className="static-value">{profile.email}</p>
          </div>
          <TextField
            form="profile"
            name="date_of_birth"
            label="Date of birth"
            type="date"
            autoComplete="bday"
            hint={profile.age !== null ? `You are ${profile.age}.` : undefined}
            value={draft.date_of_birth}
            onChange={(e) => change({ date_of_birth: e.target.value })}
            error={error?.fieldError('date_of_birth')}
          />
          <SelectField
            form="profile"
            name="sex"
            label="Sex"
            hint="Sex recorded at birth, used for reference ranges."
            value={draft.sex}
            onChange={(e) => change({ sex: e.target.value })}
            error={error?.fieldError('sex')}
          >
            <option value="">Not given</option>
            {SEXES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </SelectField>
          <MeasureField
            form="profile"
            name="height"
            label="Height"
            hint={
              profile.height
                ? `Stored as ${oneDecimal(profile.height.value_cm)} cm.`
                : 'Leave empty if you prefer not to say.'
            }
            value={draft.height}
            unit={draft.height_unit}
            units={LENGTH_UNITS}
            onValue={(height) => change({ height })}
            onUnit={(unit) => change({ height_unit: unit as LengthUnit })}
            error={error?.fieldError('height')}
          />
          <MeasureField
            form="profile"
            name="weight"
            label="Weight"
            hint={
              profile.weight
                ? `Stored as ${oneDecimal(profile.weight.value_kg)} kg.`
                : 'Leave empty if you prefer not to say.'
            }
            value={draft.weight}
            unit={draft.weight_unit}
            units={MASS_UNITS}
            onValue={(weight) => change({ weight })}
            onUnit={(unit) => change({ weight_unit: unit as MassUnit })}
            error={error?.fieldError('weight')}
          />
          <div className="actions">
            <button type="submit" className="button" disabled={busy}>
              {busy ? 'Saving…' : 'Save profile'}
            </button>
          </div>
          <Status>{saved}</Status>
        </form>
      )}
    </Page>
  );
}

// A labelled choice of timer duration (or off), used by the composer and the settings screen.
import { useId } from 'react';
import type { TimerChoice } from '../lib/format';

export interface TimerSelectProps {
  label: string;
  choices: TimerChoice[];
  value: number | null;
  onChange: (ms: number | null) => void;
  disabled?: boolean;
}

export function TimerSelect({ label, choices, value, onChange, disabled = false }: TimerSelectProps) {
  const id = useId();
  const known = choices.some((c) => c.ms === value);
  return (
    <span className="timer-select">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        disabled={disabled}
        value={value === null ? 'off' : String(value)}
        onChange={(e) => onChange(e.target.value === 'off' ? null : Number(e.target.value))}
      >
        {!known && value !== null && <option value={String(value)}>{`${value / 1000} s`}</option>}
        {choices.map((c) => (
          <option key={c.label} value={c.ms === null ? 'off' : String(c.ms)}>
            {c.label}
          </option>
        ))}
      </select>
    </span>
  );
}

// A typed error shown to a person: what went wrong and, when known, what to do about it.
export interface ErrorNoteProps {
  error: { message: string; recovery?: string | undefined } | null;
}

export function ErrorNote({ error }: ErrorNoteProps) {
  if (error === null) return null;
  return (
    <div className="error-note" role="alert">
      <p>{error.message}</p>
      {error.recovery !== undefined && <p className="recovery">{error.recovery}</p>}
    </div>
  );
}

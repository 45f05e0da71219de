// Where a backup goes or comes from: the native file dialog in the app ("Choose…"), or in the browser
// harness, which has no dialogs, a field for the full path (the service checks it is absolute).
export interface BackupPathFieldProps {
  /** `dialog` in the desktop app; `field` where the path is typed (the browser harness). */
  mode: 'dialog' | 'field';
  label: string;
  path: string;
  disabled: boolean;
  onPathChange: (path: string) => void;
  onChoose: () => void;
}

export function BackupPathField({
  mode,
  label,
  path,
  disabled,
  onPathChange,
  onChoose,
}: BackupPathFieldProps) {
  if (mode === 'field') {
    return (
      <label>
        {label}
        <input
          value={path}
          disabled={disabled}
          onChange={(e) => onPathChange(e.target.value)}
          placeholder="/home/you/wisp.wisp-backup"
          autoComplete="off"
          spellCheck={false}
        />
      </label>
    );
  }
  return (
    <div className="backup-path" role="group" aria-label={label}>
      <span className="backup-path-label">{label}</span>
      <span className="backup-path-value" title={path}>
        {path === '' ? 'No file chosen' : path}
      </span>
      <button type="button" className="secondary" disabled={disabled} onClick={onChoose}>
        Choose…
      </button>
    </div>
  );
}

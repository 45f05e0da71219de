// Encrypted backups (PRODUCT.md "Encrypted backups", docs/BACKUP.md): a profile as one age file.
export {
  exportBackup,
  backupRecords,
  type ExportOptions,
  type ExportProtection,
  type ExportResult,
} from './exportBackup';
export { importBackup, checkImportTarget, type ImportOptions, type ImportResult } from './importBackup';
export type { BackupProgress } from './progress';
export { backupTables, excludedTables, isInternalTable, EXPORT_DEADLINE_MARGIN_MS } from './backupTables';
export { parseIdentityFile, type Identity } from './age';

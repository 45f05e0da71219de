// Profile folders: create, open, rekey.
export {
  createProfile,
  openProfile,
  DATABASE_FILE,
  ATTACHMENTS_DIR,
  type Profile,
  type ProfileKeyStoreOption,
  type ProfileOptions,
} from './profile';
export { METADATA_FILE, readMetadata, type ProfileMetadata } from './profileMetadata';
export { LOCK_FILE } from './profileLock';

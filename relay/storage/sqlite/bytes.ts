// Byte helpers the SQLite backend's parts share: better-sqlite3 binds Buffers, not Uint8Arrays.
export const buf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

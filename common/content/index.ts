// End-to-end content schemas and their padded encoding.
export * from './schemas';
export * from './codec';

// libsignal store implementations on the profile database.
export * from './signalStores';

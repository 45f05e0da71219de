// Pure types shared by the engine and its callers: view models and the event stream.
export * from './views';
export * from './events';

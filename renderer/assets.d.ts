// Module types for files Vite bundles (styles); the page never imports anything else non-TS.
declare module '*.css';

// The content types the wisp:// handler and the harness serve (a page served as bytes downloads).
import { describe, expect, it } from 'vitest';
import { contentTypeOf } from '../../../main/contentTypes';

describe('contentTypeOf', () => {
  it('serves the page, scripts and styles under their web types, by file name or path', () => {
    expect(contentTypeOf('index.html')).toBe('text/html; charset=utf-8');
    expect(contentTypeOf('/__harness/bridge.js')).toBe('text/javascript; charset=utf-8');
    expect(contentTypeOf('/srv/dist-web/assets/index-x.css')).toBe('text/css; charset=utf-8');
  });

  it('serves unknown and extension-less files as opaque bytes', () => {
    expect(contentTypeOf('/srv/dist-web/notes.txt')).toBe('application/octet-stream');
    expect(contentTypeOf('.html')).toBe('application/octet-stream');
  });
});

// A preview's type comes from the decrypted bytes alone: what the sender claims never decides, and
// anything that could carry script (SVG, HTML) or that Chromium would not play is not a preview.
import { describe, expect, it } from 'vitest';
import { sniffPreviewMime } from '../../../core/services/mimeSniff';
import { gradientPng } from '../../helpers/ui/imageFixture';

const bytes = (...parts: (string | number[])[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));
const box = (brand: string) => bytes([0, 0, 0, 0x18], 'ftyp', brand, [0, 0, 0, 0], 'isommp42');

describe('sniffPreviewMime', () => {
  it('recognises PNG, JPEG, GIF, WebP, MP4 and WebM by their magic bytes', () => {
    expect(sniffPreviewMime(gradientPng(4, 4))).toBe('image/png');
    expect(sniffPreviewMime(bytes([0xff, 0xd8, 0xff, 0xe0, 0, 0x10], 'JFIF'))).toBe('image/jpeg');
    expect(sniffPreviewMime(bytes('GIF89a', [1, 0, 1, 0]))).toBe('image/gif');
    expect(sniffPreviewMime(bytes('GIF87a', [1, 0, 1, 0]))).toBe('image/gif');
    expect(sniffPreviewMime(bytes('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 '))).toBe('image/webp');
    expect(sniffPreviewMime(box('isom'))).toBe('video/mp4');
    expect(sniffPreviewMime(box('mp42'))).toBe('video/mp4');
    expect(sniffPreviewMime(bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x82, 0x84], 'webm'))).toBe(
      'video/webm',
    );
  });

  it('refuses SVG, HTML, PDF, text and empty files whatever they are called', () => {
    expect(sniffPreviewMime(bytes('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'))).toBeNull();
    expect(sniffPreviewMime(bytes('<!doctype html><script>alert(1)</script>'))).toBeNull();
    expect(sniffPreviewMime(bytes('%PDF-1.7\n'))).toBeNull();
    expect(sniffPreviewMime(bytes('hello'))).toBeNull();
    expect(sniffPreviewMime(new Uint8Array(0))).toBeNull();
    // A truncated signature is not the format.
    expect(sniffPreviewMime(bytes([0x89, 0x50, 0x4e, 0x47]))).toBeNull();
  });

  it('refuses ISO media that is not a video Chromium plays (QuickTime, HEIC and AVIF stills) and Matroska', () => {
    expect(sniffPreviewMime(box('qt  '))).toBeNull();
    expect(sniffPreviewMime(box('heic'))).toBeNull();
    expect(sniffPreviewMime(box('avif'))).toBeNull();
    expect(sniffPreviewMime(bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x82, 0x88], 'matroska'))).toBeNull();
  });
});

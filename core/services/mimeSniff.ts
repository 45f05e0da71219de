// The media type of an attachment read from its first bytes, never from the sender's claim: only
// what a preview may show (common/ipc/attachments PREVIEW_MIME_TYPES) is recognised; anything else,
// SVG and HTML included, is null and is offered for saving only.
import type { PreviewMime } from '../../common/ipc';

const startsWith = (bytes: Uint8Array, prefix: readonly number[], at = 0): boolean =>
  bytes.length >= at + prefix.length && prefix.every((b, i) => bytes[at + i] === b);

const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

/** ISO base media brands Chromium plays as video/mp4 (not QuickTime `qt  `, not HEIF/AVIF stills). */
const MP4_BRANDS = new Set([
  'isom',
  'iso2',
  'iso3',
  'iso4',
  'iso5',
  'iso6',
  'mp41',
  'mp42',
  'avc1',
  'M4V ',
  'dash',
  'mmp4',
]);

export function sniffPreviewMime(bytes: Uint8Array): PreviewMime | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return 'image/gif';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'image/webp';
  if (startsWith(bytes, ascii('ftyp'), 4)) {
    const brand = String.fromCharCode(...bytes.subarray(8, 12));
    return MP4_BRANDS.has(brand) ? 'video/mp4' : null;
  }
  if (startsWith(bytes, [0x1a, 0x45, 0xdf, 0xa3])) {
    // EBML: Matroska or WebM; only WebM's DocType is a preview (it sits in the first few dozen bytes).
    const head = String.fromCharCode(...bytes.subarray(0, 64));
    return head.includes('webm') ? 'video/webm' : null;
  }
  return null;
}

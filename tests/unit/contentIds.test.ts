// Content ids: valid UUIDs that the content schema accepts, and ordered by creation even within
// one millisecond, so each new message id lands at the end of the messages id index.
import { describe, expect, it } from 'vitest';
import { newContentId } from '../../core/engine/ids';
import { decodeContent, encodeContent, type TextContent } from '../../common/content';

describe('content ids', () => {
  it('are version 7 UUIDs that sort in the order they were made, even many per millisecond', () => {
    const ids = Array.from({ length: 5000 }, () => newContentId());
    const v7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    for (const id of ids) expect(id).toMatch(v7);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('carry the time they were made in their first 48 bits', () => {
    const before = Date.now();
    const id = newContentId();
    const after = Date.now();
    const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after);
  });

  it('are accepted by the end-to-end content schema', () => {
    const id = newContentId();
    const content: TextContent = {
      ...{ v: 1, type: 'text', id, sentAt: Date.now(), roomId: null, text: 'hi' },
      ...{ attachments: [], expireAfterMs: null, burnAfterMs: null },
    };
    const decoded = decodeContent(encodeContent(content));
    expect(decoded.id).toBe(id);
  });
});

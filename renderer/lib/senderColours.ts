// Room senders get a colour each, as in Signal: chosen stably from the sender's account id (never
// the name, which a peer may claim), from a small palette whose every entry keeps text contrast of
// at least 4.5:1 (WCAG AA) on the incoming bubble in each theme (tested); within one room two
// members never share a colour while there are colours left (assignSenderColours).

export interface SenderColour {
  /** For the dark theme (on --raised #1f232c). */
  readonly dark: string;
  /** For the light theme (on --raised #eef0f4). */
  readonly light: string;
}

/** The incoming bubble's background (--raised in styles.css) the palette is measured against. */
export const INCOMING_BUBBLE = { dark: '#1f232c', light: '#eef0f4' } as const;

export const SENDER_COLOURS: readonly SenderColour[] = [
  { dark: '#ff8a80', light: '#b3261e' },
  { dark: '#ffb74d', light: '#9a4a00' },
  { dark: '#e6c84f', light: '#7a6200' },
  { dark: '#7bd88f', light: '#1b7335' },
  { dark: '#4fd1c5', light: '#006b68' },
  { dark: '#7ab8ff', light: '#1f5fbf' },
  { dark: '#b39dff', light: '#6a3fc4' },
  { dark: '#f48fd0', light: '#a8246f' },
];

/** FNV-1a over the id's UTF-16 units: the same account gets the same colour on every device. */
export function senderColourIndex(accountId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < accountId.length; i++) {
    hash ^= accountId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % SENDER_COLOURS.length;
}

export function senderColour(accountId: string, index = senderColourIndex(accountId)): SenderColour {
  return SENDER_COLOURS[index % SENDER_COLOURS.length]!;
}

/**
 * Colours for the members of one room, distinct while the room has no more members than colours:
 * each member keeps the colour its id picks unless another member holds it; the members that
 * collide (taken in id order) move to the next free colour. The same members give the same result
 * on every render and device.
 */
export function assignSenderColours(accountIds: readonly string[]): ReadonlyMap<string, number> {
  const ids = [...new Set(accountIds)].sort();
  const taken = new Set<number>();
  const out = new Map<string, number>();
  const colliding: string[] = [];
  for (const id of ids) {
    const want = senderColourIndex(id);
    if (taken.has(want)) colliding.push(id);
    else {
      taken.add(want);
      out.set(id, want);
    }
  }
  for (const id of colliding) {
    let at = senderColourIndex(id);
    for (let step = 0; step < SENDER_COLOURS.length && taken.has(at); step++)
      at = (at + 1) % SENDER_COLOURS.length;
    taken.add(at);
    out.set(id, at);
  }
  return out;
}

/** The inline custom properties rooms.css reads per theme (set through the CSSOM, allowed by CSP). */
export function senderColourVars(
  accountId: string,
  index?: number,
): Record<'--sender-dark' | '--sender-light', string> {
  const c = senderColour(accountId, index);
  return { '--sender-dark': c.dark, '--sender-light': c.light };
}

/** WCAG 2 contrast ratio of two #rrggbb colours. */
export function contrastRatio(a: string, b: string): number {
  const lum = (hex: string): number => {
    const [r, g, bl] = [1, 3, 5].map((i) => {
      const c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

// The messages of one conversation, virtualized: only the rows near the viewport exist in the DOM
// (so a 10,000-message conversation costs what 30 do), older pages load as the reader nears the
// top, and the reader's place holds when rows arrive, load above or burn away. A message that is
// not rendered cannot be seen: the seen tracker only watches rows that exist.
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type Ref } from 'react';
import type { MessageView } from '../../common/engine';
import { formatDay } from '../lib/format';
import { MessageBubble } from './MessageBubble';

export interface MessageListProps {
  messages: MessageView[];
  burning: ReadonlySet<string>;
  now: number;
  showSenders: boolean;
  /** The seen tracker's ref for a message (undefined when it needs no watching). */
  messageRef?: ((message: MessageView) => Ref<HTMLLIElement> | undefined) | undefined;
  /** Older messages exist in the engine beyond the first loaded one. */
  hasMore?: boolean;
  /** Asks for the page before the oldest loaded message. */
  onLoadOlder?: (() => void) | undefined;
  /** Message actions (copy, delete for me, retry), keyed by the message. */
  renderActions?: ((message: MessageView) => React.ReactNode) | undefined;
  renderAttachments?: ((message: MessageView) => React.ReactNode) | undefined;
  /** Opens a link in a message (after the container's confirmation). */
  onOpenLink?: ((url: string) => void) | undefined;
}

type Row =
  | { kind: 'day'; key: string; label: string }
  /** `continues`: the same sender's run goes on from the row above, so the name is not repeated. */
  | { kind: 'message'; key: string; message: MessageView; continues: boolean };

/**
 * Messages from one sender less than this apart form a run that names the sender once, at its
 * start (as Signal Desktop does); a day separator or a notice between them ends the run.
 */
export const SENDER_RUN_MS = 3 * 60_000;

/** Rows past the viewport kept rendered on each side: enough for smooth scrolling, far under 200. */
const OVERSCAN = 10;
/** Start loading the previous page when the first rendered row is this close to the oldest one. */
const LOAD_OLDER_WITHIN = 15;
/**
 * Row heights before measurement: a one-line message and a day separator as styles.css draws them
 * (measured in Chromium). A close estimate means a row's first measurement changes nothing, so a
 * scroll does not shift offsets and re-render for every row it brings in.
 */
const MESSAGE_ESTIMATE_PX = 52;
const DAY_ESTIMATE_PX = 25;
/** Matches `.messages { gap }` and its vertical padding in styles.css. */
const GAP_PX = 6;
const PADDING_PX = 4;

function dayKey(at: number): string {
  const d = new Date(at);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

/**
 * Each message's row and day, kept per message object: the rows are rebuilt whenever the messages
 * change (a page loads, a message is marked seen), and 10,000 dates and row objects each time cost
 * a scroll its frames. A message that changes is a new object and gets a new entry.
 */
interface RowEntry {
  day: string;
  /** The row that names its sender, and (made when first needed) the one that continues a run. */
  row: Row;
  continued?: Row;
}
const messageRows = new WeakMap<MessageView, RowEntry>();

function entryOf(message: MessageView): RowEntry {
  let entry = messageRows.get(message);
  if (entry === undefined) {
    entry = {
      row: { kind: 'message', key: message.id, message, continues: false },
      day: dayKey(message.sentAt),
    };
    messageRows.set(message, entry);
  }
  return entry;
}

function rowOf(entry: RowEntry, message: MessageView, continues: boolean): Row {
  if (!continues) return entry.row;
  entry.continued ??= { kind: 'message', key: message.id, message, continues: true };
  return entry.continued;
}

/** Whether `message` goes on with the run of `previous` (the message right above it, same day). */
function continuesRun(previous: MessageView | null, message: MessageView): boolean {
  if (previous === null || message.outgoing || previous.outgoing) return false;
  if (message.notice !== undefined || previous.notice !== undefined) return false;
  return (
    previous.fromAccountId === message.fromAccountId &&
    message.sentAt >= previous.sentAt &&
    message.sentAt - previous.sentAt < SENDER_RUN_MS
  );
}

/**
 * Messages with a day separator before the first message of each calendar day. While older pages
 * remain (`hasMore`), the oldest loaded message gets none: its day may have begun earlier, and a
 * separator row at the very top would be the row the list anchors to when a page loads above it.
 * Each message row says whether it continues its sender's run (see SENDER_RUN_MS).
 */
export function withDaySeparators(messages: readonly MessageView[], now: number, hasMore = false): Row[] {
  const rows: Row[] = [];
  let previousDay = hasMore && messages[0] !== undefined ? entryOf(messages[0]).day : '';
  let previous: MessageView | null = null;
  for (const message of messages) {
    const entry = entryOf(message);
    if (entry.day !== previousDay) {
      rows.push({ kind: 'day', key: `day:${entry.day}`, label: formatDay(message.sentAt, now) });
      previousDay = entry.day;
      previous = null;
    }
    rows.push(rowOf(entry, message, continuesRun(previous, message)));
    previous = message;
  }
  return rows;
}

function sameKeys(a: readonly Row[], b: readonly Row[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.key !== b[i]!.key) return false;
  return true;
}

interface RowShape {
  rows: readonly Row[];
  estimateSize: (index: number) => number;
  getItemKey: (index: number) => string | number;
}

/** The virtualizer's per-index functions, new only when a row was added, removed or moved. */
function useRowShape(rows: readonly Row[]): RowShape {
  const [shape, setShape] = useState<RowShape>(() => shapeOf(rows));
  if (shape.rows === rows) return shape;
  // Same keys: the old functions answer the same (a key names its kind), kept with the new rows so
  // the next render need not compare again.
  const next = sameKeys(shape.rows, rows) ? { ...shape, rows } : shapeOf(rows);
  setShape(next);
  return next;
}

function shapeOf(rows: readonly Row[]): RowShape {
  return {
    rows,
    estimateSize: (i) => (rows[i]?.kind === 'day' ? DAY_ESTIMATE_PX : MESSAGE_ESTIMATE_PX),
    getItemKey: (i) => rows[i]?.key ?? i,
  };
}

export function MessageList(props: MessageListProps) {
  const { messages, burning, now, showSenders, messageRef, hasMore = false, onLoadOlder } = props;
  const { renderActions, renderAttachments, onOpenLink } = props;
  const scroller = useRef<HTMLOListElement>(null);
  // Day labels change only at midnight: recomputing rows every clock tick would be wasted work.
  const today = dayKey(now);
  const rows = useMemo(() => withDaySeparators(messages, now, hasMore), [messages, today, hasMore]); // eslint-disable-line react-hooks/exhaustive-deps
  // Stable while the rows' keys are: the virtualizer recomputes every row's offset (10,000 of them)
  // when either function changes, and a message marked seen or updated changes no key.
  const { estimateSize, getItemKey } = useRowShape(rows);
  // The virtualizer is a mutable object React's compiler cannot memoize around; this component is
  // written for that (stable per-key refs, no memo over its results).
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize,
    getItemKey,
    overscan: OVERSCAN,
    gap: GAP_PX,
    paddingStart: PADDING_PX,
    paddingEnd: PADDING_PX,
    // A chat: rows loaded above or burned away keep the reader's row where it is, and a reader at
    // the newest message follows new arrivals.
    anchorTo: 'end',
    followOnAppend: true,
    scrollEndThreshold: 48,
  });

  // Open at the newest message; older pages load only after that (not for the first render's
  // range, which starts at the top before the list has scrolled anywhere).
  const opened = useRef(false);
  const [settled, setSettled] = useState(false);
  useLayoutEffect(() => {
    if (opened.current || rows.length === 0) return;
    opened.current = true;
    virtualizer.scrollToEnd();
    const frame = requestAnimationFrame(() => requestAnimationFrame(() => setSettled(true)));
    return () => cancelAnimationFrame(frame);
  }, [rows.length, virtualizer]);

  // Our own new message is always shown, wherever the reader was.
  const last = messages[messages.length - 1];
  const lastOwnId = last?.outgoing === true ? last.id : null;
  const sawLast = useRef<string | null>(null);
  useLayoutEffect(() => {
    if (lastOwnId === null || sawLast.current === lastOwnId) return;
    const first = sawLast.current === null && !opened.current;
    sawLast.current = lastOwnId;
    if (!first) virtualizer.scrollToEnd();
  }, [lastOwnId, virtualizer]);

  const items = virtualizer.getVirtualItems();
  const firstIndex = items[0]?.index ?? 0;
  useEffect(() => {
    if (hasMore && settled && rows.length > 0 && firstIndex <= LOAD_OLDER_WITHIN) onLoadOlder?.();
  }, [firstIndex, hasMore, settled, rows.length, onLoadOlder]);

  // One ref per row key, stable across renders: React then calls it only when the row mounts or
  // unmounts, so the seen tracker and the measurements are not reset by the clock's re-renders.
  const refs = useRef(new Map<string, (element: HTMLLIElement | null) => void>());
  const mounted = useRef(new Map<string, HTMLLIElement>());
  const watchers = useRef(messageRef);
  watchers.current = messageRef;
  const refFor = useCallback(
    (row: Row) => {
      let ref = refs.current.get(row.key);
      if (ref === undefined) {
        const seen = row.kind === 'message' ? watchers.current?.(row.message) : undefined;
        ref = (element: HTMLLIElement | null) => {
          if (element !== null) {
            mounted.current.set(row.key, element);
            virtualizer.measureElement(element);
          } else {
            refs.current.delete(row.key);
            mounted.current.delete(row.key);
          }
          if (typeof seen === 'function') seen(element);
          else if (seen) (seen as { current: HTMLLIElement | null }).current = element;
        };
        refs.current.set(row.key, ref);
      }
      return ref;
    },
    [virtualizer],
  );

  // The virtualizer reads a row's index from its element (`data-index`, for measureElement and its
  // ResizeObserver); bubbles skip the render an index shift alone would cost (MessageBubble's
  // sameBubble: a page loaded above shifts every row), so the shifted indexes are written here, in
  // the commit that shifted them. Nothing reads them in between: the only measurements before this
  // effect are the refs of rows mounted in this commit, which carry their index from props.
  useLayoutEffect(() => {
    for (const item of items) {
      const element = mounted.current.get(String(item.key));
      if (element !== undefined && element.dataset.index !== String(item.index)) {
        element.dataset.index = String(item.index);
      }
    }
  });

  // Spacers stand in for the rows that are not rendered (padding cannot: a flex item never shrinks
  // below its padding, so the list would grow instead of scrolling). Each spacer brings one gap.
  const before = Math.max(0, (items[0]?.start ?? 0) - PADDING_PX - GAP_PX);
  const after =
    items.length > 0
      ? Math.max(0, virtualizer.getTotalSize() - items[items.length - 1]!.end - PADDING_PX - GAP_PX)
      : 0;
  return (
    <ol
      className="messages"
      aria-label="Messages"
      aria-live="polite"
      aria-relevant="additions"
      ref={scroller}
      tabIndex={0}
    >
      {before > 0 && <li className="spacer" aria-hidden="true" style={{ height: before }} />}
      {items.map((item) => {
        const row = rows[item.index]!;
        if (row.kind === 'day') {
          return (
            <li key={row.key} className="day-separator" data-index={item.index} ref={refFor(row)}>
              <span>{row.label}</span>
            </li>
          );
        }
        return (
          <MessageBubble
            key={row.key}
            index={item.index}
            message={row.message}
            now={now}
            burning={burning.has(row.key)}
            showSender={showSenders && !row.continues}
            ref={refFor(row)}
            renderActions={renderActions}
            renderAttachments={renderAttachments}
            onOpenLink={onOpenLink}
          />
        );
      })}
      {after > 0 && <li className="spacer" aria-hidden="true" style={{ height: after }} />}
    </ol>
  );
}

// UI benchmark (issue 11): a real 10,000-message conversation (a peer engine sends it through a
// real relay to the harness's engine) opened in Debian's Chromium. Measures the virtualized list's
// first paint after its page of data arrives and the per-frame cost while scrolling from the newest
// message to the oldest (older pages load on the way), next to the same 10,000 messages rendered as
// a plain list in the same page and run (baseline). Needs `npm run build:renderer` first.
// Run: npx tsx bench/ui.bench.ts   (or npm run bench -- ui)
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tests/helpers/foundation/chromium';
import { startWorld } from '../tests/helpers/foundation/harness';
import { onboardWithPeer } from '../tests/helpers/foundation/onboarding';
import { sendMany, waitForUnread } from '../tests/helpers/ui/seed';
import { quantile, resultLine } from './lib';

const COUNT = 10_000;
const FIRST_PAINT_TARGET_MS = 100;
const FRAME_TARGET_MS = 16.7;
/** Pixels scrolled per frame: fast enough to cross 10,000 messages in well under a minute. */
const STEP_PX = 600;
const emit = resultLine('ui');

/**
 * In-page helpers, as source text (functions handed to page.evaluate get tsx helpers injected).
 * `paintAfter(t0, ready)`: ms from t0 until the frame in which ready() first holds has painted.
 * `scrollFrames(el, stop)`: scrolls el up STEP_PX a frame until stop(); per frame, the work it cost
 * (rAF to the task after its paint), the same from the frame's first scroll event (`whole`) and the
 * interval between frames.
 * What the cost leaves out and puts in: the scroll event of a scrollTop written in one rAF is
 * dispatched in the next frame, before its rAF, so the list's scroll handler (the virtualizer's
 * synchronous re-render) falls outside `costs`; `whole` starts at that event instead and counts it.
 * Both count tasks queued before the closing timeout (IPC replies, React's scheduled work) and any
 * time the renderer waits for a core, so on a loaded machine they grow with the load; `intervals`
 * show the frames actually dropped.
 */
const PAGE_HELPERS = `
window.__bench = {
  paintAfter(t0, ready) {
    return new Promise((resolve) => {
      const tick = () => {
        if (!ready()) return requestAnimationFrame(tick);
        const channel = new MessageChannel();
        channel.port1.onmessage = () => resolve(performance.now() - t0());
        requestAnimationFrame(() => channel.port2.postMessage(0));
      };
      requestAnimationFrame(tick);
    });
  },
  scrollFrames(el, stop, maxFrames) {
    return new Promise((resolve) => {
      const costs = [];
      const whole = [];
      const moved = [];
      const intervals = [];
      let last = null;
      let scrolledAt = null;
      const onScroll = () => { scrolledAt ??= performance.now(); };
      document.addEventListener('scroll', onScroll, { capture: true });
      const frame = (ts) => {
        if (last !== null) intervals.push(ts - last);
        last = ts;
        if (stop() || costs.length >= maxFrames) {
          document.removeEventListener('scroll', onScroll, { capture: true });
          return resolve({ costs, whole, moved, intervals, done: stop() });
        }
        const start = performance.now();
        const frameStart = scrolledAt ?? start;
        scrolledAt = null;
        const from = el.scrollTop;
        el.scrollTop = Math.max(0, from - ${STEP_PX});
        moved.push(el.scrollTop !== from);
        const channel = new MessageChannel();
        channel.port1.onmessage = () => {
          const end = performance.now();
          costs.push(end - start);
          whole.push(end - frameStart);
        };
        setTimeout(() => channel.port2.postMessage(0), 0);
        requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
    });
  },
};
`;

/**
 * UI_BENCH_DETAIL=1: where the slow frames go. Chromium's long-animation-frame entries (frames over
 * 50 ms of work... or any with `durationThreshold`) name the scripts and forced layouts in them;
 * printed to stderr with the frame cost distribution, so the JSON lines on stdout stay as they are.
 */
const DETAIL = process.env.UI_BENCH_DETAIL === '1';
const LOAF_START = `(() => {
  window.__loaf = [];
  window.__loafObserver = new PerformanceObserver((list) => window.__loaf.push(...list.getEntries().map((e) => e.toJSON())));
  window.__loafObserver.observe({ type: 'long-animation-frame', buffered: false });
})()`;
const LOAF_STOP = `(() => { window.__loafObserver.disconnect(); return window.__loaf; })()`;

interface LoafScript {
  invoker: string;
  duration: number;
  forcedStyleAndLayoutDuration: number;
  sourceFunctionName: string;
}
interface Loaf {
  duration: number;
  renderStart: number;
  styleAndLayoutStart: number;
  startTime: number;
  scripts: LoafScript[];
}

interface TraceEvent {
  name: string;
  ph: string;
  dur?: number;
  tid: number;
  args?: { name?: string };
}
const traceEvents: TraceEvent[] = [];

/** Main-thread time by trace event name (top level and nested both count: a rough split). */
function printTrace(events: TraceEvent[]): void {
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain')?.tid;
  const total = new Map<string, number>();
  for (const e of events) {
    if (e.ph !== 'X' || e.tid !== main || e.dur === undefined) continue;
    total.set(e.name, (total.get(e.name) ?? 0) + e.dur / 1000);
  }
  for (const [name, ms] of [...total].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
    process.stderr.write(`  trace ${ms.toFixed(0).padStart(6)} ms  ${name}\n`);
  }
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples?: number[];
  timeDeltas?: number[];
}

function printDetail(scroll: Scroll, loafs: unknown[], profile: CpuProfile): void {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const self = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const f = byNode.get(samples[i]!)!;
    const name = `${f.functionName || '(anon)'} ${f.url.split('/').at(-1)}:${f.lineNumber}`;
    self.set(name, (self.get(name) ?? 0) + (deltas[i] ?? 0) / 1000);
  }
  for (const [name, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
    process.stderr.write(`  self ${ms.toFixed(0).padStart(6)} ms  ${name}\n`);
  }
  const q = (p: number) => quantile(scroll.costs, p).toFixed(1);
  process.stderr.write(
    `frames ${scroll.costs.length}: p50 ${q(0.5)} p80 ${q(0.8)} p90 ${q(0.9)} p95 ${q(0.95)} p99 ${q(0.99)} ms\n`,
  );
  for (const loaf of (loafs as Loaf[]).sort((a, b) => b.duration - a.duration).slice(0, 12)) {
    const render = loaf.renderStart > 0 ? loaf.startTime + loaf.duration - loaf.renderStart : 0;
    const layout =
      loaf.styleAndLayoutStart > 0 ? loaf.startTime + loaf.duration - loaf.styleAndLayoutStart : 0;
    const scripts = loaf.scripts
      .map(
        (x) =>
          `${x.invoker}${x.sourceFunctionName ? ':' + x.sourceFunctionName : ''} ${x.duration.toFixed(0)} (forced ${x.forcedStyleAndLayoutDuration.toFixed(0)})`,
      )
      .join('; ');
    process.stderr.write(
      `  loaf ${loaf.duration.toFixed(0)} ms, render ${render.toFixed(0)}, style+layout ${layout.toFixed(0)}: ${scripts}\n`,
    );
  }
}

/**
 * Main-thread CPU time (Chromium's ThreadTime metric) the page spends in `run`, per frame: what the
 * scroll costs in work, which waiting for a core on a loaded machine does not inflate (frames spent
 * waiting for a page dilute it: see waitingFrames).
 */
async function cpuPerFrame(page: Page, run: () => Promise<Scroll>): Promise<Scroll> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const threadTime = async () =>
    (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'ThreadTime')?.value ?? NaN;
  const before = await threadTime();
  const scroll = await run();
  const after = await threadTime();
  await cdp.detach();
  return { ...scroll, cpuMsPerFrame: ((after - before) * 1000) / Math.max(1, scroll.costs.length) };
}

/** Share of frame intervals over 1.5 frame budgets: frames the scroll dropped. */
function lateShare(intervals: readonly number[]): number {
  return +(
    intervals.filter((ms) => ms > 1.5 * FRAME_TARGET_MS).length / Math.max(1, intervals.length)
  ).toFixed(4);
}

interface Scroll {
  costs: number[];
  whole: number[];
  /** Whether the frame's scrollTop write moved the list (not at the top waiting for a page). */
  moved: boolean[];
  /** Set by cpuPerFrame. */
  cpuMsPerFrame?: number;
  intervals: number[];
  done: boolean;
}

async function virtualized(
  page: Page,
  url: string,
  peer: string,
): Promise<{ paint: number; scroll: Scroll }> {
  await page.goto(url);
  await page.evaluate(PAGE_HELPERS);
  await page.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: peer }).click();
  const paint = await page.evaluate<number>(`window.__bench.paintAfter(
    () => performance.getEntriesByName('wisp:messages-data').at(-1).startTime,
    () => performance.getEntriesByName('wisp:messages-data').length > 0 && document.querySelector('.messages .message') !== null)`);
  await page
    .locator('.messages .message')
    .filter({ hasText: `message ${COUNT - 1} of ${COUNT}` })
    .waitFor();
  const cdp = DETAIL ? await page.context().newCDPSession(page) : null;
  if (cdp !== null) {
    await page.evaluate(LOAF_START);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
    cdp.on('Tracing.dataCollected', ({ value }) => traceEvents.push(...(value as unknown as TraceEvent[])));
    await cdp.send('Tracing.start', { categories: 'devtools.timeline', transferMode: 'ReportEvents' });
  }
  const scroll = await cpuPerFrame(page, () =>
    page.evaluate<Scroll>(`window.__bench.scrollFrames(
    document.querySelector('.messages'),
    () => [...document.querySelectorAll('.messages .message .text')].some((e) => e.textContent === 'message 0 of ${COUNT}'),
    20000)`),
  );
  if (cdp !== null) {
    const { profile } = await cdp.send('Profiler.stop');
    const complete = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()));
    await cdp.send('Tracing.end');
    await complete;
    printTrace(traceEvents);
    printDetail(scroll, await page.evaluate<unknown[]>(LOAF_STOP), profile);
  }
  return { paint, scroll };
}

/** The same messages as a plain list (every one in the DOM), styled like the app's bubbles. */
async function plain(page: Page, conversationId: string): Promise<{ paint: number; scroll: Scroll }> {
  const texts = await page.evaluate<[string, string][]>(`(async () => {
    const out = [];
    let before;
    for (;;) {
      const r = await window.wisp.conversations.messages({ conversationId: ${JSON.stringify(conversationId)}, limit: 200, ...(before ? { before } : {}) });
      out.unshift(...r.value.messages.map((m) => [m.text, new Date(m.sentAt).toLocaleTimeString()]));
      if (!r.value.hasMore) return out;
      before = r.value.messages[0].id;
    }
  })()`);
  await page.evaluate(`window.__plainData = ${JSON.stringify(texts)}`);
  const paint = await page.evaluate<number>(`(() => {
    const t0 = performance.now();
    const list = document.createElement('ol');
    list.className = 'messages';
    list.style.cssText = 'position:fixed;inset:0;z-index:9;background:var(--bg)';
    for (const [text, time] of window.__plainData) {
      const li = document.createElement('li');
      li.className = 'message incoming';
      const p = document.createElement('p');
      p.className = 'text';
      p.textContent = text;
      const meta = document.createElement('span');
      meta.className = 'meta';
      meta.textContent = time;
      li.append(p, meta);
      list.append(li);
    }
    document.body.append(list);
    list.scrollTop = list.scrollHeight;
    return window.__bench.paintAfter(() => t0, () => true);
  })()`);
  const scroll = await cpuPerFrame(page, () =>
    page.evaluate<Scroll>(`window.__bench.scrollFrames(
    document.querySelector('body > ol.messages'), () => document.querySelector('body > ol.messages').scrollTop === 0, 20000)`),
  );
  return { paint, scroll };
}

const world = await startWorld();
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const { alice, bob, bobName } = await onboardWithPeer(page, world);
  try {
    await world.harness.host.services.settings.set({
      receipts: { deliveryReceipts: false, readReceipts: false },
    });
    await sendMany(bob, alice, COUNT, (i) => ({ text: `message ${i} of ${COUNT}` }));
    const conversationId = await waitForUnread(world, bobName, COUNT);

    const list = await virtualized(page, world.harness.url, bobName);
    const baseline = await plain(page, conversationId);
    emit({
      metric: 'first paint after the page of data arrives (ms), 10,000-message conversation',
      value: +list.paint.toFixed(1),
      baseline: +baseline.paint.toFixed(1),
      baselineIs: 'all 10,000 messages as a plain DOM list',
      ratio: +(list.paint / baseline.paint).toFixed(3),
      target: FIRST_PAINT_TARGET_MS,
      pass: list.paint < FIRST_PAINT_TARGET_MS,
    });
    const p95 = quantile(list.scroll.costs, 0.95);
    const baseP95 = quantile(baseline.scroll.costs, 0.95);
    emit({
      metric: 'p95 frame cost scrolling newest to oldest (ms)',
      value: +p95.toFixed(2),
      baseline: +baseP95.toFixed(2),
      baselineIs: 'the same scroll over the plain list',
      ratio: +(p95 / baseP95).toFixed(3),
      target: FRAME_TARGET_MS,
      pass: p95 < FRAME_TARGET_MS && list.scroll.done,
      frames: list.scroll.costs.length,
      baselineFrames: baseline.scroll.costs.length,
      reachedOldest: list.scroll.done,
      p95FrameInterval: +quantile(list.scroll.intervals, 0.95).toFixed(2),
      baselineP95FrameInterval: +quantile(baseline.scroll.intervals, 0.95).toFixed(2),
      // The same p95 with the frame's scroll handlers counted (see PAGE_HELPERS), and the share of
      // frames that came late (over 1.5 frame budgets after the one before).
      p95WholeFrame: +quantile(list.scroll.whole, 0.95).toFixed(2),
      baselineP95WholeFrame: +quantile(baseline.scroll.whole, 0.95).toFixed(2),
      // Frames spent at the top of the loaded messages while the next page loads cost little and
      // pull the p95 down (more of them the slower the load): the p95 of the frames that scrolled.
      p95MovingFrames: +quantile(
        list.scroll.costs.filter((_, i) => list.scroll.moved[i]),
        0.95,
      ).toFixed(2),
      waitingFrames: list.scroll.moved.filter((m) => !m).length,
      cpuMsPerFrame: +(list.scroll.cpuMsPerFrame ?? NaN).toFixed(2),
      baselineCpuMsPerFrame: +(baseline.scroll.cpuMsPerFrame ?? NaN).toFixed(2),
      lateFrames: lateShare(list.scroll.intervals),
      baselineLateFrames: lateShare(baseline.scroll.intervals),
    });
  } finally {
    await bob.close();
  }
} finally {
  await browser.close();
  await world.stop();
}

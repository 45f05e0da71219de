// The browser test harness (never part of the packaged app): serves the built renderer on
// 127.0.0.1 and answers `window.wisp` calls over a loopback WebSocket with the same core/services
// handlers and the same validating dispatcher as main/. Guards: loopback bind and peer check, an
// Origin check, and a random token that only the page (opened with it) knows.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import type { WispEvent } from '../common/ipc';
import { contentTypeOf } from '../main/contentTypes';
import { CONTENT_SECURITY_POLICY } from '../main/csp';
import {
  contentProtectionSupport,
  createDispatcher,
  createServices,
  type EngineFactory,
  type KeyStoreOptions,
  type PlatformAdapter,
  type ServicesHost,
} from '../core/services';
import { BRIDGE_PATH, SOCKET_PATH, TOKEN_META, bridgeScript } from './bridgeScript';

export interface HarnessOptions {
  /** The built renderer (dist-web/). */
  webRoot: string;
  /** Where the services keep the profile; the caller owns (and removes) it. */
  dataDir: string;
  /** Suggested on the onboarding form, e.g. an embedded relay. */
  relayUrl?: string | null;
  engineFactory?: EngineFactory;
  keyStore?: Omit<KeyStoreOptions, 'safeStorage'>;
  /** Report the OS keychain as usable (default false: throwaway profiles stay out of it). */
  keychain?: boolean;
  /**
   * The harness's stand-in for the app's file dialogs: answers "where to save / which backup" with
   * a path (or null, the dialog closed). Without it the page offers a path field instead.
   */
  choosePath?: PlatformAdapter['choosePath'];
}

export interface RunningHarness {
  /** Open this URL (it carries the token); without the token the page gets no bridge. */
  url: string;
  origin: string;
  port: number;
  token: string;
  host: ServicesHost;
  close(): Promise<void>;
}

/** 1 MiB: far above any legitimate call (texts are capped at 64 KiB). */
const MAX_FRAME_BYTES = 1024 * 1024;

const CallFrame = z.object({
  id: z.number().int().nonnegative(),
  channel: z.string().max(200),
  args: z.array(z.unknown()).max(4),
});

export function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

function sameToken(given: string | null, token: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function startHarness(options: HarnessOptions): Promise<RunningHarness> {
  if (process.versions.electron !== undefined) {
    throw new Error('the browser harness must never run inside the Electron app');
  }
  const token = randomBytes(24).toString('base64url');
  const host = createServices({
    dataDir: options.dataDir,
    platform: {
      runtime: 'harness',
      version: 'harness',
      defaultRelayUrl: options.relayUrl ?? null,
      contentProtection:
        process.platform === 'linux'
          ? contentProtectionSupport('linux')
          : { available: false, reason: 'Not available in the browser harness.' },
      applyContentProtection: () => undefined,
      openExternal: async () => false,
      ...(options.choosePath === undefined ? {} : { choosePath: options.choosePath }),
      // The same stand-in answers "where to save this attachment"; without it, the path field.
      ...(options.choosePath === undefined
        ? {}
        : { chooseSavePath: (name: string) => options.choosePath!('export', name) }),
    },
    keychain: options.keychain ?? false,
    ...(options.engineFactory === undefined ? {} : { engineFactory: options.engineFactory }),
    ...(options.keyStore === undefined ? {} : { keyStore: options.keyStore }),
  });
  await host.start();
  const dispatch = createDispatcher(host.services);
  const root = normalize(options.webRoot + sep);
  let origin = '';

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const headers = {
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    };
    if (!isLoopback(req.socket.remoteAddress) || req.method !== 'GET') {
      res.writeHead(403, headers).end();
      return;
    }
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname === BRIDGE_PATH) {
      res.writeHead(200, { ...headers, 'Content-Type': contentTypeOf(BRIDGE_PATH) }).end(bridgeScript());
      return;
    }
    const relative =
      url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '');
    const file = normalize(join(root, relative));
    if (!file.startsWith(root) || relative.includes('\0')) {
      res.writeHead(404, headers).end();
      return;
    }
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      res.writeHead(404, headers).end();
      return;
    }
    if (relative === 'index.html') {
      // The bridge goes in only for a page opened with the token: the token lands in the page and
      // nowhere else (not in the public bridge script).
      const html = body.toString('utf8');
      const withBridge = sameToken(url.searchParams.get('t'), token)
        ? html.replace(
            '</title>',
            `</title>\n    <meta name="${TOKEN_META}" content="${token}" />\n    <script src="${BRIDGE_PATH}"></script>`,
          )
        : html;
      res.writeHead(200, { ...headers, 'Content-Type': contentTypeOf('index.html') }).end(withBridge);
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': contentTypeOf(file) }).end(body);
  }

  const server = createServer((req, res) => {
    serve(req, res).catch(() => res.writeHead(500).end());
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  const sockets = new Set<WebSocket>();

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', origin);
    const allowed =
      url.pathname === SOCKET_PATH &&
      isLoopback(req.socket.remoteAddress) &&
      req.headers.origin === origin &&
      sameToken(url.searchParams.get('t'), token);
    if (!allowed) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws));
  });

  wss.on('connection', (ws: WebSocket) => {
    sockets.add(ws);
    const unsubscribe = host.onEvent((event: WispEvent) => ws.send(JSON.stringify({ event })));
    ws.on('close', () => {
      sockets.delete(ws);
      unsubscribe();
    });
    ws.on('message', (data) => {
      let frame: z.infer<typeof CallFrame>;
      try {
        const raw = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
        frame = CallFrame.parse(JSON.parse(raw.toString('utf8')));
      } catch {
        // Not even a call: refuse the whole connection rather than guess at an id to answer.
        ws.close(1008, 'malformed frame');
        return;
      }
      void dispatch(frame.channel, frame.args).then((result) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: frame.id, result }));
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}/?t=${token}`,
    origin,
    port,
    token,
    host,
    async close() {
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await host.close();
    },
  };
}

// The harness bridge refuses what the desktop app's IPC refuses: malformed arguments, unknown
// channels and extra arguments get InvalidInput from the shared dispatcher, and a connection
// without the page's token or from another origin is never accepted.
import { expect, test } from '@playwright/test';
import { WebSocket as NodeWebSocket } from 'ws';
import { startWorld, type E2eWorld, type PageGlobals } from '../helpers/foundation/harness';
import { openOnboarding } from '../helpers/foundation/onboarding';

let world: E2eWorld;

test.beforeAll(async () => {
  world = await startWorld();
});
test.afterAll(async () => {
  await world.stop();
});

test('malformed, unknown and over-long calls through the page are rejected with InvalidInput', async ({
  page,
}) => {
  await openOnboarding(page, world);

  const results = await page.evaluate(async () => {
    const page = globalThis as unknown as PageGlobals;
    const raw = page.__wispHarnessRaw;
    return {
      wrongType: await raw('wisp:contacts.lookup', [{ username: 42 }]),
      badUrl: await raw('wisp:account.create', [
        {
          username: 'mallory',
          relayUrl: 'http://evil.example',
          keystore: 'passphrase',
          passphrase: 'x'.repeat(12),
        },
      ]),
      unknown: await raw('wisp:shell.exec', [{ cmd: 'rm -rf /' }]),
      extraArgs: await raw('wisp:app.info', [undefined, 'extra']),
      fileLink: await page.wisp!.app.openExternal({ url: 'file:///etc/passwd' }),
      status: await page.wisp!.account.status(),
    };
  });
  expect(results.wrongType).toMatchObject({ ok: false, error: { kind: 'InvalidInput' } });
  expect(results.badUrl).toMatchObject({ ok: false, error: { kind: 'InvalidInput' } });
  expect(results.unknown).toMatchObject({
    ok: false,
    error: { kind: 'InvalidInput', message: 'unknown IPC channel' },
  });
  expect(results.extraArgs).toMatchObject({ ok: false, error: { kind: 'InvalidInput' } });
  expect(results.fileLink).toMatchObject({ ok: false, error: { kind: 'InvalidInput' } });
  // None of it changed anything: still no account.
  expect(results.status).toEqual({ ok: true, value: { state: 'none' } });
});

test('a socket with a forged token is refused, and the page opened without the token gets no bridge', async ({
  page,
}) => {
  await page.goto(world.harness.origin + '/');
  await expect(page.getByText('needs the Wisp app')).toBeVisible();
  expect(await page.evaluate(() => typeof (globalThis as unknown as PageGlobals).wisp)).toBe('undefined');

  const outcome = await page.evaluate(
    (port) =>
      new Promise<string>((resolve) => {
        const ws = new (globalThis as unknown as PageGlobals).WebSocket(
          `ws://127.0.0.1:${port}/__harness/ws?t=forged-token`,
        );
        ws.onopen = () => resolve('opened');
        ws.onclose = () => resolve('refused');
      }),
    world.harness.port,
  );
  expect(outcome).toBe('refused');
});

test('a socket from a foreign origin is refused even with the right token', async () => {
  const status = await new Promise<number | string>((resolve) => {
    const ws = new NodeWebSocket(
      `ws://127.0.0.1:${world.harness.port}/__harness/ws?t=${world.harness.token}`,
      {
        origin: 'http://evil.example',
      },
    );
    ws.on('open', () => {
      ws.close();
      resolve('opened');
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve('error'));
  });
  expect(status).toBe(403);

  // The same token from the harness's own origin is accepted: the refusal above was the origin.
  const accepted = await new Promise<string>((resolve) => {
    const ws = new NodeWebSocket(
      `ws://127.0.0.1:${world.harness.port}/__harness/ws?t=${world.harness.token}`,
      {
        origin: world.harness.origin,
      },
    );
    ws.on('open', () => {
      ws.close();
      resolve('opened');
    });
    ws.on('error', () => resolve('error'));
  });
  expect(accepted).toBe('opened');
});

// (eval is not probed here: code run through page.evaluate is exempt from CSP by DevTools design;
// the unit test of the policy string checks there is no 'unsafe-eval'.)
test("the page's CSP refuses inline script and HTML strings in DOM sinks", async ({ page }) => {
  await openOnboarding(page, world);
  const outcome = await page.evaluate(() => {
    const g = globalThis as unknown as {
      document: {
        body: { innerHTML: string; appendChild(n: unknown): void };
        createElement(t: string): { textContent: string };
      };
      __inlineRan?: boolean;
    };
    const attempt = (fn: () => void) => {
      try {
        fn();
        return 'allowed';
      } catch {
        return 'blocked';
      }
    };
    const sink = attempt(() => {
      g.document.body.innerHTML = '<b>x</b>';
    });
    // Trusted Types refuses the string; were it accepted, script-src would still refuse to run it.
    attempt(() => {
      const script = g.document.createElement('script');
      script.textContent = 'globalThis.__inlineRan = true';
      g.document.body.appendChild(script);
    });
    return { sink, inline: g.__inlineRan === true ? 'ran' : 'blocked' };
  });
  expect(outcome).toEqual({ sink: 'blocked', inline: 'blocked' });
});

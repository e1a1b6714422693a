import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChat, type ChatServer } from '../../examples/chat/server';
import { launchChromium } from '../helpers/chromium';

// The chat page in a real headless Chromium (Debian's), using the browser's own WebSocket.
let chat: ChatServer;
let browser: Browser;

beforeAll(async () => {
  chat = await startChat({ port: 0 });
  browser = await launchChromium();
}, 30_000);
afterAll(async () => {
  await browser?.close();
  await chat?.close();
});

async function open(): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(chat.url);
  await page.waitForSelector('#status[data-state="open"]', { timeout: 10_000 });
  return page;
}

async function say(page: Page, text: string): Promise<void> {
  await page.fill('#msg', text);
  await page.press('#msg', 'Enter');
}

const lines = (page: Page) => page.$$eval('#log li:not(.system)', (items) => items.map((i) => i.textContent));

async function waitForLines(page: Page, count: number): Promise<string[]> {
  await page.waitForFunction((n) => document.querySelectorAll('#log li:not(.system)').length >= n, count, { timeout: 10_000 });
  return (await lines(page)) as string[];
}

describe('chat demo in Chromium', () => {
  it('two pages see each other\'s messages, in the same order; a reloaded page reconnects', async () => {
    const a = await open();
    const b = await open();
    await say(a, 'hello from A');
    await waitForLines(b, 1);
    await say(b, 'hi A — from B ✓');
    const expected = ['hello from A', 'hi A — from B ✓'];
    expect(await waitForLines(a, 2)).toEqual(expected);
    expect(await waitForLines(b, 2)).toEqual(expected);

    await b.reload();
    await b.waitForSelector('#status[data-state="open"]', { timeout: 10_000 });
    await say(b, 'B is back');
    expect((await waitForLines(a, 3))[2]).toBe('B is back');
    expect(await waitForLines(b, 1)).toEqual(['B is back']);
  }, 60_000);

  it('negotiates permessage-deflate with Chromium and exchanges compressed messages', async () => {
    const page = await open();
    expect(await page.evaluate('socket.extensions')).toMatch(/^permessage-deflate/);
    const long = `long ${'compressible '.repeat(30)}`.slice(0, 400);
    await say(page, long);
    expect((await waitForLines(page, 1)).at(-1)).toBe(long.trim());
  }, 30_000);

  it('shows the connection dropping and comes back when the server returns', async () => {
    const page = await open();
    const { port } = new URL(chat.url);
    await chat.close();
    await page.waitForSelector('#status[data-state="closed"]', { timeout: 10_000 });
    chat = await startChat({ port: Number(port) });
    await page.waitForSelector('#status[data-state="open"]', { timeout: 15_000 });
  }, 40_000);
});

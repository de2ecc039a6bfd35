// The seed's page live over a WebSocket (examples/websocket_live) in Debian's
// headless Chromium: two pages open, one click on the first, and both show
// the new state without reloading; a click on the second, both again. The
// server runs two event loops, so the pages may be served by different ones.
// With --https the page is served over HTTPS and its socket is wss://.
//     node websocket_live.test.mjs PATH/TO/websocket_live [--https]
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STEP_MS, check, launchChromium, openPage, runTest, startExample, stopExample,
    transport } from './support.mjs';

const binary = process.argv[2];
const { scheme, args } = transport(process.argv.slice(3));
const shots = resolve(process.env.SCREENSHOT_DIR ?? join(dirname(fileURLToPath(import.meta.url)), 'screenshots'));

async function shows(page, text, which) {
    try {
        await page.locator('#state').filter({ hasText: new RegExp(`^${text}$`) })
            .waitFor({ timeout: STEP_MS });
    } catch {
        const now = await page.locator('#state').textContent();
        throw new Error(`${which} shows "${now}", expected "${text}"`);
    }
}

async function main() {
    const started = Date.now();
    const { server, port } = await startExample(binary, ['--threads', '2', ...args]);
    const context = await launchChromium();
    try {
        const errors = [];
        const open = () => openPage(context, `${scheme}://127.0.0.1:${port}/`, errors);
        const first = await open(), second = await open();
        await shows(first, 'clear', 'the first page');
        await shows(second, 'clear', 'the second page');
        await first.locator('#toggle').click({ timeout: STEP_MS });
        await shows(first, 'set', 'after a click on the first, the first page');
        await shows(second, 'set', 'after a click on the first, the second page');
        mkdirSync(shots, { recursive: true });
        await second.screenshot({ path: join(shots, `websocket_live-${scheme}-set.png`) });
        await second.locator('#toggle').click({ timeout: STEP_MS });
        await shows(first, 'clear', 'after a click on the second, the first page');
        await shows(second, 'clear', 'after a click on the second, the second page');
        check(errors.length === 0, `JavaScript errors: ${errors.join('; ')}`);
    } catch (e) {
        e.serverLog = server.log;
        throw e;
    } finally {
        await Promise.race([context.close().catch(() => {}), new Promise((r) => setTimeout(r, 3000))]);
    }
    await stopExample(server);
    console.log(`websocket_live browser test over ${scheme}: two pages, one click, both updated, both ways ` +
        `(${((Date.now() - started) / 1000).toFixed(1)} s)`);
    console.log('1 passed, 0 failed');
}

runTest('websocket_live browser test', main);

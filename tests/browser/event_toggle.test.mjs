// End-to-end test of examples/event_toggle in Debian's headless Chromium:
// the button reads "Set", a click POSTs /change_event and reloads into
// "Clear", a second click back into "Set"; then SIGTERM must exit 0.
//     node event_toggle.test.mjs PATH/TO/event_toggle
// Screenshots go to $SCREENSHOT_DIR (default: screenshots/ beside this file).
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STEP_MS, buttonText, check, clickAndReload, launchChromium, runTest, startExample,
    stopExample } from './support.mjs';

const binary = process.argv[2];
const shots = resolve(process.env.SCREENSHOT_DIR ?? join(dirname(fileURLToPath(import.meta.url)), 'screenshots'));

async function main() {
    const started = Date.now();
    const { server, port } = await startExample(binary);
    const context = await launchChromium();
    try {
        const page = context.pages()[0] ?? (await context.newPage());
        const pageErrors = [];
        page.on('pageerror', (e) => pageErrors.push(e.message));
        mkdirSync(shots, { recursive: true });
        const res = await page.goto(`http://127.0.0.1:${port}/`, { timeout: STEP_MS });
        check(res?.status() === 200, `GET / answered ${res?.status()}`);
        let text = await buttonText(page);
        check(text === 'Set', `fresh page's button says "${text}", expected "Set"`);
        await page.screenshot({ path: join(shots, 'event_toggle-set.png') });

        await clickAndReload(page);
        text = await buttonText(page);
        check(text === 'Clear', `after the first click the button says "${text}", expected "Clear"`);
        await page.screenshot({ path: join(shots, 'event_toggle-clear.png') });

        await clickAndReload(page);
        text = await buttonText(page);
        check(text === 'Set', `after the second click the button says "${text}", expected "Set"`);
        check(pageErrors.length === 0, `JavaScript errors on the page: ${pageErrors.join('; ')}`);
    } catch (e) {
        e.serverLog = server.log;
        throw e;
    } finally {
        await Promise.race([context.close().catch(() => {}), new Promise((r) => setTimeout(r, 3000))]);
    }
    await stopExample(server);
    console.log(`event_toggle browser test: Set -> Clear -> Set, clean SIGTERM exit ` +
        `(${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${shots})`);
    console.log('1 passed, 0 failed');
}

runTest('event_toggle browser test', main);

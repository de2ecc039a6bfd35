// End-to-end test of examples/event_toggle in Debian's headless Chromium:
// the button reads "Set", a click POSTs /change_event and reloads into
// "Clear", a second click back into "Set"; then SIGTERM must exit 0.
// With --https the example serves HTTPS on a certificate made for the test,
// and the browser must have used HTTP/2 (ALPN h2); over http, HTTP/1.1.
//     node event_toggle.test.mjs PATH/TO/event_toggle [--https]
// Screenshots go to $SCREENSHOT_DIR (default: screenshots/ beside this file).
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buttonText, check, clickAndReload, launchChromium, openPage, runTest, startExample,
    stopExample, transport } from './support.mjs';

const binary = process.argv[2];
const { scheme, args } = transport(process.argv.slice(3));
const shots = resolve(process.env.SCREENSHOT_DIR ?? join(dirname(fileURLToPath(import.meta.url)), 'screenshots'));

async function main() {
    const started = Date.now();
    const { server, port } = await startExample(binary, args);
    const context = await launchChromium();
    try {
        const pageErrors = [];
        const page = await openPage(context, `${scheme}://127.0.0.1:${port}/`, pageErrors);
        mkdirSync(shots, { recursive: true });
        const protocol = await page.evaluate(
            () => performance.getEntriesByType('navigation')[0].nextHopProtocol);
        const expected = scheme === 'https' ? 'h2' : 'http/1.1';
        check(protocol === expected, `the page came over ${protocol}, expected ${expected}`);
        let text = await buttonText(page);
        check(text === 'Set', `fresh page's button says "${text}", expected "Set"`);
        await page.screenshot({ path: join(shots, `event_toggle-${scheme}-set.png`) });

        await clickAndReload(page);
        text = await buttonText(page);
        check(text === 'Clear', `after the first click the button says "${text}", expected "Clear"`);
        await page.screenshot({ path: join(shots, `event_toggle-${scheme}-clear.png`) });

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
    console.log(`event_toggle browser test over ${scheme} (${scheme === 'https' ? 'h2' : 'HTTP/1.1'}): ` +
        `Set -> Clear -> Set, clean SIGTERM exit ` +
        `(${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${shots})`);
    console.log('1 passed, 0 failed');
}

runTest('event_toggle browser test', main);

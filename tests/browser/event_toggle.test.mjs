// End-to-end test of examples/event_toggle in Debian's headless Chromium:
// the button reads "Set", a click POSTs /change_event and reloads into
// "Clear", a second click back into "Set"; then SIGTERM must exit 0.
//     node event_toggle.test.mjs PATH/TO/event_toggle
// Screenshots go to $SCREENSHOT_DIR (default: screenshots/ beside this file).
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const binary = process.argv[2];
if (!binary) {
    console.error('usage: node event_toggle.test.mjs PATH/TO/event_toggle');
    process.exit(2);
}
const shots = resolve(process.env.SCREENSHOT_DIR ?? join(dirname(fileURLToPath(import.meta.url)), 'screenshots'));
const TOTAL_MS = 60_000; // whole test, browser start included
const STEP_MS = 10_000; // any single wait

let server, serverLog = '', context;
// Whatever way we leave, no server stays behind (Playwright's own exit handler
// SIGKILLs its browser and deletes the temporary profile).
process.on('exit', () => {
    if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
});

async function fail(message) {
    process.exitCode = 1;
    console.error(`event_toggle browser test: FAIL: ${message}`);
    if (serverLog) console.error(`--- server output ---\n${serverLog.trimEnd()}`);
    // Closing the browser can hang if it is wedged: don't wait long for it.
    await Promise.race([context?.close().catch(() => {}), new Promise((r) => setTimeout(r, 3000))]);
    process.exit(1);
}
setTimeout(() => fail(`no result after ${TOTAL_MS / 1000} s`), TOTAL_MS).unref();

function check(ok, message) {
    if (!ok) throw new Error(message);
}

// A free port: let the kernel pick one, then hand it to the server.
async function freePort() {
    const probe = createServer();
    await new Promise((ok, ko) => probe.once('error', ko).listen(0, '127.0.0.1', ok));
    const { port } = probe.address();
    await new Promise((ok) => probe.close(ok));
    return port;
}

async function startServer(port) {
    server = spawn(resolve(binary), ['--host', '127.0.0.1', '--port', String(port)], {
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [server.stdout, server.stderr]) stream.on('data', (d) => (serverLog += d));
    const spawned = new Promise((ok, ko) => server.once('spawn', ok).once('error', ko));
    await spawned;
    // Poll until GET / answers (it takes ~100 ms: it waits for the event).
    const deadline = Date.now() + STEP_MS;
    for (;;) {
        check(server.exitCode === null && server.signalCode === null,
            `server exited early (code ${server.exitCode}, signal ${server.signalCode})`);
        try {
            const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
            if (res.ok) return;
        } catch {}
        check(Date.now() < deadline, `server did not answer on port ${port} within ${STEP_MS} ms`);
        await new Promise((r) => setTimeout(r, 50));
    }
}

async function buttonText(page) {
    return (await page.locator('button').textContent({ timeout: STEP_MS }))?.trim();
}

// Clicks the button and waits for both the POST and the reload it triggers.
async function clickAndReload(page) {
    const [post] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/change_event'), { timeout: STEP_MS }),
        page.waitForEvent('load', { timeout: STEP_MS }),
        page.locator('button').click({ timeout: STEP_MS }),
    ]);
    check(post.status() === 204, `POST /change_event answered ${post.status()}, expected 204`);
}

async function stopServer() {
    const exited = new Promise((ok) => server.once('exit', (code, signal) => ok({ code, signal })));
    server.kill('SIGTERM');
    const timeout = new Promise((ok) => setTimeout(() => ok(null), STEP_MS).unref());
    const result = await Promise.race([exited, timeout]);
    check(result, `server did not exit within ${STEP_MS} ms of SIGTERM`);
    check(result.code === 0, `server exited with code ${result.code}, signal ${result.signal} after SIGTERM`);
}

async function main() {
    const started = Date.now();
    const port = await freePort();
    await startServer(port);

    // '' = a fresh empty --user-data-dir in $TMPDIR, which Playwright removes.
    context = await chromium.launchPersistentContext('', {
        executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
        headless: true,
        timeout: STEP_MS * 3, // a cold start of Chromium on 2 busy cores can be slow
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
            '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    mkdirSync(shots, { recursive: true });

    const url = `http://127.0.0.1:${port}/`;
    const res = await page.goto(url, { timeout: STEP_MS });
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

    await context.close();
    context = undefined;
    await stopServer();
    console.log(`event_toggle browser test: Set -> Clear -> Set, clean SIGTERM exit ` +
        `(${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${shots})`);
    console.log('1 passed, 0 failed');
}

main().catch((e) => fail(e?.message ?? String(e)));

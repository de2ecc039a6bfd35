// The seed's page on two instances sharing its event through Redis
// (examples/event_toggle --redis), in Debian's headless Chromium: a
// redis-server started here on a free port, two instances pointed at it,
// one page on each. A click on the first page; the second page, reloaded,
// shows the change; a click on the second, and the first shows it.
//     node event_toggle_redis.test.mjs PATH/TO/event_toggle
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STEP_MS, buttonText, check, clickAndReload, launchChromium, openPage, runTest, startExample, startRedis,
    stopExample } from './support.mjs';

const binary = process.argv[2];
const shots = resolve(process.env.SCREENSHOT_DIR ?? join(dirname(fileURLToPath(import.meta.url)), 'screenshots'));

// Reloads until the button says `text` (the change crosses Redis).
async function showsAfterReload(page, text, which) {
    const deadline = Date.now() + STEP_MS;
    for (;;) {
        await page.reload({ timeout: STEP_MS });
        const now = await buttonText(page);
        if (now === text) return;
        check(Date.now() < deadline, `${which}: the button says "${now}", expected "${text}"`);
        await new Promise((r) => setTimeout(r, 50));
    }
}

async function main() {
    const started = Date.now();
    const { redis, port: redisPort } = await startRedis();
    const url = `redis://127.0.0.1:${redisPort}`;
    const a = await startExample(binary, ['--redis', url]);
    const b = await startExample(binary, ['--redis', url]);
    const context = await launchChromium();
    try {
        const errors = [];
        const open = (port) => openPage(context, `http://127.0.0.1:${port}/`, errors);
        const first = await open(a.port), second = await open(b.port);
        check(await buttonText(first) === 'Set', 'the first page starts with "Set"');
        check(await buttonText(second) === 'Set', 'the second page starts with "Set"');
        await clickAndReload(first);
        check(await buttonText(first) === 'Clear', 'after its click the first page says "Clear"');
        await showsAfterReload(second, 'Clear', 'the second page, on the other instance');
        mkdirSync(shots, { recursive: true });
        await second.screenshot({ path: join(shots, 'event_toggle_redis-second.png') });
        await clickAndReload(second);
        check(await buttonText(second) === 'Set', 'after its click the second page says "Set"');
        await showsAfterReload(first, 'Set', 'the first page, on the other instance');
        check(errors.length === 0, `JavaScript errors: ${errors.join('; ')}`);
    } catch (e) {
        e.serverLog = `instance A:\n${a.server.log}\ninstance B:\n${b.server.log}`;
        throw e;
    } finally {
        await Promise.race([context.close().catch(() => {}), new Promise((r) => setTimeout(r, 3000))]);
    }
    await stopExample(a.server);
    await stopExample(b.server);
    redis.kill('SIGTERM');
    console.log(`event_toggle with Redis browser test: two instances, a click on each, ` +
        `the other page follows (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    console.log('1 passed, 0 failed');
}

runTest('event_toggle with Redis browser test', main);

// What the end-to-end tests in this folder share: a free port, an example
// started on it (and never left behind), over HTTP or HTTPS, its clean stop
// on SIGTERM, and Debian's headless Chromium.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

export const STEP_MS = 10_000; // any single wait

export function check(ok, message) {
    if (!ok) throw new Error(message);
}

// A free port: let the kernel pick one, then hand it to the server.
export async function freePort() {
    const probe = createServer();
    await new Promise((ok, ko) => probe.once('error', ko).listen(0, '127.0.0.1', ok));
    const { port } = probe.address();
    await new Promise((ok) => probe.close(ok));
    return port;
}

// Spawns `command args...`, killed if still running when this process exits;
// its output collects in `.log`. Resolves once it accepts connections on `port`.
async function spawnListening(command, args, port) {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.log = '';
    for (const stream of [child.stdout, child.stderr]) stream.on('data', (d) => (child.log += d));
    process.on('exit', () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    await new Promise((ok, ko) => child.once('spawn', ok).once('error', ko));
    const deadline = Date.now() + STEP_MS;
    for (;;) {
        check(child.exitCode === null, `${command} exited early (code ${child.exitCode}): ${child.log}`);
        const up = await new Promise((ok) => {
            const socket = connect(port, '127.0.0.1', () => { socket.destroy(); ok(true); });
            socket.once('error', () => ok(false));
        });
        if (up) return child;
        check(Date.now() < deadline, `${command} did not listen on ${port} within ${STEP_MS} ms`);
        await new Promise((r) => setTimeout(r, 50));
    }
}

// Starts `binary --port P args...` and waits until it accepts connections.
export async function startExample(binary, args = []) {
    const port = await freePort();
    const server = await spawnListening(resolve(binary),
        ['--host', '127.0.0.1', '--port', String(port), ...args], port);
    return { server, port };
}

// How a test reaches its examples: plain HTTP, or with `--https` among
// `argv` HTTPS on a self-signed certificate for 127.0.0.1, made here with
// Debian's openssl (Chromium is told to accept it). `args` go to the example.
export function transport(argv) {
    if (!argv.includes('--https')) return { scheme: 'http', args: [] };
    const dir = mkdtempSync(join(tmpdir(), 'bareasio-browser-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    const cert = join(dir, 'cert.pem'), key = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt',
        'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
        '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    return { scheme: 'https', args: ['--tls-cert', cert, '--tls-key', key] };
}

// A new page at `url`, answered 200; its JavaScript errors go to `errors`.
export async function openPage(context, url, errors) {
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    const res = await page.goto(url, { timeout: STEP_MS });
    check(res?.status() === 200, `GET ${url} answered ${res?.status()}`);
    return page;
}

// Debian's redis-server on a free port, without persistence.
export async function startRedis() {
    const port = await freePort();
    const redis = await spawnListening('redis-server', ['--port', String(port), '--bind', '127.0.0.1',
        '--save', '', '--appendonly', 'no'], port);
    return { redis, port };
}

// The seed's page: its button's text, and a click that POSTs and reloads.
export async function buttonText(page) {
    return (await page.locator('button').textContent({ timeout: STEP_MS }))?.trim();
}

export async function clickAndReload(page) {
    const [post] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/change_event'), { timeout: STEP_MS }),
        page.waitForEvent('load', { timeout: STEP_MS }),
        page.locator('button').click({ timeout: STEP_MS }),
    ]);
    check(post.status() === 204, `POST /change_event answered ${post.status()}, expected 204`);
}

// SIGTERM, then the exit status must be 0 within STEP_MS.
export async function stopExample(server) {
    const exited = new Promise((ok) => server.once('exit', (code, signal) => ok({ code, signal })));
    server.kill('SIGTERM');
    const timeout = new Promise((ok) => setTimeout(() => ok(null), STEP_MS).unref());
    const result = await Promise.race([exited, timeout]);
    check(result, `server did not exit within ${STEP_MS} ms of SIGTERM`);
    check(result.code === 0, `server exited with code ${result.code}, signal ${result.signal}`);
}

// Headless Chromium with a fresh profile that Playwright removes.
// It accepts the tests' self-signed certificates.
export function launchChromium() {
    return chromium.launchPersistentContext('', {
        executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
        headless: true,
        ignoreHTTPSErrors: true,
        timeout: STEP_MS * 3, // a cold start of Chromium on 2 busy cores can be slow
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
            '--ignore-certificate-errors',
            '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
}

// Runs `main`; any failure (or no result within `totalMs`) exits 1 with the server's log.
export function runTest(name, main, totalMs = 60_000) {
    const fail = (message, log = '') => {
        console.error(`${name}: FAIL: ${message}`);
        if (log) console.error(`--- server output ---\n${log.trimEnd()}`);
        process.exit(1);
    };
    setTimeout(() => fail(`no result after ${totalMs / 1000} s`), totalMs).unref();
    main().catch((e) => fail(e?.message ?? String(e), e?.serverLog));
}

// examples/websocket_echo driven by the npm ws client (which offers
// permessage-deflate by default): text and binary echoed as they were, a
// 16 MiB message, a ping, the close handshake, and 1001 on SIGTERM.
//     node ws_client.test.mjs PATH/TO/websocket_echo
import WebSocket from 'ws';
import { STEP_MS, check, runTest, startExample } from './support.mjs';

const binary = process.argv[2];

function opened(url, options = {}) {
    const ws = new WebSocket(url, { maxPayload: 32 * 1024 * 1024, ...options });
    const queue = [], waiting = [];
    ws.on('message', (data, isBinary) => {
        const m = { data, isBinary };
        waiting.length ? waiting.shift()(m) : queue.push(m);
    });
    ws.next = () => new Promise((ok, ko) => {
        if (queue.length) return ok(queue.shift());
        const timer = setTimeout(() => ko(new Error('no message within STEP_MS')), STEP_MS);
        waiting.push((m) => { clearTimeout(timer); ok(m); });
    });
    ws.closed = new Promise((ok) => ws.on('close', (code, reason) => ok({ code, reason: `${reason}` })));
    return new Promise((ok, ko) => ws.once('open', () => ok(ws)).once('error', ko));
}

async function echo(url, options) {
    const ws = await opened(url, options);
    const label = options.perMessageDeflate === false ? 'plain' : 'deflate';
    check((ws.extensions.includes('permessage-deflate')) === (label === 'deflate'),
        `${label}: extensions "${ws.extensions}"`);
    ws.send('héllo');
    let m = await ws.next();
    check(!m.isBinary && m.data.toString() === 'héllo', `${label}: text echoed as text`);
    ws.send(Buffer.from([0, 1, 255]));
    m = await ws.next();
    check(m.isBinary && Buffer.compare(m.data, Buffer.from([0, 1, 255])) === 0, `${label}: binary echoed`);
    const big = Buffer.alloc(16 * 1024 * 1024, 'abcdefgh');
    ws.send(big);
    m = await ws.next();
    check(Buffer.compare(m.data, big) === 0, `${label}: 16 MiB echoed whole`);
    const pong = new Promise((ok) => ws.once('pong', ok));
    ws.ping('are you there');
    check(`${await pong}` === 'are you there', `${label}: ping answered`);
    ws.close(4000, 'done');
    const closed = await ws.closed;
    check(closed.code === 4000, `${label}: close answered with 4000 (got ${closed.code})`);
}

async function main() {
    const { server, port } = await startExample(binary);
    const url = `ws://127.0.0.1:${port}/echo`;
    try {
        await echo(url, {});
        await echo(url, { perMessageDeflate: false });
        const ws = await opened(url);
        server.kill('SIGTERM');
        const closed = await ws.closed;
        check(closed.code === 1001, `SIGTERM: the socket gets 1001 (got ${closed.code})`);
        const exited = await new Promise((ok) => server.once('exit', ok));
        check(exited === 0, `SIGTERM: exit ${exited}`);
    } catch (e) {
        e.serverLog = server.log;
        throw e;
    }
    console.log('ws client test: echo with and without permessage-deflate, 16 MiB, ping, close, 1001');
    console.log('1 passed, 0 failed');
}

runTest('ws client test', main);

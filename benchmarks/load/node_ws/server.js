// The Node.js WebSocket peer: npm's ws (the most used WebSocket server for
// Node), one process, echoing every message as it came (text or binary),
// without compression (the benchmark client offers none).
//     node server.js PORT
const { WebSocketServer } = require('ws');
const port = Number(process.argv[2] || 9104);
const server = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false });
server.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
process.on('SIGTERM', () => process.exit(0));

// The Node.js peer: the http module (llhttp inside, the same parser as
// bareasio), one process, the same two routes.
//     node node_server.js PORT
const http = require('http');
const port = Number(process.argv[2] || 8084);
http.createServer((req, res) => {
  if (req.url === '/plaintext') {
    res.writeHead(200, {'Content-Type': 'text/plain'});
    res.end('Hello, World!');
  } else if (req.url === '/json') {
    res.writeHead(200, {'Content-Type': 'application/json'});
    res.end(JSON.stringify({message: 'Hello, World!'}));
  } else {
    res.writeHead(404);
    res.end();
  }
}).listen(port, '127.0.0.1');

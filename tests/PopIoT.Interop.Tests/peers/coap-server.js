// A CoAP server for PopIoT's interop tests, made with the node `coap` package (an implementation nobody on PopIoT
// wrote). It listens on 127.0.0.1 (port from argv[2], 0 = ephemeral), prints {"port":N} once ready, and stops when
// stdin closes. Resources:
//   /hello  GET   -> 2.05 "world"
//   /echo   POST, PUT -> 2.04 with the request payload
//   /store  GET, PUT, DELETE (4.04 when empty)
//   /large  GET   -> 4096 bytes ("line 0000: ..." x 64), block-wise by the library
//   /obs    GET   observable: a notification every 100 ms, payload "n=<k>"
'use strict';

const coap = require('coap');

let stored = null;
const large = Buffer.alloc(4096);
for (let i = 0; i < 64; i++) {
  large.write('line ' + String(i).padStart(4, '0') + ': abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP\n', i * 64, 'ascii');
}

const server = coap.createServer({ type: 'udp4' });
server.on('request', (req, res) => {
  const path = req.url.split('?')[0];
  const method = req.method;
  if (path === '/hello' && method === 'GET') {
    res.code = '2.05';
    return res.end('world');
  }
  if (path === '/echo' && (method === 'POST' || method === 'PUT')) {
    res.code = '2.04';
    return res.end(req.payload);
  }
  if (path === '/store') {
    if (method === 'PUT') {
      res.code = stored === null ? '2.01' : '2.04';
      stored = Buffer.from(req.payload);
      return res.end();
    }
    if (method === 'GET') {
      if (stored === null) {
        res.code = '4.04';
        return res.end();
      }
      res.code = '2.05';
      return res.end(stored);
    }
    if (method === 'DELETE') {
      stored = null;
      res.code = '2.02';
      return res.end();
    }
  }
  if (path === '/large' && method === 'GET') {
    res.code = '2.05';
    return res.end(large);
  }
  if (path === '/obs' && method === 'GET') {
    res.code = '2.05';
    if (req.headers.Observe !== 0) {
      return res.end('n=0');
    }
    let k = 0;
    res.write('n=' + k);
    const timer = setInterval(() => { k++; res.write('n=' + k); }, 100);
    res.on('finish', () => clearInterval(timer));
    return;
  }
  res.code = '4.04';
  res.end();
});

server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server._sock.address().port }) + '\n');
});

process.stdin.on('end', () => process.exit(0));
process.stdin.resume();

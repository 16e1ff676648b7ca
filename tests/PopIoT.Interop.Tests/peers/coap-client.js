// A CoAP client for PopIoT's interop tests, made with the node `coap` package. One request per run:
//   node coap-client.js METHOD URL [PAYLOAD_HEX] [--non] [--observe COUNT]
// Prints one JSON line per response: {"code":"2.05","payload":HEX,"observe":N|null,"contentFormat":S|null}.
// Exit 0 after the response (or COUNT notifications), 3 on a timeout or error.
'use strict';

const coap = require('coap');

const args = process.argv.slice(2);
const method = args[0];
const url = new URL(args[1]);
let payload = null;
let confirmable = true;
let observe = 0;
for (let i = 2; i < args.length; i++) {
  if (args[i] === '--non') {
    confirmable = false;
  } else if (args[i] === '--observe') {
    observe = Number(args[++i]);
  } else {
    payload = Buffer.from(args[i], 'hex');
  }
}

const timer = setTimeout(() => { process.stderr.write('timeout\n'); process.exit(3); }, 20000);
const req = coap.request({
  hostname: url.hostname.replace(/^\[|\]$/g, ''),
  port: url.port ? Number(url.port) : 5683,
  pathname: url.pathname,
  query: url.search ? url.search.slice(1) : '',
  method,
  confirmable,
  observe: observe > 0
});

req.on('response', (res) => {
  let seen = 0;
  const print = (data) => {
    process.stdout.write(JSON.stringify({
      code: res.code,
      payload: Buffer.from(data).toString('hex'),
      observe: res.headers.Observe === undefined ? null : res.headers.Observe,
      contentFormat: res.headers['Content-Format'] === undefined ? null : String(res.headers['Content-Format'])
    }) + '\n');
  };
  if (observe > 0) {
    res.on('data', (data) => {
      print(data);
      if (++seen >= observe) {
        clearTimeout(timer);
        res.close();
        setTimeout(() => process.exit(0), 50);
      }
    });
    return;
  }
  print(res.payload);
  clearTimeout(timer);
  setTimeout(() => process.exit(0), 10);
});
req.on('error', (e) => { process.stderr.write(String(e) + '\n'); process.exit(3); });
req.on('timeout', (e) => { process.stderr.write('timeout ' + String(e) + '\n'); process.exit(3); });
if (payload !== null) {
  req.write(payload);
}
req.end();

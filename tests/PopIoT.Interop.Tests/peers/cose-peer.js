// A COSE peer for PopIoT's interop tests, driven over stdin/stdout with one JSON object per
// line. It uses cose-js (an implementation nobody on PopIoT wrote) for every operation, so a
// message that passes here was understood by an independent COSE stack.
//
// Requests (all byte values are lower-case hex):
//   {"op":"version"}
//   {"op":"mac0.create","alg":"HS256/64"|"HS256","key":K,"payload":P,"aad":A,"kid":KID?}
//   {"op":"mac0.verify","key":K,"msg":M,"aad":A}
//   {"op":"encrypt0.create","alg":"AES-CCM-16-64-128"|...|"A128GCM","key":K,"iv":IV,"payload":P,"aad":A,"kid":KID?}
//   {"op":"encrypt0.decrypt","key":K,"msg":M,"aad":A}
//   {"op":"sign1.create","alg":"ES256","d":D,"payload":P,"aad":A,"kid":KID?}
//   {"op":"sign1.verify","x":X,"y":Y,"msg":M,"aad":A}
// Replies: {"ok":true,"msg":M} / {"ok":true,"payload":P} / {"ok":false,"error":"..."}.
'use strict';

const readline = require('readline');
const cose = require('cose-js');

const hex = (s) => Buffer.from(s || '', 'hex');

function headers (alg, kid) {
  const h = { p: { alg }, u: {} };
  if (kid) {
    h.u.kid = hex(kid);
  }
  return h;
}

async function handle (r) {
  switch (r.op) {
    case 'version':
      return { ok: true, version: require('cose-js/package.json').version };
    case 'mac0.create': {
      const msg = await cose.mac.create(headers(r.alg, r.kid), hex(r.payload), { key: hex(r.key) }, hex(r.aad));
      return { ok: true, msg: msg.toString('hex') };
    }
    case 'mac0.verify': {
      const payload = await cose.mac.read(hex(r.msg), hex(r.key), hex(r.aad));
      return { ok: true, payload: payload.toString('hex') };
    }
    case 'encrypt0.create': {
      const iv = hex(r.iv);
      const msg = await cose.encrypt.create(headers(r.alg, r.kid), hex(r.payload), { key: hex(r.key) },
        { externalAAD: hex(r.aad), randomSource: (n) => { if (n !== iv.length) throw new Error('IV length ' + iv.length + ' but ' + n + ' needed'); return iv; } });
      return { ok: true, msg: msg.toString('hex') };
    }
    case 'encrypt0.decrypt': {
      const payload = await cose.encrypt.read(hex(r.msg), hex(r.key), { externalAAD: hex(r.aad), defaultType: cose.encrypt.Encrypt0Tag });
      return { ok: true, payload: payload.toString('hex') };
    }
    case 'sign1.create': {
      const signer = { key: { d: hex(r.d) }, externalAAD: hex(r.aad) };
      const msg = await cose.sign.create(headers(r.alg, r.kid), hex(r.payload), signer);
      return { ok: true, msg: msg.toString('hex') };
    }
    case 'sign1.verify': {
      const verifier = { key: { x: hex(r.x), y: hex(r.y) }, externalAAD: hex(r.aad) };
      const payload = await cose.sign.verify(hex(r.msg), verifier, { defaultType: cose.sign.Sign1Tag });
      return { ok: true, payload: payload.toString('hex') };
    }
    default:
      return { ok: false, error: 'unknown op ' + r.op };
  }
}

const rl = readline.createInterface({ input: process.stdin, terminal: false });
// Answer strictly in order: one line in, one line out.
let chain = Promise.resolve();
rl.on('line', (line) => {
  chain = chain.then(async () => {
    let reply;
    try {
      reply = await handle(JSON.parse(line));
    } catch (e) {
      reply = { ok: false, error: String(e && e.message ? e.message : e) };
    }
    process.stdout.write(JSON.stringify(reply) + '\n');
  });
});
rl.on('close', () => { chain.then(() => process.exit(0)); });

#!/usr/bin/env python3
"""An independent CoAP GET load generator for `popiot bench suite` (docs/benchmarks.md).

It shares no code with PopIoT: Python's standard library only (socket, selectors), so a server is
never measured only by PopIoT's own client. CONCURRENCY clients, each with its own UDP socket and one
confirmable GET outstanding at a time (NSTART 1, RFC 7252 §4.7), send until REQUESTS have been
answered or timed out; with --rate the sends are also held to a fixed overall rate (requests/s).
A request is counted good when a 2.xx answer with its Message ID (piggybacked, RFC 7252 §5.2.1) or
its token (separate response, §5.2.2) arrives; one unanswered within --timeout is an error (no
retransmission: on loopback a lost datagram is a fault to count, not to hide).
Prints one JSON object on a line.
"""
import argparse
import json
import selectors
import socket
import struct
import time


def build_get(mid, token, path):
    # RFC 7252 §3: Ver 1, CON, TKL 2; code 0.01 GET; Uri-Path options (number 11) per segment.
    out = bytearray(struct.pack("!BBH", 0x42, 0x01, mid)) + token
    last = 0
    for seg in [s for s in path.split("/") if s]:
        b = seg.encode("utf-8")
        delta = 11 - last
        last = 11
        if len(b) < 13:
            out.append((delta << 4) | len(b))
        else:
            out.append((delta << 4) | 13)
            out.append(len(b) - 13)
        out += b
    return bytes(out)


def percentile(sorted_ms, q):
    if not sorted_ms:
        return 0.0
    i = max(0, min(len(sorted_ms) - 1, int(-(-q * len(sorted_ms) // 1)) - 1))
    return sorted_ms[i]


class Client:
    def __init__(self, host, port, index):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.connect((host, port))
        self.sock.setblocking(False)
        self.mid = (index * 4099) & 0xFFFF
        self.index = index
        self.serial = 0
        self.busy = False
        self.sent_at = 0.0
        self.token = b""
        self.cur_mid = 0
        self.slot = -1

    def send(self, path, slot):
        self.mid = (self.mid + 1) & 0xFFFF
        self.serial = (self.serial + 1) & 0xFFFF
        self.cur_mid = self.mid
        self.token = struct.pack("!H", self.serial)
        self.slot = slot
        self.busy = True
        self.sent_at = time.perf_counter()
        self.sock.send(build_get(self.mid, self.token, path))

    def answered(self, data):
        """Returns True when data completes the outstanding request; acknowledges a CON separate response."""
        if len(data) < 4:
            return False
        first, code, mid = struct.unpack("!BBH", data[:4])
        mtype = (first >> 4) & 0x3
        tkl = first & 0x0F
        token = data[4:4 + tkl]
        if mtype == 2 and mid == self.cur_mid and code == 0:
            return False  # empty ACK: the answer comes separately (RFC 7252 §5.2.2)
        if mtype == 0 and code != 0:
            self.sock.send(struct.pack("!BBH", 0x60, 0, mid))  # ACK the CON separate response
        matches = (mtype == 2 and mid == self.cur_mid) or (mtype in (0, 1) and token == self.token)
        return matches and token == self.token


def run(args):
    clients = [Client(args.host, args.port, i) for i in range(args.concurrency)]
    sel = selectors.DefaultSelector()
    for c in clients:
        sel.register(c.sock, selectors.EVENT_READ, c)
    total = args.warmup + args.requests
    latencies = []
    good = 0
    errors = 0
    issued = 0
    done = 0
    interval = 1.0 / args.rate if args.rate > 0 else 0.0
    start = None
    measure_start = None
    start = time.perf_counter()
    while done < total:
        now = time.perf_counter()
        for c in clients:
            if c.busy and now - c.sent_at > args.timeout:
                c.busy = False
                done += 1
                if c.slot >= args.warmup:
                    errors += 1
            if not c.busy and issued < total:
                if interval and now < start + issued * interval:
                    continue
                if issued == args.warmup:
                    measure_start = time.perf_counter()
                c.send(args.path, issued)
                issued += 1
        wait = 0.05
        if interval and issued < total:
            wait = max(0.0, min(wait, start + issued * interval - time.perf_counter()))
        for key, _ in sel.select(wait):
            c = key.data
            while True:
                try:
                    data = c.sock.recv(2048)
                except BlockingIOError:
                    break
                except ConnectionRefusedError:
                    break
                if c.busy and c.answered(data):
                    t = time.perf_counter()
                    c.busy = False
                    done += 1
                    ok = len(data) > 1 and (data[1] >> 5) == 2
                    if c.slot >= args.warmup:
                        if ok:
                            good += 1
                            latencies.append((t - c.sent_at) * 1000.0)
                        else:
                            errors += 1
                    if issued < total and not (interval and t < start + issued * interval):
                        if issued == args.warmup:
                            measure_start = time.perf_counter()
                        c.send(args.path, issued)
                        issued += 1
    seconds = time.perf_counter() - (measure_start or start)
    for c in clients:
        c.sock.close()
    latencies.sort()
    print(json.dumps({
        "generator": "python-stdlib",
        "requests": args.requests,
        "concurrency": args.concurrency,
        "rate": args.rate,
        "ok": good,
        "errors": errors,
        "seconds": round(seconds, 4),
        "requests_per_s": round(good / seconds) if seconds > 0 else 0,
        "latency_ms_p50": round(percentile(latencies, 0.50), 3),
        "latency_ms_p90": round(percentile(latencies, 0.90), 3),
        "latency_ms_p99": round(percentile(latencies, 0.99), 3),
        "latency_ms_max": round(latencies[-1], 3) if latencies else 0.0,
    }))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5683)
    p.add_argument("--path", default="/time")
    p.add_argument("--requests", type=int, default=10000)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--warmup", type=int, default=0, help="requests sent first and not counted")
    p.add_argument("--rate", type=float, default=0.0, help="requests/s over all clients; 0: as fast as answers come")
    p.add_argument("--timeout", type=float, default=5.0)
    a = p.parse_args()
    if a.requests < 1 or a.concurrency < 1 or a.concurrency > 1024 or a.timeout <= 0 or a.rate < 0 or a.warmup < 0:
        p.error("--requests and --concurrency (1..1024) must be positive, --timeout above 0, --rate and --warmup not negative")
    run(a)


if __name__ == "__main__":
    main()

import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { post } from '../../bench/http-client';

/**
 * A server that answers each request with what it saw, and that drops (without answering) the
 * requests `drop` picks, by the request's number on its connection.
 */
async function server(drop: (nthOnConnection: number) => boolean) {
  const connections: number[] = [];
  const srv = http.createServer((req, res) => {
    const socket = req.socket as typeof req.socket & { index?: number };
    if (socket.index === undefined) socket.index = connections.push(0) - 1;
    const nth = ++connections[socket.index]!;
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      if (drop(nth)) {
        socket.destroy();
        return;
      }
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ body: JSON.parse(body), authorization: req.headers.authorization, idempotencyKey: req.headers['idempotency-key'] ?? null }));
    });
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/`, connections, close: () => new Promise((r) => srv.close(r)) };
}

describe("the benchmarks' POST", () => {
  it('sends JSON with the bearer key and extra headers, parses the answer, and keeps the connection', async () => {
    const s = await server(() => false);
    try {
      const first = await post(s.url, 'k1', { a: 1 }, { 'idempotency-key': 'i-1' });
      const second = await post(s.url, 'k1', { a: 2 });
      expect(first).toEqual({ status: 201, body: { body: { a: 1 }, authorization: 'Bearer k1', idempotencyKey: 'i-1' } });
      expect(second.body).toEqual({ body: { a: 2 }, authorization: 'Bearer k1', idempotencyKey: null });
      expect(s.connections).toEqual([2]);
    } finally {
      await s.close();
    }
  });

  it('sends a request again on a new connection when a kept one was closed under it', async () => {
    // The second request on a connection is dropped, as by a server closing an idle connection.
    const s = await server((nth) => nth === 2);
    try {
      await post(s.url, 'k', { n: 1 });
      const again = await post(s.url, 'k', { n: 2 });
      expect(again.body.body).toEqual({ n: 2 });
      expect(s.connections).toEqual([2, 1]);
    } finally {
      await s.close();
    }
  });

  it('fails a request dropped on a new connection: only a kept connection is tried again', async () => {
    const s = await server(() => true);
    try {
      await expect(post(s.url, 'k', { n: 1 })).rejects.toThrow(/socket hang up|ECONNRESET/);
      expect(s.connections).toEqual([1]);
    } finally {
      await s.close();
    }
  });
});

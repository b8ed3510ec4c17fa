/**
 * The benchmarks' HTTP client: JSON POSTs with a bearer key, over connections kept open between
 * requests.
 */
import http from 'node:http';

/**
 * Connections the load generator keeps open between requests. The load generator shares the
 * benchmark's cores with what it measures, so its own cost per request counts: `fetch` spent
 * 0.40-0.45 ms of CPU per POST where `node:http` with a kept-alive connection spends 0.11-0.14
 * (bench/RESULTS.md, 2026-12-06), about a quarter of the API's own per alert.
 */
const keptAlive = new http.Agent({ keepAlive: true });

/**
 * POSTs JSON with a bearer key (and any other headers); the status and the parsed answer. A kept
 * connection the server closed while idle fails the request before the server reads it: that
 * request is sent once more, on a new connection.
 */
export async function post(url: string, key: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const payload = JSON.stringify(body);
  try {
    return await postOnce(url, key, payload, headers);
  } catch (err) {
    if ((err as { closedIdle?: boolean }).closedIdle) return postOnce(url, key, payload, headers);
    throw err;
  }
}

function postOnce(url: string, key: string, payload: string, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent: keptAlive, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON: keep the text for the error message
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => reject(Object.assign(err, { closedIdle: req.reusedSocket && err.code === 'ECONNRESET' })));
    req.end(payload);
  });
}

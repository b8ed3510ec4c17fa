/** A Server-Sent Events reader over fetch, for tests of GET /v1/events. */
export interface StreamEvent {
  event: string;
  data: string;
}

export interface EventStreamReader {
  status: number;
  headers: Headers;
  events: StreamEvent[];
  /** Resolves with the first event (already received or still to come) that matches, or rejects after `ms`. */
  next(matches: (event: StreamEvent) => boolean, ms?: number): Promise<StreamEvent>;
  close(): void;
}

export async function openEventStream(url: string, headers: Record<string, string>): Promise<EventStreamReader> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const events: StreamEvent[] = [];
  const waiters = new Set<() => void>();
  if (response.ok && response.body) {
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let event = 'message';
            const data: string[] = [];
            for (const line of block.split('\n')) {
              if (line.startsWith('event: ')) event = line.slice(7);
              else if (line.startsWith('data: ')) data.push(line.slice(6));
            }
            if (data.length) events.push({ event, data: data.join('\n') });
            for (const wake of waiters) wake();
          }
        }
      } catch {
        // aborted by close(), or the server ended the stream
      }
    })();
  }
  return {
    status: response.status,
    headers: response.headers,
    events,
    next(matches, ms = 5_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(matches);
          if (!found) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching event within ${ms} ms; received: ${JSON.stringify(events).slice(0, 500)}`));
        }, ms);
        if (!check()) waiters.add(check);
      });
    },
    close: () => controller.abort(),
  };
}

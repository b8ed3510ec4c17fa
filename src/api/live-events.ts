import type { Request, Response } from 'express';
import type { IncidentChange, IncidentChangeFeed } from '../db/incident-change-feed';
import { HttpProblem } from './problem';

/** A comment line this often keeps proxies and browsers from closing an idle stream. */
export const HEARTBEAT_MS = 15_000;
/** How long a browser waits before reconnecting after the stream dropped. */
const RETRY_MS = 2_000;
/** Open streams one API process serves; more wait for a replica with room (503 with Retry-After). */
export const MAX_STREAMS = 500;

export interface LiveEventsOptions {
  feed: IncidentChangeFeed;
  heartbeatMs?: number;
  maxStreams?: number;
}

/**
 * GET /v1/events: a Server-Sent Events stream of incident changes for the console (and any client
 * that reads incidents). Each event names an incident, its state version and phase, never its
 * contents: what the client shows it reads through the API with its own rights. After the server
 * lost its LISTEN connection a `resync` event says that changes may have been missed.
 */
export class LiveEvents {
  private readonly streams = new Set<Response>();
  private readonly heartbeatMs: number;
  private readonly maxStreams: number;

  constructor(private readonly options: LiveEventsOptions) {
    this.heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
    this.maxStreams = options.maxStreams ?? MAX_STREAMS;
  }

  /** Answers GET /v1/events: holds the response open and writes each change to it. */
  stream(req: Request, res: Response): void {
    if (this.streams.size >= this.maxStreams) {
      throw new HttpProblem(503, 'too-many-streams', 'Too many event streams', `this API process serves ${this.maxStreams} streams at most; try again`, { headers: { 'Retry-After': '5' } });
    }
    res.status(200);
    res.set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      // nginx and others buffer a response unless told not to; an event must arrive at once.
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    res.write(`retry: ${RETRY_MS}\n\n`);
    this.streams.add(res);
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    const unsubscribe = this.options.feed.subscribe(
      (change: IncidentChange) => send('incident', change),
      () => send('resync', {}),
    );
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), this.heartbeatMs);
    const end = () => {
      clearInterval(heartbeat);
      unsubscribe();
      this.streams.delete(res);
    };
    req.on('close', end);
    res.on('close', end);
  }

  get open(): number {
    return this.streams.size;
  }

  /** Ends every stream (the browsers reconnect, to another replica when this one is going away). */
  closeAll(): void {
    for (const res of this.streams) res.end();
    this.streams.clear();
  }
}

/**
 * The one event stream the console listens on (GET /v1/events): the server sends `incident` events
 * whenever an incident's read model is written, from PostgreSQL LISTEN/NOTIFY, so any API replica
 * sees every change. Views subscribe and refetch what they show through the API.
 */

export interface IncidentChanged {
  incidentId: string;
  version: number;
  phase?: string;
}

type Listener = (change: IncidentChanged) => void;

const listeners = new Set<Listener>();
let source: EventSource | undefined;
let connected = false;
const statusListeners = new Set<(connected: boolean) => void>();

function open(): void {
  if (source) return;
  source = new EventSource('/v1/events', { withCredentials: true });
  source.addEventListener('open', () => setConnected(true));
  source.addEventListener('error', () => setConnected(false));
  source.addEventListener('incident', (event) => {
    let change: IncidentChanged;
    try {
      change = JSON.parse((event as MessageEvent<string>).data) as IncidentChanged;
    } catch {
      return;
    }
    for (const listener of listeners) listener(change);
  });
}

function setConnected(value: boolean): void {
  connected = value;
  for (const listener of statusListeners) listener(value);
}

/** Calls `listener` for every change until the returned function is called. */
export function onIncidentChanged(listener: Listener): () => void {
  open();
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Whether the stream is connected now, and every change of that. */
export function onLiveStatus(listener: (connected: boolean) => void): () => void {
  open();
  statusListeners.add(listener);
  listener(connected);
  return () => statusListeners.delete(listener);
}

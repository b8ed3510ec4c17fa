import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Problem, type Session } from '../api';
import { Countdown } from '../components/countdown';
import { Link } from '../components/link';
import { ProblemMessage } from '../components/problem-message';
import { formatTime } from '../format';
import { onIncidentChanged } from '../live';
import { replaceQuery, useLocation } from '../router';
import { coalescing } from './incident/refetch';
import { filtersFromQuery, isMine, listPath, queryFromFilters, rowOverdue, type QueueFilters, type QueueItem, type QueueList } from './incident/queue-rules';
import { PHASES, SEVERITIES, severityLevel, type Phase } from './incident/state';
import { waitingFor } from './incident/waiting';

/** Incidents per page. */
const PAGE_SIZE = 25;
/** Changes within this long of a refetch are gathered into one more. */
const REFETCH_WINDOW_MS = 200;

interface Page {
  rows: QueueItem[];
  next: string | null;
}

function useNow(everyMs: number): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

function Filters(props: { filters: QueueFilters; apply: (filters: QueueFilters) => void }) {
  const { filters, apply } = props;
  const [source, setSource] = useState(filters.source ?? '');
  useEffect(() => setSource(filters.source ?? ''), [filters.source]);
  const change = (patch: Partial<QueueFilters>) => apply({ ...filters, ...patch, cursor: undefined });
  return (
    <form
      class="filters"
      aria-label="Filters"
      onSubmit={(event) => {
        event.preventDefault();
        const trimmed = source.trim();
        const { source: _old, ...rest } = filters;
        apply({ ...rest, ...(trimmed ? { source: trimmed } : {}), cursor: undefined });
      }}
    >
      <div>
        <label for="queue-phase">Phase</label>
        <select
          id="queue-phase"
          value={filters.phase ?? ''}
          onChange={(event) => {
            const value = (event.currentTarget as HTMLSelectElement).value as Phase | '';
            const { phase: _old, ...rest } = filters;
            apply({ ...rest, ...(value ? { phase: value } : {}), cursor: undefined });
          }}
        >
          <option value="">All open</option>
          {PHASES.map((phase) => (
            <option key={phase} value={phase}>{phase}</option>
          ))}
        </select>
      </div>
      <div>
        <label for="queue-severity">Severity</label>
        <select
          id="queue-severity"
          value={filters.severity ?? ''}
          onChange={(event) => {
            const value = (event.currentTarget as HTMLSelectElement).value as (typeof SEVERITIES)[number] | '';
            const { severity: _old, ...rest } = filters;
            apply({ ...rest, ...(value ? { severity: value } : {}), cursor: undefined });
          }}
        >
          <option value="">Any</option>
          {SEVERITIES.map((severity) => (
            <option key={severity} value={severity}>{`${severityLevel(severity)} (${severity})`}</option>
          ))}
        </select>
      </div>
      <div>
        <label for="queue-source">Source</label>
        <input id="queue-source" type="text" value={source} maxLength={100} placeholder="any" onInput={(event) => setSource((event.currentTarget as HTMLInputElement).value)} />
      </div>
      <div class="checks">
        <label class="check" for="queue-overdue">
          <input id="queue-overdue" type="checkbox" checked={filters.overdue} onChange={(event) => change({ overdue: (event.currentTarget as HTMLInputElement).checked })} />
          Overdue only
        </label>
        <label class="check" for="queue-mine">
          <input id="queue-mine" type="checkbox" checked={filters.mine} onChange={(event) => change({ mine: (event.currentTarget as HTMLInputElement).checked })} />
          Mine only
        </label>
      </div>
      <button type="submit">Apply filters</button>
    </form>
  );
}

function QueueRow(props: { row: QueueItem; now: Date }) {
  const { row, now } = props;
  const overdue = rowOverdue(row, now);
  const waiting = row.state ? waitingFor(row.state, now) : undefined;
  const deadline = row.escalatesAt ?? undefined;
  return (
    <tr class={overdue ? 'overdue' : undefined}>
      <th scope="row">
        <Link href={`/console/incidents/${encodeURIComponent(row.incidentId)}`}>{row.title}</Link>
      </th>
      <td>
        <span class={`sev-${severityLevel(row.severity)}`}>{severityLevel(row.severity)}</span> {row.severity}
      </td>
      <td>{row.phase}</td>
      <td>{waiting ? `${waiting.what} from ${waiting.whom}` : row.state ? '—' : 'state unavailable'}</td>
      <td>
        {/* A deadline already past reads "overdue by …" itself; a future one is the next page of an overdue incident. */}
        {deadline && Date.parse(deadline) <= now.getTime() ? (
          <Countdown until={deadline} />
        ) : (
          <>
            {overdue ? <strong class="overdue-text">overdue</strong> : null}
            {overdue && deadline ? ', next page ' : null}
            {deadline ? <Countdown until={deadline} /> : overdue ? null : '—'}
          </>
        )}
      </td>
      <td>{row.escalationLevel}</td>
      <td>{row.commander ?? '—'}</td>
      <td>{row.source}</td>
      <td>{formatTime(row.openedAt)}</td>
    </tr>
  );
}

export function QueueView(props: { session: Session }) {
  const { query } = useLocation();
  const filters = filtersFromQuery(query);
  const key = queryFromFilters(filters).toString();
  const [page, setPage] = useState<Page | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  const [loading, setLoading] = useState(true);
  const now = useNow(5_000);
  /** Loads are numbered: one that ends after a later one has been shown is dropped, and so is one for filters no longer shown. */
  const latest = useRef(0);
  const shownTicket = useRef(0);
  const filterTicket = useRef(0);

  const load = async () => {
    const ticket = ++latest.current;
    const answer = await api.get<QueueList>(listPath(filters, PAGE_SIZE));
    if (ticket < shownTicket.current || ticket < filterTicket.current) return;
    shownTicket.current = ticket;
    setLoading(false);
    if (!answer.ok) {
      setProblem(answer.problem);
      return;
    }
    setProblem(undefined);
    setPage({ rows: answer.body.items, next: answer.body.nextCursor });
  };

  useEffect(() => {
    setLoading(true);
    filterTicket.current = latest.current + 1;
    void load();
  }, [key]);

  useEffect(() => {
    const refetch = coalescing(() => void load(), REFETCH_WINDOW_MS);
    const stop = onIncidentChanged(() => refetch.trigger());
    return () => {
      refetch.cancel();
      stop();
    };
  }, [key]);

  const apply = (next: QueueFilters) => replaceQuery(queryFromFilters(next));
  const person = props.session.principal;
  // The API lists in the queue's order and filters all but "mine".
  const shown = (page?.rows ?? []).filter((row) => !filters.mine || (row.state !== undefined && isMine(row.state, person)));
  const hasNext = Boolean(page?.next);
  const paged = filters.cursor !== undefined;

  return (
    <section>
      <h1>Incidents</h1>
      <Filters filters={filters} apply={apply} />
      <ProblemMessage problem={problem} />
      <p class="muted" aria-live="polite">
        {loading && !page
          ? 'Loading incidents…'
          : `${shown.length} ${shown.length === 1 ? 'incident' : 'incidents'} on this page, ${filters.phase === 'closed' || filters.phase === 'dismissed' ? 'newest first' : 'overdue first, then the soonest escalation'}.`}
        {filters.mine ? ` “Mine”: you hold one of the incident's roles or an open task of it is assigned to you (${person.name}).` : ''}
      </p>
      <table class="queue">
        <caption class="visually-hidden">Open incidents, sorted by the next deadline</caption>
        <thead>
          <tr>
            <th scope="col">Title</th>
            <th scope="col">Severity</th>
            <th scope="col">Phase</th>
            <th scope="col">Waiting for</th>
            <th scope="col">Next deadline</th>
            <th scope="col">Level</th>
            <th scope="col">Commander</th>
            <th scope="col">Source</th>
            <th scope="col">Opened</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((row) => (
            <QueueRow key={row.incidentId} row={row} now={now} />
          ))}
          {page && shown.length === 0 ? (
            <tr>
              <td colSpan={9}>No incidents match on this page.</td>
            </tr>
          ) : null}
        </tbody>
      </table>
      <div class="pager">
        {paged ? (
          <button type="button" class="secondary" onClick={() => apply({ ...filters, cursor: undefined })}>
            First page
          </button>
        ) : null}
        {hasNext ? (
          <button type="button" onClick={() => apply({ ...filters, cursor: page!.next! })}>
            Next page
          </button>
        ) : null}
      </div>
    </section>
  );
}

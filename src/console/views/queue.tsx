import { useEffect, useRef, useState } from 'preact/hooks';
import { api, incidentPath, type Problem, type Session } from '../api';
import { Countdown } from '../components/countdown';
import { Link } from '../components/link';
import { ProblemMessage } from '../components/problem-message';
import { formatTime } from '../format';
import { onIncidentChanged } from '../live';
import { replaceQuery, useLocation } from '../router';
import { coalescing } from './incident/refetch';
import { byNextDeadline, filtersFromQuery, isMine, listRequests, queryFromFilters, type QueueFilters } from './incident/queue-rules';
import { PHASES, SEVERITIES, severityLevel, type IncidentList, type IncidentState, type IncidentSummary, type Phase } from './incident/state';
import { isOverdue, nextEscalationAt, waitingFor } from './incident/waiting';

/** Incidents per phase and page: "all open" asks four phases, so a page shows at most four times this. */
const PAGE_SIZE = 25;
/** Changes within this long of a refetch are gathered into one more. */
const REFETCH_WINDOW_MS = 200;

interface Row {
  summary: IncidentSummary;
  /** The incident's live state (its deadlines are not in the list); absent when it could not be read. */
  state?: IncidentState;
  /** Its state is being read. */
  pending?: boolean;
}

interface Page {
  rows: Row[];
  next: Partial<Record<Phase, string>>;
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
  const change = (patch: Partial<QueueFilters>) => apply({ ...filters, ...patch, cursors: {} });
  return (
    <form
      class="filters"
      aria-label="Filters"
      onSubmit={(event) => {
        event.preventDefault();
        const trimmed = source.trim();
        const { source: _old, ...rest } = filters;
        apply({ ...rest, ...(trimmed ? { source: trimmed } : {}), cursors: {} });
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
            apply({ ...rest, ...(value ? { phase: value } : {}), cursors: {} });
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
            apply({ ...rest, ...(value ? { severity: value } : {}), cursors: {} });
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

function QueueRow(props: { row: Row; now: Date }) {
  const { summary, state, pending } = props.row;
  const now = props.now;
  const overdue = state ? isOverdue(state, now) : false;
  const waiting = state ? waitingFor(state, now) : undefined;
  const deadline = state ? nextEscalationAt(state, now) : undefined;
  return (
    <tr class={overdue ? 'overdue' : undefined}>
      <th scope="row">
        <Link href={`/console/incidents/${encodeURIComponent(summary.incidentId)}`}>{summary.title}</Link>
      </th>
      <td>
        <span class={`sev-${severityLevel(summary.severity)}`}>{severityLevel(summary.severity)}</span> {summary.severity}
      </td>
      <td>{summary.phase}</td>
      <td>{waiting ? `${waiting.what} from ${waiting.whom}` : state ? '—' : pending ? 'reading…' : 'state unavailable'}</td>
      <td>
        {overdue ? <strong class="overdue-text">overdue</strong> : null}
        {overdue && deadline ? ', next page ' : null}
        {deadline ? <Countdown until={deadline} /> : overdue ? null : '—'}
      </td>
      <td>{summary.escalationLevel}</td>
      <td>{summary.commander ?? '—'}</td>
      <td>{summary.source}</td>
      <td>{formatTime(summary.openedAt)}</td>
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
  /** Incident states by id, with their version: a change event drops only the incident it names. */
  const states = useRef(new Map<string, IncidentState>());
  /** Loads are numbered: one that ends after a later one has been shown is dropped, and so is one for filters no longer shown. */
  const latest = useRef(0);
  const shownTicket = useRef(0);
  const filterTicket = useRef(0);

  const load = async () => {
    const ticket = ++latest.current;
    const stale = () => ticket < shownTicket.current || ticket < filterTicket.current;
    const requests = listRequests(filters, PAGE_SIZE);
    const answers = await Promise.all(requests.map((r) => api.get<IncidentList>(r.path)));
    if (stale()) return;
    const failed = answers.find((a) => !a.ok);
    if (failed && !failed.ok) {
      setProblem(failed.problem);
      setLoading(false);
      return;
    }
    const summaries: IncidentSummary[] = [];
    const next: Partial<Record<Phase, string>> = {};
    answers.forEach((answer, i) => {
      if (!answer.ok) return;
      summaries.push(...answer.body.items);
      if (answer.body.nextCursor) next[requests[i]!.phase] = answer.body.nextCursor;
    });
    // The rows at once, with the states known; then the states that were not (a new incident's row
    // shows before its deadline does).
    const cachedState = (summary: IncidentSummary) => {
      const cached = states.current.get(summary.incidentId);
      return cached && cached.phase === summary.phase ? cached : undefined;
    };
    const rows = summaries.map((summary): Row => {
      const state = cachedState(summary);
      return state ? { summary, state } : { summary, pending: true };
    });
    shownTicket.current = ticket;
    setProblem(undefined);
    setPage({ rows, next });
    setLoading(false);
    if (!rows.some((row) => row.pending)) return;
    const filled = await Promise.all(
      rows.map(async (row): Promise<Row> => {
        if (!row.pending) return row;
        const answer = await api.get<IncidentState>(incidentPath(row.summary.incidentId));
        if (!answer.ok) return { summary: row.summary };
        states.current.set(row.summary.incidentId, answer.body);
        return { summary: row.summary, state: answer.body };
      }),
    );
    if (stale()) return;
    setPage({ rows: filled, next });
    setLoading(false);
  };

  useEffect(() => {
    setLoading(true);
    states.current.clear();
    filterTicket.current = latest.current + 1;
    void load();
  }, [key]);

  useEffect(() => {
    const refetch = coalescing(() => void load(), REFETCH_WINDOW_MS);
    const stop = onIncidentChanged((change) => {
      const cached = states.current.get(change.incidentId);
      if (!cached || cached.version < change.version) states.current.delete(change.incidentId);
      refetch.trigger();
    });
    return () => {
      refetch.cancel();
      stop();
    };
  }, [key]);

  const apply = (next: QueueFilters) => replaceQuery(queryFromFilters(next));
  const person = props.session.principal;
  const shown = (page?.rows ?? [])
    .filter((row) => !filters.overdue || (row.state !== undefined && isOverdue(row.state, now)))
    .filter((row) => !filters.mine || (row.state !== undefined && isMine(row.state, person)))
    .sort((a, b) => {
      if (a.state && b.state) return byNextDeadline(now)(a.state, b.state);
      return a.state ? -1 : b.state ? 1 : 0;
    });
  const hasNext = page !== undefined && Object.keys(page.next).length > 0;
  const paged = Object.keys(filters.cursors).length > 0;

  return (
    <section>
      <h1>Incidents</h1>
      <Filters filters={filters} apply={apply} />
      <ProblemMessage problem={problem} />
      <p class="muted" aria-live="polite">
        {loading && !page
          ? 'Loading incidents…'
          : `${shown.length} ${shown.length === 1 ? 'incident' : 'incidents'} on this page, soonest escalation first.`}
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
            <QueueRow key={row.summary.incidentId} row={row} now={now} />
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
          <button type="button" class="secondary" onClick={() => apply({ ...filters, cursors: {} })}>
            First page
          </button>
        ) : null}
        {hasNext ? (
          <button type="button" onClick={() => apply({ ...filters, cursors: page!.next })}>
            Next page
          </button>
        ) : null}
      </div>
    </section>
  );
}

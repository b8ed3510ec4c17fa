import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, incidentPath, type Problem, type Session } from '../api';
import { Link } from '../components/link';
import { ProblemMessage } from '../components/problem-message';
import { onIncidentChanged } from '../live';
import { summariseAudit, summariseReplay, isRunning, retryAfterMs, type AuditPage, type AuditSummary, type ReplayReport, type ReplayRunning, type ReplaySummary } from './auditor/verdicts';
import type { TimelineAnswer, TimelineItem } from '../../domain/timeline-item';

interface IncidentHeader {
  incidentId: string;
  title: string;
  phase: string;
  severity: string;
  version: number;
}

type TimelinePage = TimelineAnswer;

/** Audit times to the second: an auditor orders events that a minute would merge. */
const precise = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const preciseTime = (iso: string) => {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : precise.format(date);
};

/** At most this many audit pages per verification (the API's pages hold up to 1,000 entries). */
const AUDIT_PAGE_LIMIT = 1_000;
const MAX_AUDIT_PAGES = 200;
/** Outcomes the timeline marks: a request refused, or a decision or step that failed. */
const REFUSED = new Set(['rejected', 'denied', 'failed']);
/** A replay that has no verdict after this long is reported as still running. */
const REPLAY_GIVE_UP_MS = 5 * 60_000;

function detailsText(details: unknown): string {
  if (details === undefined || details === null) return '';
  const text = typeof details === 'string' ? details : JSON.stringify(details);
  return text.length > 240 ? `${text.slice(0, 239)}…` : text;
}

function ChainSection(props: { incidentId: string; changed: number }) {
  const { incidentId } = props;
  const [summary, setSummary] = useState<AuditSummary | undefined>();
  const [verifiedAt, setVerifiedAt] = useState(0);
  const [problem, setProblem] = useState<Problem | undefined>();
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState('');

  const verify = async () => {
    setBusy(true);
    setProblem(undefined);
    setProgress('Verifying the audit chain…');
    const pages: AuditPage[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?limit=${AUDIT_PAGE_LIMIT}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const result = await api.get<AuditPage>(incidentPath(incidentId, 'audit') + query);
      if (!result.ok) {
        setProblem(result.problem);
        setBusy(false);
        setProgress('');
        return;
      }
      pages.push(result.body);
      // A broken page is the verdict: the pages after it are verified from a link already known bad.
      if (!result.body.verification.valid) break;
      cursor = result.body.nextCursor;
      if (cursor) setProgress(`Verifying the audit chain… ${pages.reduce((n, p) => n + p.verification.entries, 0)} entries so far`);
    } while (cursor && pages.length < MAX_AUDIT_PAGES);
    setSummary(summariseAudit(pages));
    setVerifiedAt(props.changed);
    setProgress('');
    setBusy(false);
  };

  return (
    <section aria-labelledby="audit-chain">
      <h2 id="audit-chain">Audit chain</h2>
      <p>Every entry's hash covers the one before it; the chain is checked against the head the workflow holds and the latest signed checkpoint.</p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void verify();
        }}
      >
        <button type="submit" disabled={busy}>Verify audit chain</button>
      </form>
      <ProblemMessage problem={problem} />
      <p role="status" class={summary ? (summary.valid ? 'verdict ok' : 'verdict bad') : 'verdict'}>
        {progress || summary?.text || ''}
      </p>
      {summary && props.changed !== verifiedAt ? <p class="stale-note">The incident changed after this verdict: verify again to include the new entries.</p> : null}
      {summary && summary.problems.length > 1 ? (
        <>
          <h3>Every problem found</h3>
          <ul>
            {summary.problems.map((p, i) => (
              <li key={i}>
                <strong>{p.kind}</strong>: {p.reason}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {summary ? (
        <>
          <h3>Custody chains</h3>
          {summary.custody.length === 0 ? (
            <p>No evidence was collected for this incident, so there is no custody chain.</p>
          ) : (
            <table>
              <caption class="visually-hidden">Custody chain of each evidence artifact</caption>
              <thead>
                <tr>
                  <th scope="col">Artifact</th>
                  <th scope="col">Type</th>
                  <th scope="col">Asset</th>
                  <th scope="col">Hand-overs</th>
                  <th scope="col">Verdict</th>
                </tr>
              </thead>
              <tbody>
                {summary.custody.map((c) => (
                  <tr key={c.artifactId}>
                    <th scope="row"><code>{c.artifactId}</code></th>
                    <td>{c.artifactType}</td>
                    <td>{c.asset}</td>
                    <td>{c.links}</td>
                    <td class={c.verification.valid ? 'verdict ok' : 'verdict bad'}>
                      {c.verification.valid ? 'Intact' : `Broken${c.verification.brokenAt !== undefined ? ` at link ${c.verification.brokenAt}` : ''}: ${c.verification.reason ?? 'does not verify'}`}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {summary.archive.runs > 0 ? (
            <p class={summary.archive.valid ? 'verdict ok' : 'verdict bad'}>
              Archived runs: {summary.archive.valid ? `${summary.archive.runs} match their archive entries` : summary.archive.reason ?? 'one does not match'}
            </p>
          ) : null}
        </>
      ) : null}
    </section>
  );
}

function ReplaySection(props: { incidentId: string }) {
  const { incidentId } = props;
  const [summary, setSummary] = useState<ReplaySummary | undefined>();
  const [report, setReport] = useState<ReplayReport | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState('');
  const alive = useRef(true);
  useEffect(
    () => () => {
      alive.current = false;
    },
    [],
  );

  const replay = async () => {
    setBusy(true);
    setProblem(undefined);
    setSummary(undefined);
    setProgress('Replaying the history against the current workflow code…');
    const started = Date.now();
    let result = await api.post<ReplayReport | ReplayRunning>(incidentPath(incidentId, 'replay'), {});
    while (alive.current && result.ok && isRunning(result.body) && Date.now() - started < REPLAY_GIVE_UP_MS) {
      const { replayId } = result.body;
      await new Promise((resolve) => setTimeout(resolve, retryAfterMs(result.ok ? result.headers.get('Retry-After') : null)));
      result = await api.get<ReplayReport | ReplayRunning>(incidentPath(incidentId, 'replays', replayId));
    }
    if (!alive.current) return;
    setBusy(false);
    setProgress('');
    if (!result.ok) {
      setProblem(result.problem);
      return;
    }
    if (isRunning(result.body)) {
      setProgress('The replay is still running: press Replay again later to see its verdict.');
      return;
    }
    setReport(result.body);
    setSummary(summariseReplay(result.body));
  };

  return (
    <section aria-labelledby="replay">
      <h2 id="replay">Replay</h2>
      <p>Replays each run's stored history against the workflow code running now: a divergence means the code no longer explains what happened.</p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void replay();
        }}
      >
        <button type="submit" disabled={busy}>Replay</button>
      </form>
      <ProblemMessage problem={problem} />
      <p role="status" class={summary ? (summary.matched ? 'verdict ok' : 'verdict bad') : 'verdict'}>
        {progress || summary?.text || ''}
      </p>
      {summary && report ? (
        <table>
          <caption class="visually-hidden">Replay verdict of each run</caption>
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Verdict</th>
            </tr>
          </thead>
          <tbody>
            {summary.runs.map((run) => (
              <tr key={run.runId}>
                <th scope="row"><code>{run.runId}</code></th>
                <td class={run.matched ? 'verdict ok' : 'verdict bad'}>{run.text}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {report?.replayedAt ? <p class="chart-note">Verdict reached {preciseTime(report.replayedAt)}{report.source ? `, from the ${report.source} history` : ''}.</p> : null}
    </section>
  );
}

function TimelineSection(props: { incidentId: string; changed: number }) {
  const { incidentId } = props;
  const [items, setItems] = useState<TimelineItem[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | undefined>();
  const [changedUnder, setChangedUnder] = useState<string | undefined>();
  const [loading, setLoading] = useState(true);
  const loaded = useRef(0);

  const fetchPage = (after: string | null) =>
    api.get<TimelinePage>(incidentPath(incidentId, 'timeline') + (after ? `?cursor=${encodeURIComponent(after)}` : ''));

  /** Loads the timeline again from its start, as far as it had been read (a change may add items anywhere after the last). */
  const reload = useCallback(async () => {
    const want = Math.max(loaded.current, 1);
    const all: TimelineItem[] = [];
    let next: string | null = null;
    do {
      const result = await fetchPage(next);
      if (!result.ok) {
        setProblem(result.problem);
        setLoading(false);
        return;
      }
      all.push(...result.body.items);
      next = result.body.nextCursor;
    } while (next && all.length < want);
    setProblem(undefined);
    setChangedUnder(undefined);
    loaded.current = all.length;
    setItems(all);
    setCursor(next);
    setLoading(false);
  }, [incidentId]);

  useEffect(() => {
    void reload();
  }, [reload, props.changed]);

  const more = async () => {
    if (!cursor) return;
    setLoading(true);
    const result = await fetchPage(cursor);
    setLoading(false);
    if (!result.ok) {
      setProblem(result.problem);
      return;
    }
    const page = result.body;
    if (!page.verification.valid) setChangedUnder(page.verification.problems.map((p) => p.reason).join('; ') || 'the earlier pages are not the ones shown');
    const all = [...items, ...page.items];
    loaded.current = all.length;
    setItems(all);
    setCursor(page.nextCursor);
  };

  return (
    <section aria-labelledby="timeline">
      <h2 id="timeline">Timeline</h2>
      <p>Who did what when: the workflow's history, requests refused, and evidence hand-overs, oldest first.</p>
      <ProblemMessage problem={problem} />
      {changedUnder ? (
        <div class="problem" role="alert">
          <strong>The timeline changed under the pages already shown</strong>
          <p>{changedUnder}</p>
        </div>
      ) : null}
      {items.length === 0 && !loading ? <p>No entries yet.</p> : null}
      {items.length > 0 ? (
        <table class="timeline">
          <caption class="visually-hidden">Timeline of the incident</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Action</th>
              <th scope="col">Actor</th>
              <th scope="col">Outcome</th>
              <th scope="col">From</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {items.map((item, i) => (
              <tr key={`${item.source}-${item.runId ?? ''}-${item.eventId ?? item.auditSeq ?? i}-${i}`} class={REFUSED.has(item.outcome) ? 'refused' : undefined}>
                <th scope="row"><time dateTime={item.at}>{preciseTime(item.at)}</time></th>
                <td>
                  {item.action}
                  {item.kind !== item.action ? <span class="muted"> ({item.kind})</span> : null}
                </td>
                <td>{item.actor ?? '—'}</td>
                <td>{item.outcome}</td>
                <td>
                  {item.source}
                  {item.auditSeq !== undefined ? ` #${item.auditSeq}` : item.eventId !== undefined ? ` event ${item.eventId}` : ''}
                </td>
                <td><code class="details">{detailsText(item.details)}</code></td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <p role="status" class="loading-note">{loading ? 'Loading the timeline…' : `${items.length} entr${items.length === 1 ? 'y' : 'ies'} shown${cursor ? '; more to load' : ''}`}</p>
      {cursor ? (
        <button type="button" onClick={() => void more()} disabled={loading}>
          Next page
        </button>
      ) : null}
    </section>
  );
}

/**
 * The auditor's page of one incident: its audit chain verified, each run replayed, the raw history
 * to download, and the timeline. It follows the incident live: the timeline reloads when the
 * incident changes and an earlier chain verdict says it is out of date.
 */
export function AuditorView(props: { incidentId: string; session: Session }) {
  const { incidentId } = props;
  const [incident, setIncident] = useState<IncidentHeader | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  const [changed, setChanged] = useState(0);

  useEffect(() => {
    let current = true;
    void api.get<IncidentHeader>(incidentPath(incidentId)).then((result) => {
      if (!current) return;
      if (result.ok) {
        setIncident(result.body);
        setProblem(undefined);
      } else setProblem(result.problem);
    });
    return () => {
      current = false;
    };
  }, [incidentId, changed]);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stop = onIncidentChanged((change) => {
      if (change.incidentId !== incidentId) return;
      clearTimeout(timer);
      timer = setTimeout(() => setChanged((n) => n + 1), 200);
    });
    return () => {
      clearTimeout(timer);
      stop();
    };
  }, [incidentId]);

  const historyHref = incidentPath(incidentId, 'history');
  return (
    <section class="auditor">
      <h1>{incident ? `Audit: ${incident.title}` : `Audit of incident ${incidentId}`}</h1>
      <ProblemMessage problem={problem} />
      {incident ? (
        <p>
          <span>Phase: {incident.phase}</span> · <span>Severity: {incident.severity}</span> · <code>{incidentId}</code> ·{' '}
          <Link href={`/console/incidents/${encodeURIComponent(incidentId)}`}>Open the incident</Link>
        </p>
      ) : null}
      <div class="grid">
        <div class="panel">
          <ChainSection incidentId={incidentId} changed={changed} />
        </div>
        <div class="panel">
          <ReplaySection incidentId={incidentId} />
        </div>
      </div>
      <section aria-labelledby="history" class="panel">
        <h2 id="history">History</h2>
        <p>The raw event history of every run, as Temporal stores it (JSON), to check with your own tools or replay offline.</p>
        <a class="button" href={historyHref} download={`incident-${incidentId}-history.json`}>
          Download history
        </a>
      </section>
      <TimelineSection incidentId={incidentId} changed={changed} />
    </section>
  );
}

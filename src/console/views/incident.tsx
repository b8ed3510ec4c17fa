import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, incidentPath, type ApiResult, type Problem, type Role, type Session } from '../api';
import { Countdown } from '../components/countdown';
import { Link } from '../components/link';
import { ProblemMessage } from '../components/problem-message';
import { formatTime } from '../format';
import { onIncidentChanged } from '../live';
import type { DecisionName } from '../../domain/decision-roles';
import type { PolicyTable } from '../../domain/policy';
import { mayMake, phaseRejection, taskRejection } from './incident/decision-rules';
import { coalescing } from './incident/refetch';
import { rereadTimeline } from './incident/timeline-pages';
import {
  AcknowledgeForm,
  AddTaskForm,
  ApplyPlaybookForm,
  AssessmentForm,
  AssignRoleForm,
  CloseForm,
  CompleteTaskForm,
  ContainmentForm,
  EscalateForm,
  ExternalAssistanceForm,
  FilingForm,
  FollowUpForm,
  MaterialityForm,
  NoteForm,
  RegimeForm,
  ObservableForm,
  ReassignTaskForm,
  ReviewForm,
  SkipTaskForm,
  TaskCommentForm,
} from './incident/forms';
import { severityLevel, type FollowUpState, type IncidentState, type IncidentTask } from './incident/state';
import { waitingList, waitingSentence, type Waiting } from './incident/waiting';
import type { TimelineAnswer, TimelineItem } from '../../domain/timeline-item';

/** Changes within this long of a refetch are gathered into one more. */
const REFETCH_WINDOW_MS = 200;
/** Who may read the timeline (GET …/timeline); others do not see the section. */
const TIMELINE_READERS: readonly Role[] = ['auditor', 'manager'];
const AUDITORS: readonly Role[] = ['auditor'];
/** Timeline items a page, and the most the API gives in one (AUDIT_PAGE_MAX), for catching up with the pages shown. */
const TIMELINE_PAGE = 200;
const TIMELINE_PAGE_MAX = 1_000;

interface ObservableRow {
  kind: string;
  value: string;
  tlp: string;
  alertId: string | null;
  addedBy: string | null;
  firstSeen: string;
  lastSeen: string;
}

type TimelinePage = TimelineAnswer;

function Section(props: { title: string; children: ComponentChildren; id?: string }) {
  return (
    <section class="panel" aria-labelledby={props.id ?? `section-${props.title.toLowerCase().replace(/[^a-z]+/g, '-')}`}>
      <h2 id={props.id ?? `section-${props.title.toLowerCase().replace(/[^a-z]+/g, '-')}`}>{props.title}</h2>
      {props.children}
    </section>
  );
}

function None(props: { what: string }) {
  return <p class="muted">No {props.what}.</p>;
}

function WaitingFor(props: { waiting: Waiting[]; closed: boolean }) {
  const [first, ...rest] = props.waiting;
  return (
    <section class="waiting" role="region" aria-label="Waiting for">
      {first ? (
        <>
          <p class={first.overdue ? 'waiting-line overdue-text' : 'waiting-line'}>
            {waitingSentence(first, formatTime)}
            {first.escalatesAt ? (
              <>
                {' '}
                <Countdown until={first.escalatesAt} label={`Escalates ${first.overdue ? 'again ' : ''}at ${formatTime(first.escalatesAt)}`} />
              </>
            ) : null}
            {first.overdue ? <strong> (overdue)</strong> : null}
          </p>
          {rest.length ? (
            <details>
              <summary>Also waiting for {rest.length} more</summary>
              <ul>
                {rest.map((w, i) => (
                  <li key={i}>
                    {waitingSentence(w, formatTime)}
                    {w.escalatesAt ? (
                      <>
                        {' '}
                        <Countdown until={w.escalatesAt} />
                      </>
                    ) : null}
                    {w.overdue ? <strong class="overdue-text"> overdue</strong> : null}
                  </li>
                ))}
              </ul>
            </details>
          ) : null}
        </>
      ) : (
        <p class="waiting-line">{props.closed ? 'Waiting for nothing: the incident is over.' : 'Waiting for nothing the console can name.'}</p>
      )}
    </section>
  );
}

function Decisions(props: { state: IncidentState; session: Session; onState: (state: IncidentState) => void }) {
  const { state, session, onState } = props;
  const role = session.principal.role;
  const forms: Array<{ name: DecisionName; render: (reason: string | undefined) => ComponentChildren }> = [
    { name: 'acknowledge', render: (r) => <AcknowledgeForm state={state} disabledReason={r} onState={onState} /> },
    { name: 'assess', render: (r) => <AssessmentForm state={state} disabledReason={r} onState={onState} /> },
    { name: 'approveContainment', render: (r) => <ContainmentForm state={state} disabledReason={r} onState={onState} /> },
    { name: 'assignRole', render: (r) => <AssignRoleForm state={state} disabledReason={r} onState={onState} /> },
    { name: 'addNote', render: (r) => <NoteForm state={state} disabledReason={r} onState={onState} /> },
    { name: 'escalate', render: (r) => <EscalateForm state={state} disabledReason={r} onState={onState} /> },
    { name: 'addObservable', render: (r) => <ObservableForm state={state} disabledReason={r} onState={onState} /> },
    { name: 'recordReview', render: (r) => <ReviewForm state={state} disabledReason={r} onState={onState} /> },
    { name: 'close', render: (r) => <CloseForm state={state} disabledReason={r} onState={onState} /> },
    { name: 'declareRegime', render: (r) => <RegimeForm state={state} disabledReason={r} onState={onState} /> },
    { name: 'determineMateriality', render: (r) => <MaterialityForm state={state} disabledReason={r} onState={onState} /> },
    { name: 'recordFiling', render: (r) => <FilingForm state={state} disabledReason={r} onState={onState} /> },
    { name: 'engageExternalAssistance', render: (r) => <ExternalAssistanceForm state={state} disabledReason={r} onState={onState} /> },
  ];
  const mine = forms.filter((f) => mayMake(role, f.name));
  if (mine.length === 0) return null;
  if (state.phase === 'closed' || state.phase === 'dismissed') {
    return (
      <Section title="Decisions">
        <p class="muted">None: the incident is {state.phase}.</p>
      </Section>
    );
  }
  // The forms the phase allows first, so the decision awaited is at the top.
  const ordered = mine.map((f) => ({ ...f, reason: phaseRejection(state, f.name) })).sort((a, b) => Number(a.reason !== undefined) - Number(b.reason !== undefined));
  return (
    <Section title="Decisions">
      <div class="grid">
        {ordered.map((f) => (
          <div key={f.name}>{f.render(f.reason)}</div>
        ))}
      </div>
    </Section>
  );
}

/** A task's comments and reassignments, newest last, folded away under its title. */
function TaskHistory(props: { tasks: readonly IncidentTask[] }) {
  const told = props.tasks.filter((t) => t.comments?.length || t.reassignments?.length);
  if (told.length === 0) return null;
  return (
    <>
      {told.map((t) => (
        <details key={t.taskId} class="task-history">
          <summary>
            Comments and reassignments of “{t.title}” ({(t.comments?.length ?? 0) + (t.reassignments?.length ?? 0)})
          </summary>
          <ul>
            {[
              ...(t.comments ?? []).map((c) => ({ at: c.at, text: `${c.by.name}: ${c.text}` })),
              ...(t.reassignments ?? []).map((r) => ({ at: r.at, text: `${r.by.name} reassigned it ${r.from ? `from ${r.from} ` : ''}to ${r.to}${r.reason ? `: ${r.reason}` : ''}` })),
            ]
              .sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
              .map((entry, i) => (
                <li key={i}>
                  <span class="muted">{formatTime(entry.at)}</span> {entry.text}
                </li>
              ))}
          </ul>
        </details>
      ))}
    </>
  );
}

const ownerOf = (t: IncidentTask) => t.assignee ?? ('role' in t.owner ? `${t.owner.role} role` : `incident ${t.owner.incidentRole}`);

/** A task or follow-up as a row: who owns it, where it stands, and its due time (a countdown while open). */
function TaskRow(props: { task: IncidentTask; kind?: string }) {
  const t = props.task;
  return (
    <tr class={t.status === 'open' && Date.parse(t.dueAt) <= Date.now() ? 'overdue' : undefined}>
      <th scope="row">{t.title}</th>
      {props.kind !== undefined ? <td>{props.kind}</td> : null}
      <td>{ownerOf(t)}</td>
      <td>
        {t.status}
        {t.completed ? ` by ${t.completed.by.name}` : ''}
        {t.skipped ? ` by ${t.skipped.by.name}: ${t.skipped.reason}` : ''}
      </td>
      <td>{t.status === 'open' ? <Countdown until={t.dueAt} /> : formatTime(t.dueAt)}</td>
    </tr>
  );
}

function Tasks(props: { state: IncidentState; session: Session; onState: (state: IncidentState) => void }) {
  const { state, session, onState } = props;
  const tasks = state.tasks ?? [];
  const principal = session.principal;
  const closed = state.phase === 'closed' || state.phase === 'dismissed';
  // Adding, reassigning and commenting are decisions on the incident: none once it is over.
  const adds = !closed && mayMake(principal.role, 'addTask');
  if (tasks.length === 0 && !adds) return null;
  const open = tasks.filter((t) => t.status === 'open');
  return (
    <Section title="Tasks">
      {tasks.length ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Task</th>
              <th scope="col">Kind</th>
              <th scope="col">Owner</th>
              <th scope="col">Status</th>
              <th scope="col">Due</th>
            </tr>
          </thead>
          <tbody>
            {tasks.map((t) => (
              <TaskRow key={t.taskId} task={t} kind={t.kind === 'approval' ? `approval (${(t.approvers ?? []).join(' or ')}${t.distinctApprovers === 2 ? ', two people' : ''})` : 'task'} />
            ))}
          </tbody>
        </table>
      ) : (
        <None what="tasks yet" />
      )}
      <TaskHistory tasks={tasks} />
      <div class="grid">
        {open.flatMap((t) => [
          mayMake(principal.role, 'completeTask') ? (
            <div key={`${t.taskId}-complete`}>
              <CompleteTaskForm state={state} task={t} disabledReason={taskRejection(t, 'completeTask', state, principal)} onState={onState} />
            </div>
          ) : null,
          mayMake(principal.role, 'skipTask') ? (
            <div key={`${t.taskId}-skip`}>
              <SkipTaskForm state={state} task={t} disabledReason={taskRejection(t, 'skipTask', state, principal)} onState={onState} />
            </div>
          ) : null,
        ])}
        {!closed && mayMake(principal.role, 'reassignTask') && tasks.length ? (
          <div key="reassign">
            <ReassignTaskForm state={state} tasks={tasks} onState={onState} />
          </div>
        ) : null}
        {!closed && mayMake(principal.role, 'commentTask') && tasks.length ? (
          <div key="comment">
            <TaskCommentForm state={state} tasks={tasks} onState={onState} />
          </div>
        ) : null}
        {adds ? (
          <div key="add">
            <AddTaskForm state={state} onState={onState} />
          </div>
        ) : null}
      </div>
    </Section>
  );
}

function PlaybookProgress(props: { state: IncidentState; session: Session; onState: (state: IncidentState) => void }) {
  const run = props.state.playbookRun;
  if (!run) return null;
  const closed = props.state.phase === 'closed' || props.state.phase === 'dismissed';
  const applies = !closed && mayMake(props.session.principal.role, 'applyPlaybook');
  const steps = run.pinned.playbook.steps ?? [];
  return (
    <Section title="Playbook">
      <p>
        {run.pinned.playbook.title ?? run.pinned.name} (<span class="mono">{run.pinned.name}</span> version {run.pinned.version})
        {run.replaced?.length ? `; replaced ${run.replaced.map((r) => `${r.name} v${r.version} (${r.by}, ${formatTime(r.at)})`).join(', ')}` : ''}
      </p>
      {steps.length ? (
        <ol class="steps">
          {steps.map((step) => (
            <li key={step.id}>
              {step.title ?? step.id}: {run.steps[step.id]?.status ?? 'not started'}
            </li>
          ))}
        </ol>
      ) : null}
      {applies ? <ApplyPlaybookForm state={props.state} disabledReason={phaseRejection(props.state, 'applyPlaybook')} onState={props.onState} /> : null}
    </Section>
  );
}

const FOLLOW_UP_ACTIONS = [
  { action: 'complete', decision: 'completeFollowUp' },
  { action: 'skip', decision: 'skipFollowUp' },
  { action: 'reassign', decision: 'reassignFollowUp' },
  { action: 'comment', decision: 'commentFollowUp' },
] as const;

function FollowUps(props: { items: IncidentTask[] | undefined; state: IncidentState; session: Session; onFollowUps: (state: FollowUpState) => void }) {
  if (!props.items?.length) return null;
  const role = props.session.principal.role;
  // The follow-ups' workflow ends once every one is settled: then nothing more is taken, comments included.
  const settled = props.items.every((t) => t.status !== 'open') ? 'every follow-up is settled' : undefined;
  const forms = FOLLOW_UP_ACTIONS.filter((f) => mayMake(role, f.decision));
  return (
    <Section title="Follow-ups">
      <table>
        <thead>
          <tr>
            <th scope="col">Action item</th>
            <th scope="col">Owner</th>
            <th scope="col">Status</th>
            <th scope="col">Due</th>
          </tr>
        </thead>
        <tbody>
          {props.items.map((t) => (
            <TaskRow key={t.taskId} task={t} />
          ))}
        </tbody>
      </table>
      <TaskHistory tasks={props.items} />
      {forms.length ? (
        <div class="grid">
          {forms.map((f) => (
            <div key={f.action}>
              <FollowUpForm action={f.action} state={props.state} followUps={props.items!} disabledReason={settled} onFollowUps={props.onFollowUps} />
            </div>
          ))}
        </div>
      ) : null}
    </Section>
  );
}

function Facts(props: { state: IncidentState }) {
  const s = props.state;
  return (
    <dl class="facts">
      <dt>Severity</dt>
      <dd>
        <span class={`sev-${severityLevel(s.severity)}`}>{severityLevel(s.severity)}</span> ({s.severity})
      </dd>
      <dt>Source</dt>
      <dd>{s.source}</dd>
      <dt>Category</dt>
      <dd>{s.category ?? '—'}</dd>
      <dt>Opened</dt>
      <dd>{formatTime(s.openedAt)}</dd>
      <dt>Acknowledged</dt>
      <dd>{s.acknowledgedAt ? `${formatTime(s.acknowledgedAt)} by ${s.acknowledgedBy?.name ?? '?'}` : '—'}</dd>
      <dt>Assessed</dt>
      <dd>{s.assessment ? `${s.assessment.strategy.replace('_', ' ')} by ${s.assessment.by.name}, ${formatTime(s.assessment.at)}` : '—'}</dd>
      <dt>Contained</dt>
      <dd>{formatTime(s.containedAt)}</dd>
      <dt>Resolved</dt>
      <dd>{formatTime(s.resolvedAt)}</dd>
      <dt>Escalation level</dt>
      <dd>{s.escalationLevel}</dd>
      <dt>Alerts</dt>
      <dd>{s.alertCount}</dd>
      {s.dismissal ? (
        <>
          <dt>Dismissed</dt>
          <dd>
            {s.dismissal.reason} ({s.dismissal.by.name}, {formatTime(s.dismissal.at)})
          </dd>
        </>
      ) : null}
      {s.closure ? (
        <>
          <dt>Closed</dt>
          <dd>
            {s.closure.resolution.replace('_', ' ')}: {s.closure.summary} ({s.closure.by.name}, {formatTime(s.closure.at)})
          </dd>
        </>
      ) : null}
    </dl>
  );
}

function Roles(props: { state: IncidentState }) {
  const held = Object.entries(props.state.roles ?? {}).filter(([, r]) => r);
  return (
    <Section title="Roles">
      {held.length ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Role</th>
              <th scope="col">Person</th>
              <th scope="col">Assigned</th>
            </tr>
          </thead>
          <tbody>
            {held.map(([role, r]) => (
              <tr key={role}>
                <th scope="row">{role}</th>
                <td>{r!.person}</td>
                <td>
                  {formatTime(r!.at)} by {r!.by.name}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <None what="roles assigned" />
      )}
    </Section>
  );
}

function Notes(props: { state: IncidentState }) {
  const notes = props.state.recentNotes ?? [];
  const count = props.state.noteCount ?? notes.length;
  return (
    <Section title="Notes">
      {notes.length ? (
        <>
          {count > notes.length ? <p class="muted">The latest {notes.length} of {count} notes.</p> : null}
          <ul class="notes">
            {[...notes].reverse().map((n, i) => (
              <li key={i}>
                <p class="note-text">{n.text}</p>
                <p class="muted">
                  {n.by.name} ({n.by.role}
                  {n.by.person?.mfa ? ', MFA' : ''}), {formatTime(n.at)}
                </p>
              </li>
            ))}
          </ul>
        </>
      ) : (
        <None what="notes" />
      )}
    </Section>
  );
}

function Evidence(props: { state: IncidentState; timeline: TimelineItem[] | undefined; auditor: boolean }) {
  const r = props.state.response;
  const custody = (props.timeline ?? []).filter((i) => i.source === 'custody');
  const evidence = (props.state.tasks ?? []).flatMap((t) => (t.evidence ?? []).map((id) => ({ id, task: t.title })));
  return (
    <Section title="Evidence and custody">
      <p>
        Artifacts collected: {r?.artifactsCollected ?? 0}.{' '}
        {r?.containment.length ? `Containment: ${r.containment.map((c) => `${c.action} ${c.asset.kind} ${c.asset.id} (${c.status.replace('_', ' ')})`).join('; ')}.` : ''}
      </p>
      {r?.approval ? (
        <p>
          Containment {r.approval.approved ? 'approved' : 'refused'} by {r.approval.by.name}, {formatTime(r.approval.at)}
          {r.approval.planDigest ? (
            <>
              {' '}
              for plan <code class="digest">{r.approval.planDigest}</code>
            </>
          ) : null}
          {r.approval.reason ? `: ${r.approval.reason}` : ''}
        </p>
      ) : null}
      {evidence.length ? (
        <ul>
          {evidence.map((e) => (
            <li key={`${e.task}-${e.id}`}>
              {e.id} (task {e.task})
            </li>
          ))}
        </ul>
      ) : null}
      {custody.length ? (
        <table>
          <caption>Custody hand-overs</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">What</th>
              <th scope="col">By</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          <tbody>
            {custody.map((c, i) => (
              <tr key={i}>
                <td>{formatTime(c.at)}</td>
                <td>{c.action}</td>
                <td>{c.actor ?? '—'}</td>
                <td>{c.outcome}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : props.timeline === undefined ? (
        <p class="muted">Custody chains are read by auditors and managers.</p>
      ) : null}
      {props.auditor ? (
        <p>
          <Link href={`/console/incidents/${encodeURIComponent(props.state.incidentId)}/audit`}>Audit view: chain, custody verification and replay</Link>
        </p>
      ) : null}
    </Section>
  );
}

function Clocks(props: { state: IncidentState }) {
  const clocks = props.state.regulatoryClocks ?? [];
  return (
    <Section title="Regulatory clocks">
      {clocks.length ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Regime</th>
              <th scope="col">Stage</th>
              <th scope="col">Due</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {clocks.map((c, i) => (
              <tr key={i} class={c.missed && !c.filing ? 'overdue' : undefined}>
                <th scope="row">{c.regime}</th>
                <td>{c.stage}</td>
                <td>
                  {c.dueAt ? (
                    <>
                      {formatTime(c.dueAt)} {!c.filing ? <Countdown until={c.dueAt} /> : null}
                    </>
                  ) : c.startedAt ? (
                    'without undue delay'
                  ) : (
                    `once ${c.startsAfter ?? 'the previous stage'} is filed`
                  )}
                </td>
                <td>
                  {c.filing
                    ? `filed ${formatTime(c.filing.filedAt)} (${c.filing.reference})${c.filing.late ? ', late' : ''}`
                    : c.missed
                      ? 'missed: overdue'
                      : c.startedAt
                        ? 'running'
                        : 'waiting'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <None what="regulatory clocks running" />
      )}
    </Section>
  );
}

function Observables(props: { items: ObservableRow[] | undefined; problem: Problem | undefined }) {
  return (
    <Section title="Observables">
      <ProblemMessage problem={props.problem} />
      {props.items?.length ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Value</th>
              <th scope="col">Kind</th>
              <th scope="col">TLP</th>
              <th scope="col">From</th>
              <th scope="col">First seen</th>
              <th scope="col">Last seen</th>
            </tr>
          </thead>
          <tbody>
            {props.items.map((o) => (
              <tr key={`${o.kind}:${o.value}`}>
                <th scope="row" class="mono">{o.value}</th>
                <td>{o.kind}</td>
                <td>TLP:{o.tlp.toUpperCase()}</td>
                <td>{o.addedBy ? `added by ${o.addedBy}` : o.alertId ? `alert ${o.alertId}` : '—'}</td>
                <td>{formatTime(o.firstSeen)}</td>
                <td>{formatTime(o.lastSeen)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : props.items ? (
        <None what="observables" />
      ) : null}
    </Section>
  );
}

function Related(props: { state: IncidentState }) {
  const related = props.state.relatedIncidents ?? [];
  const byIncident = new Map<string, string[]>();
  for (const r of related) byIncident.set(r.incidentId, [...(byIncident.get(r.incidentId) ?? []), `${r.kind} ${r.value}`]);
  return (
    <Section title="Related incidents">
      {byIncident.size ? (
        <ul>
          {[...byIncident].map(([id, shared]) => (
            <li key={id}>
              <Link href={`/console/incidents/${encodeURIComponent(id)}`}>Incident {id}</Link>: shares {shared.join(', ')}
            </li>
          ))}
        </ul>
      ) : (
        <None what="related incidents" />
      )}
    </Section>
  );
}

function Alerts(props: { state: IncidentState }) {
  const alerts = props.state.recentAlerts ?? [];
  return (
    <Section title="Alerts">
      {alerts.length ? (
        <>
          {props.state.alertCount > alerts.length ? <p class="muted">The latest {alerts.length} of {props.state.alertCount} alerts.</p> : null}
          <table>
            <thead>
              <tr>
                <th scope="col">Alert</th>
                <th scope="col">Severity</th>
                <th scope="col">Source</th>
                <th scope="col">Assets</th>
                <th scope="col">Received</th>
              </tr>
            </thead>
            <tbody>
              {[...alerts].reverse().map((a) => (
                <tr key={a.alertId}>
                  <th scope="row">
                    {a.title}
                    {a.status === 'resolved' ? ' (resolved)' : ''}
                  </th>
                  <td>{a.severity}</td>
                  <td>{a.source}</td>
                  <td>{a.assets.map((x) => `${x.kind} ${x.id}`).join(', ') || '—'}</td>
                  <td>{formatTime(a.receivedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : (
        <None what="alerts" />
      )}
    </Section>
  );
}

function Escalations(props: { state: IncidentState }) {
  const pages = props.state.escalations ?? [];
  const breaches = props.state.slaBreaches ?? [];
  return (
    <>
      <Section title="Escalations">
        {pages.length ? (
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Level</th>
                <th scope="col">Paged</th>
                <th scope="col">Cause</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {[...pages].reverse().map((p, i) => (
                <tr key={i}>
                  <td>{formatTime(p.at)}</td>
                  <td>
                    {p.level}
                    {p.repeat ? ' (repeat)' : ''}
                  </td>
                  <td>{(p.targets ?? [p.target]).join(', ') + (p.commander ? `, commander ${p.commander}` : '')}</td>
                  <td>{p.cause}{p.by ? ` by ${p.by.name}` : ''}</td>
                  <td>{p.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <None what="escalations" />
        )}
      </Section>
      <Section title="SLA breaches">
        {breaches.length ? (
          <table>
            <thead>
              <tr>
                <th scope="col">Deadline</th>
                <th scope="col">Phase</th>
                <th scope="col">Was due</th>
                <th scope="col">Detected</th>
              </tr>
            </thead>
            <tbody>
              {breaches.map((b, i) => (
                <tr key={i} class="overdue">
                  <th scope="row">{b.deadline}</th>
                  <td>{b.phase}</td>
                  <td>{formatTime(b.dueAt)}</td>
                  <td>{formatTime(b.detectedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <None what="SLA breaches" />
        )}
      </Section>
    </>
  );
}

function Timeline(props: { page: TimelinePage | undefined; problem: Problem | undefined; more: () => void }) {
  const page = props.page;
  return (
    <Section title="Timeline">
      <ProblemMessage problem={props.problem} />
      {page && !page.verification.valid ? (
        <p class="problem" role="alert">
          The timeline changed since it was read: {page.verification.problems.map((p) => p.reason).join('; ')}
        </p>
      ) : null}
      {page?.items.length ? (
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">What</th>
              <th scope="col">Who</th>
              <th scope="col">Outcome</th>
              <th scope="col">From</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((item, i) => (
              <tr key={i}>
                <td>{formatTime(item.at)}</td>
                <td>{item.action}</td>
                <td>{item.actor ?? '—'}</td>
                <td>{item.outcome}</td>
                <td>{item.source}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : page ? (
        <None what="timeline entries" />
      ) : null}
      {page?.nextCursor ? (
        <button type="button" class="secondary" onClick={props.more}>
          More of the timeline
        </button>
      ) : null}
    </Section>
  );
}

export function IncidentView(props: { incidentId: string; session: Session }) {
  const { incidentId, session } = props;
  const role = session.principal.role;
  const [state, setState] = useState<IncidentState | undefined>();
  const [source, setSource] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | undefined>();
  const [observables, setObservables] = useState<ObservableRow[] | undefined>();
  const [observablesProblem, setObservablesProblem] = useState<Problem | undefined>();
  const [timeline, setTimeline] = useState<TimelinePage | undefined>();
  const [timelineProblem, setTimelineProblem] = useState<Problem | undefined>();
  const [followUps, setFollowUps] = useState<IncidentTask[] | undefined>();
  /** The escalation chains (GET /v1/policy), so the waiting sentence names who the next level pages. */
  const [policy, setPolicy] = useState<PolicyTable | undefined>();
  const [, setTick] = useState(0);
  const readsTimeline = TIMELINE_READERS.includes(role);
  /** Loads are numbered: one that ends after a later one has been shown is dropped. */
  const latest = useRef(0);
  const shownTicket = useRef(0);

  /** What the timeline shows now: the next read starts from it (state lags behind within one tick). */
  const timelineShown = useRef<TimelinePage | undefined>(undefined);
  const timelineReads = useRef<Promise<void>>(Promise.resolve());
  const shownIncident = useRef(incidentId);
  shownIncident.current = incidentId;
  const showTimeline = (page: TimelinePage | undefined) => {
    timelineShown.current = page;
    setTimeline(page);
  };
  /** Timeline reads run one after another, each from what the one before left shown; one for another incident is dropped. */
  const queueTimeline = (read: (isCurrent: () => boolean) => Promise<void>) => {
    const forIncident = incidentId;
    const run = () => read(() => shownIncident.current === forIncident);
    timelineReads.current = timelineReads.current.then(run, run);
  };
  const fetchTimelinePage = (cursor: string | undefined, limit: number) =>
    api.get<TimelinePage>(`${incidentPath(incidentId, 'timeline')}?${new URLSearchParams({ limit: String(limit), ...(cursor ? { cursor } : {}) }).toString()}`);

  /** "More of the timeline": the page after the ones shown. */
  const moreTimeline = () =>
    queueTimeline(async (isCurrent) => {
      const before = timelineShown.current;
      if (!before?.nextCursor) return;
      const answer = await fetchTimelinePage(before.nextCursor, TIMELINE_PAGE);
      if (!isCurrent()) return;
      if (!answer.ok) return setTimelineProblem(answer.problem);
      setTimelineProblem(undefined);
      showTimeline({ ...answer.body, items: [...before.items, ...answer.body.items] });
    });

  /** After a change: the pages shown read again, plus what is new when the end was shown (timeline-pages.ts). */
  const loadTimeline = () => {
    if (!readsTimeline) return;
    queueTimeline(async (isCurrent) => {
      const before = timelineShown.current;
      const answer = before
        ? await rereadTimeline<TimelineItem, TimelinePage, ApiResult<TimelinePage>>(fetchTimelinePage, { count: before.items.length, complete: before.nextCursor === null }, TIMELINE_PAGE, TIMELINE_PAGE_MAX)
        : await fetchTimelinePage(undefined, TIMELINE_PAGE);
      if (!isCurrent()) return;
      if (!answer.ok) return setTimelineProblem(answer.problem);
      setTimelineProblem(undefined);
      showTimeline(answer.body);
    });
  };

  const load = async () => {
    const ticket = ++latest.current;
    // The timeline is the slowest read (the API builds it from the workflow's history): it starts first.
    loadTimeline();
    const [answer, obs] = await Promise.all([api.get<IncidentState>(incidentPath(incidentId)), api.get<{ items: ObservableRow[] }>(incidentPath(incidentId, 'observables'))]);
    if (ticket < shownTicket.current) return;
    shownTicket.current = ticket;
    if (answer.ok) {
      setState(answer.body);
      setSource(answer.headers.get('Firebreak-State-Source'));
      setProblem(undefined);
    } else {
      setProblem(answer.problem);
    }
    if (obs.ok) {
      setObservables(obs.body.items);
      setObservablesProblem(undefined);
    } else if (answer.ok) setObservablesProblem(obs.problem);
    // A closed incident's review action items are tracked after the close.
    if (answer.ok && answer.body.phase === 'closed') {
      const follow = await api.get<{ items: IncidentTask[] }>(incidentPath(incidentId, 'follow-ups'));
      if (follow.ok && ticket >= shownTicket.current) setFollowUps(follow.body.items);
    }
  };

  useEffect(() => {
    let live = true;
    // Without it the sentence still names the level, and its targets when this incident paged them before.
    void api.get<{ severities: PolicyTable }>('/v1/policy').then((answer) => {
      if (live && answer.ok) setPolicy(answer.body.severities);
    });
    return () => {
      live = false;
    };
  }, []);

  useEffect(() => {
    setState(undefined);
    showTimeline(undefined);
    setObservables(undefined);
    void load();
    const refetch = coalescing(() => void load(), REFETCH_WINDOW_MS);
    const stop = onIncidentChanged((change) => {
      if (change.incidentId === incidentId) refetch.trigger();
    });
    // The waiting sentence's "overdue" follows the clock too.
    const ticker = setInterval(() => setTick((n) => n + 1), 5_000);
    return () => {
      refetch.cancel();
      clearInterval(ticker);
      stop();
    };
  }, [incidentId]);

  useEffect(() => {
    if (state) document.title = `${state.title} · Firebreak`;
  }, [state?.title]);

  /** A decision's answer is the new state: show it at once (the event stream refetches the rest). */
  const onState = (next: IncidentState) => {
    setState((before) => (before && before.version > next.version ? before : next));
    loadTimeline();
  };

  if (!state) {
    return (
      <section>
        <h1>{problem ? 'Incident not shown' : 'Loading the incident…'}</h1>
        <ProblemMessage problem={problem} />
        <p>
          <Link href="/console/">Back to the queue</Link>
        </p>
      </section>
    );
  }
  const closed = state.phase === 'closed' || state.phase === 'dismissed';
  return (
    <article class="incident">
      <p class="crumbs">
        <Link href="/console/">Incidents</Link> / {state.incidentId}
      </p>
      <h1>{state.title}</h1>
      <p class="status-line">
        <span class="badge phase">Phase: {state.phase}</span> <span class={`badge sev-${severityLevel(state.severity)}`}>{severityLevel(state.severity)}</span>{' '}
        <span class="muted">version {state.version}</span>
        {source === 'read-model' ? <span class="muted"> · shown from the read model (the workflow did not answer)</span> : null}
        {AUDITORS.includes(role) ? (
          <>
            {' · '}
            <Link href={`/console/incidents/${encodeURIComponent(state.incidentId)}/audit`}>Audit this incident</Link>
          </>
        ) : null}
      </p>
      <ProblemMessage problem={problem} />
      <WaitingFor waiting={waitingList(state, new Date(), policy)} closed={closed} />
      <Facts state={state} />
      <Decisions state={state} session={session} onState={onState} />
      <Tasks state={state} session={session} onState={onState} />
      <PlaybookProgress state={state} session={session} onState={onState} />
      <FollowUps items={followUps} state={state} session={session} onFollowUps={(next) => setFollowUps(next.tasks)} />
      <div class="grid">
        <Roles state={state} />
        <Notes state={state} />
      </div>
      <Clocks state={state} />
      <Evidence state={state} timeline={readsTimeline ? timeline?.items ?? [] : undefined} auditor={AUDITORS.includes(role)} />
      <Observables items={observables} problem={observablesProblem} />
      <Related state={state} />
      <Alerts state={state} />
      <Escalations state={state} />
      {readsTimeline ? <Timeline page={timeline} problem={timelineProblem} more={moreTimeline} /> : null}
    </article>
  );
}

/**
 * The decision forms of the incident page. Each is a real <form> with its own submit button(s); a
 * refusal (403, 409, 400) is shown right under the form that was sent, and a success hands the
 * state the API answered to the page. A form the role may not use is not rendered at all (the
 * page decides); a form the phase does not allow is rendered disabled with the reason.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, incidentPath, type ApiResult, type Problem } from '../../api';
import { ProblemMessage } from '../../components/problem-message';
import { ACTING_ROLES, INCIDENT_ROLES, OBSERVABLE_KINDS, RESOLUTIONS, SEVERITIES, STRATEGIES, TLP_LEVELS, severityLevel, type FollowUpState, type IncidentState, type IncidentTask, type PlaybookListing } from './state';

/** What a form sends; most answer the incident's new state, a closed incident's follow-ups answer theirs. */
type Send<T> = (button: string) => Promise<ApiResult<T>> | undefined;

let nextFormId = 0;

function DecisionForm<T = IncidentState>(props: {
  title: string;
  buttons: Array<{ label: string; value?: string; class?: string }>;
  disabledReason?: string | undefined;
  send: Send<T>;
  onState: (state: T) => void;
  /** Called after a success, to clear the fields. */
  onSent?: () => void;
  children?: ComponentChildren;
}) {
  const [id] = useState(() => `decision-${++nextFormId}`);
  const [problem, setProblem] = useState<Problem | undefined>();
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | undefined>();
  const disabled = props.disabledReason !== undefined;
  return (
    <form
      class="decision panel"
      aria-labelledby={`${id}-title`}
      onSubmit={async (event) => {
        event.preventDefault();
        const submitter = (event as SubmitEvent).submitter as HTMLButtonElement | null;
        const button = submitter?.value || props.buttons[0]!.value || props.buttons[0]!.label;
        const sending = props.send(button);
        if (!sending) return;
        setBusy(true);
        setDone(undefined);
        const answer = await sending;
        setBusy(false);
        if (!answer.ok) {
          setProblem(answer.problem);
          return;
        }
        setProblem(undefined);
        setDone(`${props.buttons.find((b) => (b.value ?? b.label) === button)?.label ?? 'Done'}: recorded.`);
        props.onSent?.();
        if (answer.body) props.onState(answer.body);
      }}
    >
      <h3 id={`${id}-title`}>{props.title}</h3>
      {disabled ? (
        <p class="reason" id={`${id}-reason`}>
          Not now: {props.disabledReason}.
        </p>
      ) : null}
      <fieldset disabled={disabled || busy} class="plain">
        {props.children}
        <div class="buttons">
          {props.buttons.map((b) => (
            <button key={b.label} type="submit" name="decision" value={b.value ?? b.label} class={b.class} aria-describedby={disabled ? `${id}-reason` : undefined}>
              {b.label}
            </button>
          ))}
        </div>
      </fieldset>
      <ProblemMessage problem={problem} />
      {done && !problem ? (
        <p class="success" role="status">
          {done}
        </p>
      ) : null}
    </form>
  );
}

interface FormProps {
  state: IncidentState;
  disabledReason?: string | undefined;
  onState: (state: IncidentState) => void;
}

const value = (event: Event) => (event.currentTarget as HTMLInputElement).value;
const post = (state: IncidentState, body: unknown, ...path: string[]) => api.post<IncidentState>(incidentPath(state.incidentId, ...path), body);

export function AcknowledgeForm(props: FormProps) {
  return <DecisionForm title="Acknowledge" buttons={[{ label: 'Acknowledge' }]} {...props} send={() => post(props.state, {}, 'acknowledge')} />;
}

export function AssessmentForm(props: FormProps) {
  const { state } = props;
  const [severity, setSeverity] = useState<string>(state.severity);
  const [category, setCategory] = useState(state.category ?? '');
  const [strategy, setStrategy] = useState<string>(STRATEGIES[0]);
  const [external, setExternal] = useState(false);
  const [dismiss, setDismiss] = useState(false);
  const [reason, setReason] = useState('');
  const [playbook, setPlaybook] = useState('');
  const send = () =>
    post(
      state,
      {
        severity,
        category: category.trim(),
        strategy,
        externalAssistance: external,
        ...(dismiss ? { dismiss: { reason } } : {}),
        ...(!dismiss && playbook.trim() ? { playbook: { name: playbook.trim() } } : {}),
      },
      'assessment',
    );
  return (
    <DecisionForm title="Assessment" buttons={[{ label: 'Submit assessment' }]} {...props} send={send}>
      <label for="assess-severity">Severity</label>
      <select id="assess-severity" value={severity} onChange={(e) => setSeverity(value(e))}>
        {SEVERITIES.map((s) => (
          <option key={s} value={s}>{`${severityLevel(s)} (${s})`}</option>
        ))}
      </select>
      <label for="assess-category">Category</label>
      <input id="assess-category" type="text" required maxLength={100} value={category} onInput={(e) => setCategory(value(e))} />
      <label for="assess-strategy">Strategy</label>
      <select id="assess-strategy" value={strategy} onChange={(e) => setStrategy(value(e))}>
        {STRATEGIES.map((s) => (
          <option key={s} value={s}>{s.replace('_', ' ')}</option>
        ))}
      </select>
      <label for="assess-playbook">Playbook (optional; left empty, the matching rules choose)</label>
      <input id="assess-playbook" type="text" maxLength={64} pattern="[a-z0-9][a-z0-9_\-]{0,63}" value={playbook} disabled={dismiss} onInput={(e) => setPlaybook(value(e))} />
      <label class="check" for="assess-external">
        <input id="assess-external" type="checkbox" checked={external} onChange={(e) => setExternal((e.currentTarget as HTMLInputElement).checked)} />
        External assistance needed
      </label>
      <label class="check" for="assess-dismiss">
        <input id="assess-dismiss" type="checkbox" checked={dismiss} onChange={(e) => setDismiss((e.currentTarget as HTMLInputElement).checked)} />
        Dismiss as a false positive
      </label>
      {dismiss ? (
        <>
          <label for="assess-dismiss-reason">Why it is dismissed</label>
          <textarea id="assess-dismiss-reason" required maxLength={2000} value={reason} onInput={(e) => setReason(value(e))} />
        </>
      ) : null}
    </DecisionForm>
  );
}

export function ContainmentForm(props: FormProps) {
  const { state } = props;
  const [reason, setReason] = useState('');
  const digest = state.response?.pendingPlanDigest;
  const send = (button: string) =>
    post(state, { approved: button === 'approve', ...(reason.trim() ? { reason } : {}), ...(digest ? { planDigest: digest } : {}) }, 'containment', 'approval');
  return (
    <DecisionForm
      title="Containment approval"
      buttons={[
        { label: 'Approve containment', value: 'approve' },
        { label: 'Refuse containment', value: 'refuse', class: 'danger' },
      ]}
      {...props}
      send={send}
      onSent={() => setReason('')}
    >
      <p>
        Plan digest: <code class="digest">{digest ?? 'none shown'}</code>
      </p>
      {state.assets?.length ? <p>Assets: {state.assets.map((a) => `${a.kind} ${a.id}`).join(', ')}</p> : null}
      <label for="containment-reason">Reason for the containment decision (optional)</label>
      <textarea id="containment-reason" maxLength={2000} value={reason} onInput={(e) => setReason(value(e))} />
    </DecisionForm>
  );
}

export function AssignRoleForm(props: FormProps) {
  const [role, setRole] = useState<string>(INCIDENT_ROLES[0]);
  const [person, setPerson] = useState('');
  return (
    <DecisionForm
      title="Incident role"
      buttons={[{ label: 'Assign role' }]}
      {...props}
      send={() => api.put<IncidentState>(incidentPath(props.state.incidentId, 'roles', role), { person: person.trim() })}
      onSent={() => setPerson('')}
    >
      <label for="assign-role">Incident role</label>
      <select id="assign-role" value={role} onChange={(e) => setRole(value(e))}>
        {INCIDENT_ROLES.map((r) => (
          <option key={r} value={r}>{r}</option>
        ))}
      </select>
      <label for="assign-person">Person</label>
      <input id="assign-person" type="text" required maxLength={200} value={person} onInput={(e) => setPerson(value(e))} />
    </DecisionForm>
  );
}

export function NoteForm(props: FormProps) {
  const [text, setText] = useState('');
  return (
    <DecisionForm title="Note" buttons={[{ label: 'Add note' }]} {...props} send={() => post(props.state, { text }, 'notes')} onSent={() => setText('')}>
      <label for="note-text">Note</label>
      <textarea id="note-text" required maxLength={10000} value={text} onInput={(e) => setText(value(e))} />
    </DecisionForm>
  );
}

export function EscalateForm(props: FormProps) {
  const [reason, setReason] = useState('');
  return (
    <DecisionForm title="Escalation" buttons={[{ label: 'Escalate', class: 'danger' }]} {...props} send={() => post(props.state, { reason }, 'escalations')} onSent={() => setReason('')}>
      <label for="escalate-reason">Why escalate one level up</label>
      <textarea id="escalate-reason" required maxLength={2000} value={reason} onInput={(e) => setReason(value(e))} />
    </DecisionForm>
  );
}

interface ActionItemDraft {
  title: string;
  owner: string;
  due: string;
}

export function ReviewForm(props: FormProps) {
  const [lessons, setLessons] = useState('');
  const [items, setItems] = useState<ActionItemDraft[]>([]);
  const update = (i: number, patch: Partial<ActionItemDraft>) => setItems(items.map((item, j) => (j === i ? { ...item, ...patch } : item)));
  const send = () => {
    const actionItems = items.map((item) => ({ title: item.title.trim(), owner: item.owner.trim(), dueAt: new Date(item.due).toISOString() }));
    return post(props.state, { lessons, actionItems }, 'review');
  };
  return (
    <DecisionForm
      title="Post-incident review"
      buttons={[{ label: 'Record review' }]}
      {...props}
      send={send}
      onSent={() => {
        setLessons('');
        setItems([]);
      }}
    >
      <label for="review-lessons">Lessons learned</label>
      <textarea id="review-lessons" required maxLength={20000} value={lessons} onInput={(e) => setLessons(value(e))} />
      {items.map((item, i) => (
        <fieldset key={i}>
          <legend>Action item {i + 1}</legend>
          <label for={`review-item-${i}-title`}>Title</label>
          <input id={`review-item-${i}-title`} type="text" required maxLength={300} value={item.title} onInput={(e) => update(i, { title: value(e) })} />
          <label for={`review-item-${i}-owner`}>Owner</label>
          <input id={`review-item-${i}-owner`} type="text" required maxLength={200} value={item.owner} onInput={(e) => update(i, { owner: value(e) })} />
          <label for={`review-item-${i}-due`}>Due</label>
          <input id={`review-item-${i}-due`} type="datetime-local" required value={item.due} onInput={(e) => update(i, { due: value(e) })} />
          <button type="button" class="secondary" onClick={() => setItems(items.filter((_, j) => j !== i))}>
            Remove action item {i + 1}
          </button>
        </fieldset>
      ))}
      <p>
        <button type="button" class="secondary" onClick={() => setItems([...items, { title: '', owner: '', due: '' }])}>
          Add action item
        </button>
      </p>
    </DecisionForm>
  );
}

export function CloseForm(props: FormProps) {
  const [resolution, setResolution] = useState<string>(RESOLUTIONS[0]);
  const [summary, setSummary] = useState('');
  return (
    <DecisionForm title="Close" buttons={[{ label: 'Close incident' }]} {...props} send={() => post(props.state, { resolution, summary }, 'close')}>
      <label for="close-resolution">Resolution</label>
      <select id="close-resolution" value={resolution} onChange={(e) => setResolution(value(e))}>
        {RESOLUTIONS.map((r) => (
          <option key={r} value={r}>{r.replace('_', ' ')}</option>
        ))}
      </select>
      <label for="close-summary">Summary</label>
      <textarea id="close-summary" required maxLength={10000} value={summary} onInput={(e) => setSummary(value(e))} />
    </DecisionForm>
  );
}

export function ObservableForm(props: FormProps) {
  const [kind, setKind] = useState<string>(OBSERVABLE_KINDS[0]);
  const [text, setText] = useState('');
  const [tlp, setTlp] = useState('amber');
  return (
    <DecisionForm title="Observable" buttons={[{ label: 'Add observable' }]} {...props} send={() => post(props.state, { kind, value: text.trim(), tlp }, 'observables')} onSent={() => setText('')}>
      <label for="observable-kind">Kind</label>
      <select id="observable-kind" value={kind} onChange={(e) => setKind(value(e))}>
        {OBSERVABLE_KINDS.map((k) => (
          <option key={k} value={k}>{k}</option>
        ))}
      </select>
      <label for="observable-value">Value (defanged forms are accepted)</label>
      <input id="observable-value" type="text" required maxLength={8192} value={text} onInput={(e) => setText(value(e))} />
      <label for="observable-tlp">TLP</label>
      <select id="observable-tlp" value={tlp} onChange={(e) => setTlp(value(e))}>
        {TLP_LEVELS.map((t) => (
          <option key={t} value={t}>{`TLP:${t.toUpperCase()}`}</option>
        ))}
      </select>
    </DecisionForm>
  );
}

/** Completing a task (its outcome fields) or deciding an approval gate. */
export function CompleteTaskForm(props: FormProps & { task: IncidentTask }) {
  const { task, state } = props;
  const [fields, setFields] = useState<Record<string, string | boolean>>({});
  const [reason, setReason] = useState('');
  const prefix = `task-${task.taskId}`;
  if (task.kind === 'approval') {
    return (
      <DecisionForm
        title={`Decide “${task.title}”`}
        buttons={[
          { label: `Approve ${task.title}`, value: 'approve' },
          { label: `Refuse ${task.title}`, value: 'refuse', class: 'danger' },
        ]}
        {...props}
        send={(button) => post(state, { approved: button === 'approve', ...(reason.trim() ? { reason } : {}) }, 'tasks', task.taskId, 'complete')}
      >
        <label for={`${prefix}-reason`}>Reason for the decision on {task.title} (optional)</label>
        <textarea id={`${prefix}-reason`} maxLength={2000} value={reason} onInput={(e) => setReason(value(e))} />
      </DecisionForm>
    );
  }
  const send = () => {
    const outcome: Record<string, string | number | boolean> = {};
    for (const field of task.outcomeFields ?? []) {
      const given = fields[field.name];
      if (field.type === 'boolean') outcome[field.name] = given === true;
      else if (given !== undefined && given !== '') outcome[field.name] = field.type === 'number' ? Number(given) : String(given);
    }
    return post(state, Object.keys(outcome).length ? { outcome } : {}, 'tasks', task.taskId, 'complete');
  };
  return (
    <DecisionForm title={`Complete “${task.title}”`} buttons={[{ label: `Complete ${task.title}` }]} {...props} send={send}>
      {(task.outcomeFields ?? []).map((field) =>
        field.type === 'boolean' ? (
          <label key={field.name} class="check" for={`${prefix}-${field.name}`}>
            <input id={`${prefix}-${field.name}`} type="checkbox" checked={fields[field.name] === true} onChange={(e) => setFields({ ...fields, [field.name]: (e.currentTarget as HTMLInputElement).checked })} />
            {field.name}
          </label>
        ) : (
          <div key={field.name}>
            <label for={`${prefix}-${field.name}`}>
              {field.name}
              {field.required ? ' (required)' : ''}
            </label>
            <input
              id={`${prefix}-${field.name}`}
              type={field.type === 'number' ? 'number' : 'text'}
              required={field.required}
              value={String(fields[field.name] ?? '')}
              onInput={(e) => setFields({ ...fields, [field.name]: value(e) })}
            />
          </div>
        ),
      )}
    </DecisionForm>
  );
}

export function SkipTaskForm(props: FormProps & { task: IncidentTask }) {
  const { task } = props;
  const [reason, setReason] = useState('');
  return (
    <DecisionForm title={`Skip “${task.title}”`} buttons={[{ label: `Skip ${task.title}`, class: 'secondary' }]} {...props} send={() => post(props.state, { reason }, 'tasks', task.taskId, 'skip')}>
      <label for={`task-${task.taskId}-skip-reason`}>Why it is skipped</label>
      <textarea id={`task-${task.taskId}-skip-reason`} required maxLength={2000} value={reason} onInput={(e) => setReason(value(e))} />
    </DecisionForm>
  );
}

/** A datetime-local value as the instant the API takes; empty stays undefined. */
const instant = (local: string): string | undefined => (local ? new Date(local).toISOString() : undefined);

export function RegimeForm(props: FormProps) {
  const [regime, setRegime] = useState('');
  const [startedAt, setStartedAt] = useState('');
  return (
    <DecisionForm
      title="Regulatory clocks"
      buttons={[{ label: 'Start regulatory clocks' }]}
      {...props}
      send={() => post(props.state, { regime: regime.trim(), startedAt: instant(startedAt) }, 'regimes')}
      onSent={() => setRegime('')}
    >
      <label for="regime-id">Regime (as configured, e.g. gdpr_art33, nis2_art23)</label>
      <input id="regime-id" type="text" required maxLength={64} value={regime} onInput={(e) => setRegime(value(e))} />
      <label for="regime-started">Counted from (awareness or discovery)</label>
      <input id="regime-started" type="datetime-local" required value={startedAt} onInput={(e) => setStartedAt(value(e))} />
    </DecisionForm>
  );
}

export function MaterialityForm(props: FormProps) {
  const [material, setMaterial] = useState(false);
  const [determinedAt, setDeterminedAt] = useState('');
  const [rationale, setRationale] = useState('');
  return (
    <DecisionForm
      title="Materiality"
      buttons={[{ label: 'Record materiality' }]}
      {...props}
      send={() => post(props.state, { material, determinedAt: instant(determinedAt), rationale }, 'materiality')}
    >
      <label class="check" for="materiality-material">
        <input id="materiality-material" type="checkbox" checked={material} onChange={(e) => setMaterial((e.currentTarget as HTMLInputElement).checked)} />
        Material (starts the SEC 8-K clock where configured)
      </label>
      <label for="materiality-at">Determined at</label>
      <input id="materiality-at" type="datetime-local" required value={determinedAt} onInput={(e) => setDeterminedAt(value(e))} />
      <label for="materiality-rationale">Rationale</label>
      <textarea id="materiality-rationale" required maxLength={5000} value={rationale} onInput={(e) => setRationale(value(e))} />
    </DecisionForm>
  );
}

export function FilingForm(props: FormProps) {
  const open = (props.state.regulatoryClocks ?? []).filter((c) => !c.filing && c.startedAt);
  const [clock, setClock] = useState('');
  const [reference, setReference] = useState('');
  const [filedAt, setFiledAt] = useState('');
  const [lateReason, setLateReason] = useState('');
  const chosen = clock || (open[0] ? `${open[0].regime}/${open[0].stage}` : '');
  const [regime, stage] = chosen.split('/');
  return (
    <DecisionForm
      title="Regulatory filing"
      buttons={[{ label: 'Record filing' }]}
      {...props}
      disabledReason={props.disabledReason ?? (open.length ? undefined : 'no regulatory filing is due')}
      send={() =>
        post(props.state, { regime, stage, reference: reference.trim(), ...(filedAt ? { filedAt: instant(filedAt) } : {}), ...(lateReason.trim() ? { lateReason } : {}) }, 'filings')
      }
      onSent={() => {
        setReference('');
        setLateReason('');
      }}
    >
      <label for="filing-clock">Filing</label>
      <select id="filing-clock" value={chosen} onChange={(e) => setClock(value(e))}>
        {open.map((c) => (
          <option key={`${c.regime}/${c.stage}`} value={`${c.regime}/${c.stage}`}>{`${c.regime} ${c.stage}`}</option>
        ))}
      </select>
      <label for="filing-reference">Filing reference</label>
      <input id="filing-reference" type="text" required maxLength={500} value={reference} onInput={(e) => setReference(value(e))} />
      <label for="filing-at">Filed at (empty: now)</label>
      <input id="filing-at" type="datetime-local" value={filedAt} onInput={(e) => setFiledAt(value(e))} />
      <label for="filing-late">Why late (needed when late, for regimes that ask)</label>
      <textarea id="filing-late" maxLength={5000} value={lateReason} onInput={(e) => setLateReason(value(e))} />
    </DecisionForm>
  );
}

export function ExternalAssistanceForm(props: FormProps) {
  const [provider, setProvider] = useState('');
  const [reference, setReference] = useState('');
  return (
    <DecisionForm
      title="External assistance"
      buttons={[{ label: 'Record external assistance' }]}
      {...props}
      send={() => post(props.state, { provider: provider.trim(), reference: reference.trim() }, 'external-assistance')}
      onSent={() => {
        setProvider('');
        setReference('');
      }}
    >
      <label for="assistance-provider">Provider</label>
      <input id="assistance-provider" type="text" required maxLength={200} value={provider} onInput={(e) => setProvider(value(e))} />
      <label for="assistance-reference">Contract or insurance policy reference</label>
      <input id="assistance-reference" type="text" required maxLength={200} value={reference} onInput={(e) => setReference(value(e))} />
    </DecisionForm>
  );
}

/** The task a form acts on: the one picked while it is still listed, else the first listed. */
function pickedTask(tasks: readonly IncidentTask[], picked: string): IncidentTask | undefined {
  return tasks.find((t) => t.taskId === picked) ?? tasks[0];
}

function TaskPicker(props: { id: string; label: string; tasks: readonly IncidentTask[]; value: string; onPick: (taskId: string) => void }) {
  return (
    <>
      <label for={props.id}>{props.label}</label>
      <select id={props.id} value={props.value} onChange={(e) => props.onPick(value(e))}>
        {props.tasks.map((t) => (
          <option key={t.taskId} value={t.taskId}>{`${t.title} (${t.taskId}${t.assignee ? `, ${t.assignee}` : ''})`}</option>
        ))}
      </select>
    </>
  );
}

/** Assign an open task to another person (approval gates go to their roles, so they are not listed). */
export function ReassignTaskForm(props: FormProps & { tasks: readonly IncidentTask[] }) {
  const candidates = props.tasks.filter((t) => t.status === 'open' && t.kind === 'task');
  const [picked, setPicked] = useState('');
  const [assignee, setAssignee] = useState('');
  const [reason, setReason] = useState('');
  const task = pickedTask(candidates, picked);
  return (
    <DecisionForm
      title="Reassign a task"
      buttons={[{ label: 'Reassign task' }]}
      {...props}
      disabledReason={props.disabledReason ?? (task ? undefined : 'no open task to reassign')}
      send={() => (task ? post(props.state, { assignee: assignee.trim(), ...(reason.trim() ? { reason } : {}) }, 'tasks', task.taskId, 'reassign') : undefined)}
      onSent={() => {
        setAssignee('');
        setReason('');
      }}
    >
      <TaskPicker id="reassign-task" label="Task to reassign" tasks={candidates} value={task?.taskId ?? ''} onPick={setPicked} />
      <label for="reassign-assignee">New assignee</label>
      <input id="reassign-assignee" type="text" required maxLength={200} value={assignee} onInput={(e) => setAssignee(value(e))} />
      <label for="reassign-reason">Why it is reassigned (optional)</label>
      <textarea id="reassign-reason" maxLength={2000} value={reason} onInput={(e) => setReason(value(e))} />
    </DecisionForm>
  );
}

export function TaskCommentForm(props: FormProps & { tasks: readonly IncidentTask[] }) {
  const [picked, setPicked] = useState('');
  const [text, setText] = useState('');
  const task = pickedTask(props.tasks, picked);
  return (
    <DecisionForm
      title="Comment on a task"
      buttons={[{ label: 'Comment' }]}
      {...props}
      disabledReason={props.disabledReason ?? (task ? undefined : 'the incident has no tasks')}
      send={() => (task ? post(props.state, { text }, 'tasks', task.taskId, 'comments') : undefined)}
      onSent={() => setText('')}
    >
      <TaskPicker id="comment-task" label="Task" tasks={props.tasks} value={task?.taskId ?? ''} onPick={setPicked} />
      <label for="comment-text">Comment</label>
      <textarea id="comment-text" required maxLength={10000} value={text} onInput={(e) => setText(value(e))} />
    </DecisionForm>
  );
}

export function AddTaskForm(props: FormProps) {
  const owners = [...ACTING_ROLES.map((r) => `role:${r}`), ...INCIDENT_ROLES.map((r) => `incidentRole:${r}`)];
  const [title, setTitle] = useState('');
  const [instructions, setInstructions] = useState('');
  const [owner, setOwner] = useState(owners[0]!);
  const [assignee, setAssignee] = useState('');
  const [due, setDue] = useState('4h');
  const [remind, setRemind] = useState('');
  const send = () => {
    const [kind, name] = owner.split(':') as ['role' | 'incidentRole', string];
    return post(
      props.state,
      {
        title: title.trim(),
        ...(instructions.trim() ? { instructions } : {}),
        owner: { [kind]: name },
        ...(assignee.trim() ? { assignee: assignee.trim() } : {}),
        due: /^[0-9]+$/.test(due.trim()) ? Number(due.trim()) : due.trim(),
        ...(remind.trim() ? { remindEvery: /^[0-9]+$/.test(remind.trim()) ? Number(remind.trim()) : remind.trim() } : {}),
      },
      'tasks',
    );
  };
  return (
    <DecisionForm
      title="Add a task"
      buttons={[{ label: 'Add task' }]}
      {...props}
      send={send}
      onSent={() => {
        setTitle('');
        setInstructions('');
        setAssignee('');
        setRemind('');
      }}
    >
      <label for="add-task-title">Task title</label>
      <input id="add-task-title" type="text" required maxLength={200} value={title} onInput={(e) => setTitle(value(e))} />
      <label for="add-task-instructions">Instructions (optional, Markdown)</label>
      <textarea id="add-task-instructions" maxLength={20000} value={instructions} onInput={(e) => setInstructions(value(e))} />
      <label for="add-task-owner">Owner</label>
      <select id="add-task-owner" value={owner} onChange={(e) => setOwner(value(e))}>
        {owners.map((o) => {
          const [kind, name] = o.split(':');
          return <option key={o} value={o}>{kind === 'role' ? `the ${name} role` : `the incident's ${name}`}</option>;
        })}
      </select>
      <label for="add-task-assignee">Assignee (optional; an incident role's holder by default)</label>
      <input id="add-task-assignee" type="text" maxLength={200} value={assignee} onInput={(e) => setAssignee(value(e))} />
      <label for="add-task-due">Due in (e.g. 30m, 4h, 2d)</label>
      <input id="add-task-due" type="text" required value={due} onInput={(e) => setDue(value(e))} />
      <label for="add-task-remind">Remind every (optional, shorter than the due time)</label>
      <input id="add-task-remind" type="text" value={remind} onInput={(e) => setRemind(value(e))} />
    </DecisionForm>
  );
}

/** Replace the running playbook with another stored one (GET /v1/playbooks lists the choices). */
export function ApplyPlaybookForm(props: FormProps) {
  const [listing, setListing] = useState<PlaybookListing[] | undefined>();
  const [listProblem, setListProblem] = useState<Problem | undefined>();
  const [name, setName] = useState('');
  const [version, setVersion] = useState('');
  useEffect(() => {
    let live = true;
    void api.get<{ items: PlaybookListing[] }>('/v1/playbooks').then((answer) => {
      if (!live) return;
      if (answer.ok) setListing(answer.body.items);
      else setListProblem(answer.problem);
    });
    return () => {
      live = false;
    };
  }, []);
  const items = listing ?? [];
  const chosen = items.find((p) => p.name === name) ?? items[0];
  const versions = chosen ? [...chosen.versions].sort((a, b) => b - a) : [];
  const chosenVersion = versions.includes(Number(version)) ? Number(version) : chosen?.latestVersion;
  const running = props.state.playbookRun?.pinned;
  const unavailable = listing === undefined ? (listProblem ? 'the playbooks could not be listed' : 'the playbooks are being listed') : items.length === 0 ? 'no playbook is stored' : undefined;
  return (
    <DecisionForm
      title="Apply another playbook"
      buttons={[{ label: 'Apply playbook' }]}
      {...props}
      disabledReason={props.disabledReason ?? unavailable}
      send={() => (chosen ? post(props.state, { name: chosen.name, ...(chosenVersion !== undefined ? { version: chosenVersion } : {}) }, 'playbook') : undefined)}
    >
      <ProblemMessage problem={listProblem} />
      {running ? (
        <p>
          Running: {running.name} version {running.version}. What is done stays done; open tasks of steps the new playbook lacks are skipped.
        </p>
      ) : null}
      <label for="apply-playbook-name">Playbook</label>
      <select
        id="apply-playbook-name"
        value={chosen?.name ?? ''}
        onChange={(e) => {
          setName(value(e));
          setVersion('');
        }}
      >
        {items.map((p) => (
          <option key={p.name} value={p.name}>{`${p.title} (${p.name})`}</option>
        ))}
      </select>
      <label for="apply-playbook-version">Version</label>
      <select id="apply-playbook-version" value={String(chosenVersion ?? '')} onChange={(e) => setVersion(value(e))}>
        {versions.map((v) => (
          <option key={v} value={String(v)}>{v === chosen?.latestVersion ? `${v} (latest)` : String(v)}</option>
        ))}
      </select>
    </DecisionForm>
  );
}

interface FollowUpFormProps {
  state: IncidentState;
  followUps: readonly IncidentTask[];
  disabledReason?: string | undefined;
  onFollowUps: (state: FollowUpState) => void;
}

const postFollowUp = (state: IncidentState, taskId: string, action: string, body: unknown) =>
  api.post<FollowUpState>(incidentPath(state.incidentId, 'follow-ups', taskId, action), body);

/** A closed incident's review action items: complete (with its outcome fields, if any), skip, reassign or comment. */
export function FollowUpForm(props: FollowUpFormProps & { action: 'complete' | 'skip' | 'reassign' | 'comment' }) {
  const { action } = props;
  const listed = action === 'comment' ? props.followUps : props.followUps.filter((t) => t.status === 'open');
  const [picked, setPicked] = useState('');
  const [text, setText] = useState('');
  const [assignee, setAssignee] = useState('');
  const [fields, setFields] = useState<Record<string, string | boolean>>({});
  const task = pickedTask(listed, picked);
  const id = `follow-up-${action}`;
  const spec = {
    complete: { title: 'Complete a follow-up', button: 'Complete follow-up', empty: 'no follow-up is open' },
    skip: { title: 'Skip a follow-up', button: 'Skip follow-up', empty: 'no follow-up is open' },
    reassign: { title: 'Reassign a follow-up', button: 'Reassign follow-up', empty: 'no follow-up is open' },
    comment: { title: 'Comment on a follow-up', button: 'Comment on follow-up', empty: 'the review named no action items' },
  }[action];
  const send = () => {
    if (!task) return undefined;
    switch (action) {
      case 'complete': {
        const outcome: Record<string, string | number | boolean> = {};
        for (const field of task.outcomeFields ?? []) {
          const given = fields[field.name];
          if (field.type === 'boolean') outcome[field.name] = given === true;
          else if (given !== undefined && given !== '') outcome[field.name] = field.type === 'number' ? Number(given) : String(given);
        }
        return postFollowUp(props.state, task.taskId, 'complete', Object.keys(outcome).length ? { outcome } : {});
      }
      case 'skip':
        return postFollowUp(props.state, task.taskId, 'skip', { reason: text });
      case 'reassign':
        return postFollowUp(props.state, task.taskId, 'reassign', { assignee: assignee.trim(), ...(text.trim() ? { reason: text } : {}) });
      case 'comment':
        return postFollowUp(props.state, task.taskId, 'comments', { text });
    }
  };
  return (
    <DecisionForm<FollowUpState>
      title={spec.title}
      buttons={[{ label: spec.button, ...(action === 'skip' ? { class: 'secondary' } : {}) }]}
      disabledReason={props.disabledReason ?? (task ? undefined : spec.empty)}
      send={send}
      onState={props.onFollowUps}
      onSent={() => {
        setText('');
        setAssignee('');
        setFields({});
      }}
    >
      <TaskPicker id={`${id}-task`} label="Follow-up" tasks={listed} value={task?.taskId ?? ''} onPick={setPicked} />
      {action === 'complete'
        ? (task?.outcomeFields ?? []).map((field) =>
            field.type === 'boolean' ? (
              <label key={field.name} class="check" for={`${id}-${field.name}`}>
                <input id={`${id}-${field.name}`} type="checkbox" checked={fields[field.name] === true} onChange={(e) => setFields({ ...fields, [field.name]: (e.currentTarget as HTMLInputElement).checked })} />
                {field.name}
              </label>
            ) : (
              <div key={field.name}>
                <label for={`${id}-${field.name}`}>
                  {field.name}
                  {field.required ? ' (required)' : ''}
                </label>
                <input
                  id={`${id}-${field.name}`}
                  type={field.type === 'number' ? 'number' : 'text'}
                  required={field.required}
                  value={String(fields[field.name] ?? '')}
                  onInput={(e) => setFields({ ...fields, [field.name]: value(e) })}
                />
              </div>
            ),
          )
        : null}
      {action === 'reassign' ? (
        <>
          <label for={`${id}-assignee`}>New assignee</label>
          <input id={`${id}-assignee`} type="text" required maxLength={200} value={assignee} onInput={(e) => setAssignee(value(e))} />
        </>
      ) : null}
      {action === 'skip' || action === 'reassign' || action === 'comment' ? (
        <>
          <label for={`${id}-text`}>{action === 'skip' ? 'Why it is skipped' : action === 'reassign' ? 'Why it is reassigned (optional)' : 'Comment'}</label>
          <textarea id={`${id}-text`} required={action !== 'reassign'} maxLength={action === 'comment' ? 10000 : 2000} value={text} onInput={(e) => setText(value(e))} />
        </>
      ) : null}
    </DecisionForm>
  );
}

import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Problem, type Session } from '../api';
import { ProblemMessage } from '../components/problem-message';
import { formatTime } from '../format';
import { KEY_ROLES, ROSTER_LEVELS, SEVERITIES, keyStatus, listFromText, newKeyBody, sortKeys, type KeyForm, type KeyRow } from './admin/forms';

interface KeyItem extends KeyRow {
  constraints: { sources: string[] | null; correlateAcrossSources: boolean; maxSeverity: string | null; assetKinds: string[] | null };
}

interface IssuedKey {
  keyId: string;
  name: string;
  role: string;
  token: string;
  expiresAt: string | null;
}

interface RosterItem {
  target: string;
  people: string[];
  updatedBy: string;
  updatedAt: string;
}

const inputValue = (event: Event) => (event.target as HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement).value;

/** The secret of a key just issued: shown this once, with a copy button; gone when dismissed or the page is left. */
function NewKeySecret(props: { issued: IssuedKey; onDone: () => void }) {
  const { issued } = props;
  const [copied, setCopied] = useState('');
  const region = useRef<HTMLDivElement>(null);
  useEffect(() => region.current?.focus(), [issued.keyId]);
  return (
    <div class="panel new-secret" role="region" aria-label="New key secret" tabIndex={-1} ref={region}>
      <p>
        <strong>Key “{issued.name}” ({issued.role}) issued</strong>
        {issued.expiresAt ? `, valid until ${formatTime(issued.expiresAt)}` : ''}. Copy its secret now: only its hash is kept, so it is{' '}
        <strong>never shown again</strong>.
      </p>
      <code class="secret">{issued.token}</code>
      <p class="actions">
        <button
          type="button"
          class="secondary"
          onClick={() => {
            if (!navigator.clipboard) {
              setCopied('Copying is not available here: select the secret and copy it.');
              return;
            }
            navigator.clipboard.writeText(issued.token).then(
              () => setCopied('Copied to the clipboard.'),
              () => setCopied('Copying was refused: select the secret and copy it.'),
            );
          }}
        >
          Copy secret
        </button>{' '}
        <button type="button" class="secondary" onClick={props.onDone}>
          I have stored it
        </button>
      </p>
      <p role="status">{copied}</p>
    </div>
  );
}

const EMPTY_FORM: KeyForm = { name: '', role: 'integration', expiresAt: '', sources: '', maxSeverity: '' };

function IssueKeyForm(props: { onIssued: (key: IssuedKey) => void }) {
  const [form, setForm] = useState<KeyForm>(EMPTY_FORM);
  const [problem, setProblem] = useState<Problem | undefined>();
  const [busy, setBusy] = useState(false);
  const set = (field: keyof KeyForm) => (event: Event) => setForm({ ...form, [field]: inputValue(event) });
  const integration = form.role === 'integration';
  return (
    <form
      aria-labelledby="issue-key"
      class="panel"
      onSubmit={async (event) => {
        event.preventDefault();
        const built = newKeyBody(form, new Date());
        if (!built.ok) {
          setProblem({ title: 'The key is not valid', status: 0, detail: `${built.field}: ${built.message}` });
          return;
        }
        setBusy(true);
        const result = await api.post<IssuedKey>('/v1/admin/keys', built.body);
        setBusy(false);
        if (!result.ok) {
          setProblem(result.problem);
          return;
        }
        setProblem(undefined);
        setForm(EMPTY_FORM);
        props.onIssued(result.body);
      }}
    >
      <h3 id="issue-key">Issue key</h3>
      <div class="form-row">
        <div>
          <label for="key-name">Name</label>
          <input id="key-name" value={form.name} onInput={set('name')} required maxLength={200} autoComplete="off" />
        </div>
        <div>
          <label for="key-role">Role</label>
          <select id="key-role" value={form.role} onChange={set('role')}>
            {KEY_ROLES.map((role) => (
              <option key={role} value={role}>{role}</option>
            ))}
          </select>
        </div>
        <div>
          <label for="key-expires">Expires (optional)</label>
          <input id="key-expires" type="datetime-local" value={form.expiresAt} onInput={set('expiresAt')} />
        </div>
      </div>
      {integration ? (
        <div class="form-row">
          <div>
            <label for="key-sources">Sources</label>
            <input id="key-sources" value={form.sources} onInput={set('sources')} aria-describedby="key-sources-hint" />
            <p id="key-sources-hint" class="hint">The alert sources it reports for, separated by commas or spaces (e.g. edr, siem).</p>
          </div>
          <div>
            <label for="key-max-severity">Highest severity (optional)</label>
            <select id="key-max-severity" value={form.maxSeverity} onChange={set('maxSeverity')}>
              <option value="">No cap</option>
              {SEVERITIES.map((s) => (
                <option key={s} value={s}>{s}</option>
              ))}
            </select>
          </div>
        </div>
      ) : null}
      <ProblemMessage problem={problem} />
      <button type="submit" disabled={busy}>Issue key</button>
    </form>
  );
}

function RevokeCell(props: { item: KeyItem; onRevoked: () => void }) {
  const { item } = props;
  const [confirming, setConfirming] = useState(false);
  const [problem, setProblem] = useState<Problem | undefined>();
  const [busy, setBusy] = useState(false);
  const confirmButton = useRef<HTMLButtonElement>(null);
  const revokeButton = useRef<HTMLButtonElement>(null);
  const returnFocus = useRef(false);
  useEffect(() => {
    if (confirming) confirmButton.current?.focus();
    else if (returnFocus.current) revokeButton.current?.focus();
  }, [confirming]);
  if (!confirming) {
    return (
      <td>
        <button type="button" class="danger" ref={revokeButton} aria-label={`Revoke ${item.name}`} onClick={() => setConfirming(true)}>
          Revoke
        </button>
        <ProblemMessage problem={problem} />
      </td>
    );
  }
  return (
    <td>
      <form
        class="confirm"
        aria-label={`Confirm revoking ${item.name}`}
        onSubmit={async (event) => {
          event.preventDefault();
          setBusy(true);
          const result = await api.delete<void>(`/v1/admin/keys/${encodeURIComponent(item.keyId)}`);
          setBusy(false);
          returnFocus.current = true;
          setConfirming(false);
          if (!result.ok) {
            setProblem(result.problem);
            return;
          }
          setProblem(undefined);
          props.onRevoked();
        }}
      >
        <p>Revoke “{item.name}”? Whatever uses it is refused from now on; this cannot be undone.</p>
        <button type="submit" class="danger" ref={confirmButton} disabled={busy}>
          Confirm revoke
        </button>{' '}
        <button
          type="button"
          class="secondary"
          onClick={() => {
            returnFocus.current = true;
            setConfirming(false);
          }}
        >
          Cancel
        </button>
      </form>
    </td>
  );
}

function constraintsText(item: KeyItem): string {
  if (item.role !== 'integration') return '—';
  const c = item.constraints;
  return [
    c.sources ? `sources: ${c.sources.join(', ')}` : 'any source',
    c.maxSeverity ? `at most ${c.maxSeverity}` : '',
    c.assetKinds ? `assets: ${c.assetKinds.join(', ')}` : '',
    c.correlateAcrossSources ? 'correlates across sources' : '',
  ]
    .filter(Boolean)
    .join('; ');
}

function KeysSection() {
  const [keys, setKeys] = useState<KeyItem[] | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  const [issued, setIssued] = useState<IssuedKey | undefined>();
  const [showRevoked, setShowRevoked] = useState(false);
  const load = async () => {
    const result = await api.get<{ items: KeyItem[] }>('/v1/admin/keys');
    if (result.ok) {
      setKeys(result.body.items);
      setProblem(undefined);
    } else setProblem(result.problem);
  };
  useEffect(() => {
    void load();
  }, []);
  const now = new Date();
  const shown = keys ? sortKeys(keys, now).filter((k) => showRevoked || keyStatus(k, now) !== 'revoked') : [];
  return (
    <section aria-labelledby="api-keys">
      <h2 id="api-keys">API keys</h2>
      <IssueKeyForm
        onIssued={(key) => {
          setIssued(key);
          void load();
        }}
      />
      {issued ? <NewKeySecret issued={issued} onDone={() => setIssued(undefined)} /> : null}
      <h3 id="keys-table">Keys</h3>
      <ProblemMessage problem={problem} />
      <div class="filters">
        <label class="inline">
          <input type="checkbox" checked={showRevoked} onChange={(event) => setShowRevoked((event.target as HTMLInputElement).checked)} /> Show revoked keys
        </label>
      </div>
      {keys === undefined ? (
        <p class="loading">Loading keys…</p>
      ) : (
        <table aria-labelledby="keys-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Key id</th>
              <th scope="col">Limits</th>
              <th scope="col">Issued</th>
              <th scope="col">Expires</th>
              <th scope="col">Last used</th>
              <th scope="col">Status</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((item) => {
              const status = keyStatus(item, now);
              return (
                <tr key={item.keyId} class={`key-${status}`}>
                  <th scope="row">{item.name}</th>
                  <td>{item.role}</td>
                  <td><code>{item.keyId}</code></td>
                  <td>{constraintsText(item)}</td>
                  <td>
                    {formatTime(item.createdAt)}
                    {item.createdBy ? ` by ${item.createdBy}` : ''}
                  </td>
                  <td>{item.expiresAt ? formatTime(item.expiresAt) : 'never'}</td>
                  <td>{item.lastUsedAt ? formatTime(item.lastUsedAt) : 'never'}</td>
                  <td>{status === 'revoked' ? `revoked ${formatTime(item.revokedAt ?? undefined)}` : status}</td>
                  {status === 'revoked' ? <td>—</td> : <RevokeCell item={item} onRevoked={() => void load()} />}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

function RosterLevel(props: { level: string; item: RosterItem | undefined; onSaved: (item: RosterItem) => void }) {
  const { level, item } = props;
  const [text, setText] = useState((item?.people ?? []).join('\n'));
  const [problem, setProblem] = useState<Problem | undefined>();
  const [saved, setSaved] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => setText((item?.people ?? []).join('\n')), [item?.updatedAt]);
  const id = `roster-${level}`;
  return (
    <form
      class="panel roster-level"
      aria-labelledby={`${id}-heading`}
      onSubmit={async (event) => {
        event.preventDefault();
        const people = listFromText(text, false);
        if (people.length === 0) {
          setProblem({ title: 'Name at least one person or team', status: 0, detail: 'one per line' });
          return;
        }
        setBusy(true);
        setSaved('');
        const result = await api.put<RosterItem>(`/v1/admin/roster/${encodeURIComponent(level)}`, { people });
        setBusy(false);
        if (!result.ok) {
          setProblem(result.problem);
          return;
        }
        setProblem(undefined);
        setSaved(`Saved: running incidents page ${result.body.people.join(', ')} at ${level} from now on.`);
        props.onSaved(result.body);
      }}
    >
      <h3 id={`${id}-heading`}>{level}</h3>
      <label for={id}>People or teams paged at {level} (one per line)</label>
      <textarea id={id} value={text} onInput={(event) => setText(inputValue(event))} rows={3} />
      <p class="hint">{item ? `Set by ${item.updatedBy}, ${formatTime(item.updatedAt)}` : 'Nobody is set for this level yet.'}</p>
      <ProblemMessage problem={problem} />
      <button type="submit" disabled={busy}>Save {level}</button>
      <p role="status" class="success">{saved}</p>
    </form>
  );
}

function RosterSection() {
  const [items, setItems] = useState<RosterItem[] | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  useEffect(() => {
    void api.get<{ items: RosterItem[] }>('/v1/admin/roster').then((result) => {
      if (result.ok) setItems(result.body.items);
      else setProblem(result.problem);
    });
  }, []);
  return (
    <section aria-labelledby="roster">
      <h2 id="roster">Roster</h2>
      <p>Who each escalation level pages. A missed deadline pages one level further up; running incidents use a change from the next page on.</p>
      <ProblemMessage problem={problem} />
      {items === undefined ? (
        problem ? null : <p class="loading">Loading the roster…</p>
      ) : (
        <div class="grid">
          {ROSTER_LEVELS.map((level) => (
            <RosterLevel
              key={level}
              level={level}
              item={items.find((i) => i.target === level)}
              onSaved={(saved) => setItems([...items.filter((i) => i.target !== saved.target), saved])}
            />
          ))}
        </div>
      )}
    </section>
  );
}

/** Administration: API keys (issued with their secret shown once, revoked after a confirmation) and the escalation roster. */
export function AdminView(props: { session: Session }) {
  void props;
  return (
    <section class="admin">
      <h1>Administration</h1>
      <KeysSection />
      <RosterSection />
    </section>
  );
}

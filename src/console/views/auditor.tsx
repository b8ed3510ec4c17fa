import type { Session } from '../api';

export function AuditorView(props: { incidentId: string; session: Session }) {
  void props;
  return <section><h1>AuditorView</h1><p>Being built.</p></section>;
}

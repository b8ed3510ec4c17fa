import type { Session } from '../api';

export function IncidentView(props: { incidentId: string; session: Session }) {
  void props;
  return <section><h1>IncidentView</h1><p>Being built.</p></section>;
}

import type { Session } from '../api';

export function ReportsView(props: { session: Session }) {
  void props;
  return <section><h1>ReportsView</h1><p>Being built.</p></section>;
}

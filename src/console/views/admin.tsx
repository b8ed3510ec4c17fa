import type { Session } from '../api';

export function AdminView(props: { session: Session }) {
  void props;
  return <section><h1>AdminView</h1><p>Being built.</p></section>;
}

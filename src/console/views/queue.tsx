import type { Session } from '../api';

export function QueueView(props: { session: Session }) {
  void props;
  return <section><h1>QueueView</h1><p>Being built.</p></section>;
}

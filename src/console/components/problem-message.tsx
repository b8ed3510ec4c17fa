import type { Problem } from '../api';

/**
 * A refusal shown where the person acted: the API's title and its reason (a 409 names what the
 * incident is waiting for instead). role="alert" so a screen reader announces it.
 */
export function ProblemMessage(props: { problem: Problem | undefined }) {
  const problem = props.problem;
  if (!problem) return null;
  return (
    <div class="problem" role="alert">
      <strong>{problem.status ? `${problem.status} · ` : ''}{problem.title}</strong>
      {problem.detail ? <p>{problem.detail}</p> : null}
    </div>
  );
}

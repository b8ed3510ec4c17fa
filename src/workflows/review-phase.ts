import { condition } from '@temporalio/workflow';
import { escalateForMissedDeadline, reviewReminderSent } from '../domain/incident';
import type { IncidentRun } from './incident-run';

/**
 * The review phase: the review is announced to the commander (or the chain's first level), and
 * while a required review is outstanding it is reminded on the severity's rhythm and escalated
 * when its deadline passes. It ends when the incident closes or must continue as new.
 */
export async function review(run: IncidentRun): Promise<void> {
  const recipient = run.state().roles.commander?.person ?? run.addressed(0).target;
  const policy = run.policy[run.state().severity];
  if (run.state().reviewRemindersSent === 0) {
    await run.notify({ ...run.base(), kind: 'review_scheduled', recipient, dueAt: run.state().nextDeadline?.dueAt });
  }
  const leaveReview = () => run.state().phase !== 'review' || run.shouldContinueAsNew();
  while (!leaveReview()) {
    if (!policy.reviewRequired || run.state().review) {
      await condition(leaveReview);
      return;
    }
    const state = run.state();
    const enteredAt = Date.parse(state.phaseEnteredAt.review ?? new Date().toISOString());
    const nextReminder = enteredAt + (state.reviewRemindersSent + 1) * policy.reviewReminderEvery;
    const deadline = state.nextDeadline;
    const wake = deadline ? Math.min(nextReminder, Date.parse(deadline.dueAt)) : nextReminder;
    if (await condition(() => leaveReview() || run.state().review !== undefined, Math.max(wake - Date.now(), 1))) continue;
    if (deadline && Date.now() >= Date.parse(deadline.dueAt)) {
      const missed = escalateForMissedDeadline(run.state(), deadline, run.policy, new Date(), run.escalationRule);
      run.set(missed.state);
      if (missed.escalation) await run.page(missed.escalation);
    } else {
      run.set(reviewReminderSent(run.state()));
      const reminder = run.state().reviewRemindersSent;
      run.audit({ entryKey: `reminder:${reminder}`, action: 'review_reminder', details: { recipient, dueAt: deadline?.dueAt } });
      await run.notify({ ...run.base(), kind: 'review_reminder', recipient, reminder, dueAt: deadline?.dueAt });
    }
    await run.publish();
  }
}

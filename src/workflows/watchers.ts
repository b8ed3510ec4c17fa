import { condition } from '@temporalio/workflow';
import { clockMissed, clockReminderSent, escalateForOverdueTask, isOpen, nextStageDeadline, roleHolders, stageDeadlineMissed, taskReminded } from '../domain/incident';
import { nextClockEvent } from '../domain/regulatory';
import { findTask, nextTaskTimer, reminderRecipient } from '../domain/task';
import type { IncidentRun } from './incident-run';

/**
 * The timers that run beside the lifecycle: regulatory clocks, stage SLAs and tasks. Each waits
 * without a timer while it has nothing to time, so incidents that do not use it add nothing to
 * their history. `busy()` says it is between a timer firing and its publish: the run must not end
 * or continue as new then.
 */
export interface Watcher {
  /** Between a timer firing and its publish. */
  busy(): boolean;
  /**
   * Its next timer is due already: it fires in this very activation (after the coroutine deciding
   * to end the run has run) or in the next. Ending the run now would drop the page or reminder it
   * is about to send.
   */
  due(): boolean;
}

/** `next()` is the instant the watcher's next timer falls due, if it has one. */
const busyWhile = (next: () => number | undefined): { watcher: Watcher; set(value: boolean): void } => {
  let busy = false;
  return {
    watcher: {
      busy: () => busy,
      due: () => {
        const at = next();
        return at !== undefined && at <= Date.now();
      },
    },
    set: (value) => {
      busy = value;
    },
  };
};

/** Reminds before each filing deadline and escalates when one passes unfiled. `changed` counts changes to the clocks. */
export function watchClocks(run: IncidentRun, changed: () => number): Watcher {
  const work = busyWhile(() => nextClockEvent(run.state().regulatoryClocks ?? [])?.at);
  void (async () => {
    for (;;) {
      const seen = changed();
      const next = nextClockEvent(run.state().regulatoryClocks ?? []);
      if (!next) {
        await condition(() => changed() !== seen);
        continue;
      }
      if (await condition(() => changed() !== seen, Math.max(next.at - Date.now(), 1))) continue;
      work.set(true);
      const clock = (run.state().regulatoryClocks ?? [])[next.index]!;
      if (next.kind === 'reminder') {
        run.set(clockReminderSent(run.state(), next.index));
        const state = run.state();
        const reminder = state.regulatoryClocks![next.index]!.remindersSent;
        run.audit({ entryKey: `regulatory-reminder:${clock.regime}:${clock.stage}:${reminder}`, action: 'regulatory_reminder', details: { regime: clock.regime, stage: clock.stage, dueAt: clock.dueAt } });
        const recipient = state.roles.commander?.person ?? run.addressed(state.escalationLevel).target;
        await run.notify({ ...run.base(), kind: 'regulatory_reminder', recipient, regime: clock.regime, stage: clock.stage, reminder, dueAt: next.dueAt });
      } else {
        const missed = clockMissed(run.state(), next.index, run.policy, new Date(), run.escalationRule);
        run.set(missed.state);
        run.audit({ entryKey: `regulatory-missed:${clock.regime}:${clock.stage}`, action: 'regulatory_deadline_missed', outcome: 'missed', details: { regime: clock.regime, stage: clock.stage, dueAt: clock.dueAt } });
        if (missed.escalation) await run.page(missed.escalation);
      }
      await run.publish();
      work.set(false);
    }
  })();
  return work.watcher;
}

/**
 * A stage still running at its SLA (containment done, forensics collected) records one breach
 * and escalates, again every repeat interval until it finishes.
 */
export function watchStageDeadlines(run: IncidentRun): Watcher {
  const work = busyWhile(() => {
    const next = nextStageDeadline(run.state());
    return next ? Date.parse(next.dueAt) : undefined;
  });
  void (async () => {
    for (;;) {
      const watched = run.state().stageDeadlines;
      const next = nextStageDeadline(run.state());
      if (!next) {
        await condition(() => run.state().stageDeadlines !== watched);
        continue;
      }
      if (await condition(() => run.state().stageDeadlines !== watched, Math.max(Date.parse(next.dueAt) - Date.now(), 1))) continue;
      work.set(true);
      const missed = stageDeadlineMissed(run.state(), next, run.policy, new Date());
      run.set(missed.state);
      if (missed.escalation) await run.page(missed.escalation);
      await run.publish();
      work.set(false);
    }
  })();
  return work.watcher;
}

/**
 * Reminds the owner of each open task before it falls due, and once it is overdue pages one
 * step up the chain, again every repeat interval until someone settles it.
 */
export function watchTasks(run: IncidentRun): Watcher {
  const work = busyWhile(() => (isOpen(run.state()) ? nextTaskTimer(run.state().tasks ?? [])?.at : undefined));
  void (async () => {
    for (;;) {
      const watched = run.state().tasks;
      const next = isOpen(run.state()) ? nextTaskTimer(run.state().tasks ?? []) : undefined;
      if (!next) {
        await condition(() => run.state().tasks !== watched);
        continue;
      }
      if (await condition(() => run.state().tasks !== watched, Math.max(next.at - Date.now(), 1))) continue;
      work.set(true);
      const task = findTask(run.state().tasks ?? [], next.taskId)!;
      if (next.kind === 'reminder') {
        run.set(taskReminded(run.state(), task.taskId));
        const reminder = task.remindersSent + 1;
        const recipient = reminderRecipient(task, roleHolders(run.state()));
        run.audit({ entryKey: `task-reminder:${task.taskId}:${reminder}`, action: 'task_reminder', details: { taskId: task.taskId, recipient, reminder, dueAt: task.dueAt } });
        await run.notify({ ...run.base(), kind: 'task_reminder', recipient, taskId: task.taskId, taskTitle: task.title, reminder, dueAt: task.dueAt });
      } else {
        const missed = escalateForOverdueTask(run.state(), task.taskId, run.policy, new Date(), run.escalationRule);
        run.set(missed.state);
        run.audit({ entryKey: `task-overdue:${task.taskId}:${task.overduePages + 1}`, action: 'task_overdue', outcome: 'missed', details: { taskId: task.taskId, dueAt: task.dueAt, page: task.overduePages + 1 } });
        if (missed.escalation) await run.page(missed.escalation);
      }
      await run.publish();
      work.set(false);
    }
  })();
  return work.watcher;
}

/** A watcher that never runs (stage SLAs in incidents from before their timers). */
export const IDLE: Watcher = { busy: () => false, due: () => false };

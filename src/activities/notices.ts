import { severityLevel } from '../domain/severity';
import type { Notification } from '../adapters/ports';
import type { Notice } from './types';

/**
 * Turns a notice into the notification sent, with the key that makes it idempotent: one per
 * (incident, escalation level, reason, page number), one review invitation, one message per reminder.
 */
export function notificationFor(notice: Notice): Notification {
  const sev = severityLevel(notice.severity);
  switch (notice.kind) {
    case 'escalation': {
      const e = notice.escalation;
      return {
        // A repeated page is a new page: its number keeps it from being taken for a redelivery.
        idempotencyKey: `escalation:${notice.incidentId}:${e.level}:${e.cause}${e.page ? `:${e.page}` : ''}`,
        incidentId: notice.incidentId,
        recipient: (e.targets ?? [e.target]).join(','),
        subject: `[${sev}] ${notice.title} — ${e.repeat ? `repeated page at the top (level ${e.level})` : `escalation level ${e.level}`}${e.loop ? `, pass ${e.loop + 1} over the chain` : ''}`,
        body: e.reason,
      };
    }
    case 'review_scheduled':
      return {
        idempotencyKey: `review-scheduled:${notice.incidentId}`,
        incidentId: notice.incidentId,
        recipient: notice.recipient,
        subject: `[${sev}] ${notice.title} — post-incident review scheduled`,
        body: notice.dueAt ? `record the review outcome by ${notice.dueAt}` : 'record the review outcome when it is held',
      };
    case 'regulatory_reminder':
      return {
        idempotencyKey: `regulatory-reminder:${notice.incidentId}:${notice.regime}:${notice.stage}:${notice.reminder}`,
        incidentId: notice.incidentId,
        recipient: notice.recipient,
        subject: `[${sev}] ${notice.title} — ${notice.regime} ${notice.stage} due ${notice.dueAt}`,
        body: `file ${notice.regime} ${notice.stage} by ${notice.dueAt} and record it with POST /v1/incidents/${notice.incidentId}/filings`,
      };
    case 'review_reminder':
      return {
        idempotencyKey: `review-reminder:${notice.incidentId}:${notice.reminder}`,
        incidentId: notice.incidentId,
        recipient: notice.recipient,
        subject: `[${sev}] ${notice.title} — review reminder ${notice.reminder}`,
        body: notice.dueAt ? `the review outcome is due by ${notice.dueAt}` : 'the review outcome is still outstanding',
      };
    case 'task_opened':
      return {
        idempotencyKey: `task-opened:${notice.incidentId}:${notice.taskId}`,
        incidentId: notice.incidentId,
        recipient: notice.recipient,
        subject: `[${sev}] ${notice.title} — task: ${notice.taskTitle}`,
        body: `due by ${notice.dueAt}; complete it with POST /v1/incidents/${notice.incidentId}/tasks/${notice.taskId}/complete`,
      };
    case 'task_reminder':
      return {
        idempotencyKey: `task-reminder:${notice.incidentId}:${notice.taskId}:${notice.reminder}`,
        incidentId: notice.incidentId,
        recipient: notice.recipient,
        subject: `[${sev}] ${notice.title} — reminder ${notice.reminder}: ${notice.taskTitle}`,
        body: `task ${notice.taskId} is due by ${notice.dueAt}`,
      };
    case 'playbook_notice':
      return {
        idempotencyKey: `playbook-notice:${notice.incidentId}:${notice.stepId}`,
        incidentId: notice.incidentId,
        recipient: notice.recipient,
        subject: `[${sev}] ${notice.title}`,
        body: notice.message,
      };
  }
}

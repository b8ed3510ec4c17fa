import { severityLevel } from '../domain/severity';
import type { Notification } from '../adapters/notifier';
import type { EscalationNotice } from './types';

/** Turns an escalation into the notification sent to its target. */
export function escalationNotification(notice: EscalationNotice): Notification {
  const { incidentId, title, severity, escalation } = notice;
  return {
    idempotencyKey: `escalation:${incidentId}:${escalation.level}:${escalation.cause}`,
    incidentId,
    recipient: escalation.target,
    subject: `[${severityLevel(severity)}] ${title} — escalation level ${escalation.level}`,
    body: escalation.reason,
  };
}

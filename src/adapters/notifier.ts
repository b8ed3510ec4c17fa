/** A message to a person or channel, with a key that makes delivering it twice harmless. */
export interface Notification {
  idempotencyKey: string;
  incidentId: string;
  recipient: string;
  subject: string;
  body: string;
}

/** Where notifications go: a pager, chat, e-mail bridge or a signed webhook. */
export interface Notifier {
  readonly name: string;
  send(notification: Notification): Promise<void>;
}

import { isFollowUpEntry } from '../../src/domain/follow-up';

describe('which audit entries are the follow-ups’', () => {
  it.each([
    ['the opening', 'follow-ups-opened', 'open_follow_ups'],
    ['a reminder', 'follow-up-reminder:follow-up-1:1', 'task_reminder'],
    ['an overdue page', 'follow-up-page:2', 'escalate'],
    ['the end', 'follow-ups-settled', 'settle_follow_ups'],
    ['a completion', 'decision:u-1', 'completeFollowUp'],
    ['a comment', 'decision:u-2', 'commentFollowUp'],
  ])('counts %s', (_what, entryKey, action) => {
    expect(isFollowUpEntry({ entryKey, action })).toBe(true);
  });

  it.each([
    ['an incident task’s reminder', 'task-reminder:scope:1', 'task_reminder'],
    ['an incident task’s completion', 'decision:u-3', 'completeTask'],
    ['a page of the incident', 'page:1:acknowledge', 'escalate'],
  ])('leaves out %s', (_what, entryKey, action) => {
    expect(isFollowUpEntry({ entryKey, action })).toBe(false);
  });
});

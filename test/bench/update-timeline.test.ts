import { readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { msToTs } from '@temporalio/common/lib/time';
import { eventMs, meanParts, slowest, updateParts, updateTimes, type HistoryEvent, type TimedUpdate } from '../../bench/update-timeline';

const T0 = 1_796_000_000_000;
const event = (offsetMs: number, attributes: Partial<HistoryEvent>): HistoryEvent => ({ eventTime: msToTs(T0 + offsetMs), ...attributes });
const task = (scheduled: number, started: number, completed: number): HistoryEvent[] => [
  event(scheduled, { workflowTaskScheduledEventAttributes: {} }),
  event(started, { workflowTaskStartedEventAttributes: {} }),
  event(completed, { workflowTaskCompletedEventAttributes: {} }),
];
const accepted = (ms: number, name: string, updateId: string) => event(ms, { workflowExecutionUpdateAcceptedEventAttributes: { acceptedRequest: { meta: { updateId }, input: { name } } } });
const answered = (ms: number, updateId: string) => event(ms, { workflowExecutionUpdateCompletedEventAttributes: { meta: { updateId } } });
// A local activity leaves a marker between the task's completion and the update's answer.
const localActivityMarker = (ms: number) => event(ms, { markerRecordedEventAttributes: { markerName: 'core_local_activity' } });

describe("an update's times from its workflow's history", () => {
  it('takes the task that accepted the update and answered it after a local activity', () => {
    const events = [...task(0, 1, 5), accepted(5, 'bump', 'u0'), answered(5, 'u0'), ...task(100, 101.5, 120.25), accepted(120.25, 'acknowledge', 'u1'), localActivityMarker(120.25), answered(120.25, 'u1')];
    expect(updateTimes(events, 'acknowledge')).toEqual({ scheduledMs: T0 + 100, startedMs: T0 + 101.5, answeredMs: T0 + 120.25 });
  });

  it('takes the completion of the later task that answered an update waiting on an activity', () => {
    const events = [...task(0, 2, 4), accepted(4, 'bumpWithActivity', 'u2'), event(4, { activityTaskScheduledEventAttributes: {} }), ...task(30, 31, 33), answered(33, 'u2')];
    expect(updateTimes(events, 'bumpWithActivity')).toEqual({ scheduledMs: T0, startedMs: T0 + 2, answeredMs: T0 + 33 });
  });

  it('has nothing for an update that was not accepted, or not answered yet', () => {
    const events = [...task(0, 1, 2), accepted(2, 'acknowledge', 'u3')];
    expect(updateTimes(events, 'acknowledge')).toBeUndefined();
    expect(updateTimes(events, 'assess')).toBeUndefined();
  });

  it('reads the event shapes of a recorded incident history', () => {
    const file = path.join(__dirname, '..', 'fixtures', 'histories', '0.6.0-dismissed.json');
    const events = historyFromJSON(JSON.parse(readFileSync(file, 'utf8'))).events ?? [];
    const byId = (id: number) => eventMs(events.find((e) => Number(e.eventId) === id)!);
    // Event 13 accepts the acknowledge in the task of events 10-12; its answer (16) follows a local activity's marker (15).
    expect(updateTimes(events, 'acknowledge')).toEqual({ scheduledMs: byId(10), startedMs: byId(11), answeredMs: byId(12) });
  });
});

describe("an update's latency in parts", () => {
  const call = (sent: number, done: number): TimedUpdate => ({ sentMs: sent, scheduledMs: sent + 2, startedMs: sent + 3, answeredMs: done - 1, doneMs: done });

  it('splits the latency into parts that add up to it', () => {
    const parts = updateParts(call(0, 20));
    expect(parts).toEqual([2, 1, 16, 1]);
    expect(parts.reduce((a, b) => a + b, 0)).toBe(20);
  });

  it('averages each part, and picks the slowest share by latency (at least one)', () => {
    const calls = [call(0, 10), call(100, 150), call(200, 220)];
    expect(slowest(calls, 0.01)).toEqual([calls[1]]);
    expect(slowest(calls, 0.5).map((c) => c.doneMs - c.sentMs)).toEqual([50, 20]);
    expect(meanParts(calls.slice(0, 2))).toEqual([2, 1, (6 + 46) / 2, 1]);
    expect(meanParts([])).toEqual([0, 0, 0, 0]);
  });
});

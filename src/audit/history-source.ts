import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError, type PayloadCodec } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { Pool } from 'pg';
import { workflowIdFor } from '../temporal/contract';
import type { TemporalGate } from '../temporal/reachability';
import { HistoryArchive } from '../db/history-archive';
import { decodePayloadsIn } from '../temporal/payload-json';

/** One run's history as `temporal workflow show --output json` prints it: `{events: [...]}`. */
export interface HistoryDocument {
  events: Array<Record<string, unknown>>;
}

/** `EVENT_TYPE_WORKFLOW_EXECUTION_STARTED` (CLI JSON) and `WorkflowExecutionStarted` name the same event. */
export function eventTypeName(event: Record<string, unknown>): string {
  const raw = String(event.eventType ?? '');
  if (!raw.startsWith('EVENT_TYPE_')) return raw;
  return raw
    .slice('EVENT_TYPE_'.length)
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_m, _s, c: string) => c.toUpperCase());
}

export interface RunHistory {
  runId: string;
  history: HistoryDocument;
}

/** Where a history is read from: the live Temporal server, or the archive once Temporal forgot it. */
export const HISTORY_ORIGINS = ['temporal', 'archive'] as const;
export type HistoryOrigin = (typeof HISTORY_ORIGINS)[number];

export interface IncidentHistory {
  workflowId: string;
  /** Every run, first to last, across continue-as-new. */
  runs: RunHistory[];
  source: HistoryOrigin;
}

function isNotFound(err: unknown): boolean {
  return err instanceof WorkflowNotFoundError || (err as { code?: number })?.code === 5 || /not found/i.test((err as Error)?.message ?? '');
}

/** Walks a workflow's runs from the first through each continue-as-new to the latest. */
export async function runChain(client: Client, workflowId: string): Promise<RunHistory[]> {
  const latest = await client.workflow.getHandle(workflowId).fetchHistory();
  const started = latest.events?.[0]?.workflowExecutionStartedEventAttributes;
  let runId: string | null | undefined = started?.firstExecutionRunId;
  const runs: RunHistory[] = [];
  while (runId) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    runs.push({ runId, history: JSON.parse(historyToJSON(history)) });
    runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    if (runs.length > 10_000) throw new Error(`${workflowId}: more than 10,000 runs`);
  }
  return runs;
}

/**
 * Reads an incident's full event history: from Temporal while it has it, from PostgreSQL after
 * the incident was archived at close and Temporal's retention removed it. Given a gate, a closed
 * incident's history is read from the archive while Temporal is unreachable, and an open one's
 * is refused at once. Given a codec, `of` gives the payloads decrypted (the export, replays);
 * Temporal and the archive keep them as they were written.
 */
export class HistorySource {
  constructor(
    private readonly client: Client,
    private readonly pool: Pool,
    private readonly temporal?: TemporalGate,
    private readonly codec?: PayloadCodec,
  ) {}

  async of(incidentId: string): Promise<IncidentHistory | undefined> {
    const history = await this.stored(incidentId);
    if (!history || !this.codec) return history;
    const codec = this.codec;
    return { ...history, runs: await Promise.all(history.runs.map(async (run) => ({ runId: run.runId, history: await decodePayloadsIn(run.history, codec) }))) };
  }

  /** The history as Temporal or the archive holds it, payloads still encrypted. */
  private async stored(incidentId: string): Promise<IncidentHistory | undefined> {
    const workflowId = workflowIdFor(incidentId);
    if (this.temporal && !this.temporal.reachable) {
      const runs = await this.fromArchive(incidentId);
      if (runs.length) return { workflowId, runs, source: 'archive' };
      this.temporal.assertReachable();
    }
    try {
      return { workflowId, runs: await this.fromTemporal(workflowId), source: 'temporal' };
    } catch (err) {
      if (!isNotFound(err)) throw err;
      const runs = await this.fromArchive(incidentId);
      return runs.length ? { workflowId, runs, source: 'archive' } : undefined;
    }
  }

  fromTemporal(workflowId: string): Promise<RunHistory[]> {
    return runChain(this.client, workflowId);
  }

  fromArchive(incidentId: string): Promise<RunHistory[]> {
    return new HistoryArchive(this.pool).runs(incidentId);
  }

  /** Copies every run into PostgreSQL and chains each run's digest into the audit log; archiving twice is harmless. */
  archive(incidentId: string, runs: RunHistory[]): Promise<void> {
    return new HistoryArchive(this.pool).archive(incidentId, runs);
  }
}

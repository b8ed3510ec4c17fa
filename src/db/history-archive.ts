import type { Pool } from 'pg';
import { ARCHIVE_RUN_ACTION, archiveRunEntry, runDigest, verifyArchive, type ArchiveVerdict } from '../domain/archive-digest';
import { AuditLog } from './audit-log';

/** A run of a workflow's history as archived: its id and the history document. */
export interface ArchivedRun {
  runId: string;
  history: { events: Array<Record<string, unknown>> };
}

/** Who archives: the audit entries that chain each run's digest name it. */
const ARCHIVER = 'firebreak';

/**
 * Closed incidents' histories in PostgreSQL (`incident_histories`, append-only), each run's
 * SHA-256 chained into the incident's audit log as it is archived, so a run changed afterwards is
 * found by comparing it with the digest the chain holds.
 */
export class HistoryArchive {
  private readonly auditLog: AuditLog;

  constructor(private readonly pool: Pool) {
    this.auditLog = new AuditLog(pool);
  }

  async runs(incidentId: string): Promise<ArchivedRun[]> {
    const { rows } = await this.pool.query('SELECT run_id, history FROM incident_histories WHERE incident_id = $1 ORDER BY run_index', [incidentId]);
    return rows.map((r) => ({ runId: r.run_id, history: r.history }));
  }

  /**
   * Stores every run and chains the digest of what was stored, as PostgreSQL gives it back.
   * Archiving twice is harmless: a stored run is kept as it was, and its audit entry is written once.
   */
  async archive(incidentId: string, runs: readonly ArchivedRun[]): Promise<void> {
    for (const [index, run] of runs.entries()) {
      await this.pool.query(
        `INSERT INTO incident_histories (incident_id, run_index, run_id, history) VALUES ($1, $2, $3, $4)
         ON CONFLICT (incident_id, run_index) DO NOTHING`,
        [incidentId, index, run.runId, JSON.stringify(run.history)],
      );
    }
    const { rows } = await this.pool.query(
      'SELECT run_index, run_id, history FROM incident_histories WHERE incident_id = $1 AND run_index < $2 ORDER BY run_index',
      [incidentId, runs.length],
    );
    const at = new Date().toISOString();
    await this.auditLog.append(
      incidentId,
      rows.map((r) => archiveRunEntry({ runIndex: r.run_index, runId: r.run_id, sha256: runDigest(r.history), events: r.history.events?.length ?? 0 }, at, ARCHIVER)),
    );
  }

  /** Each archived run against the digest chained when it was archived. */
  async verified(incidentId: string): Promise<ArchiveVerdict> {
    // The entries' own integrity is the audit chain's verdict; this compares the runs with them.
    const [{ rows }, chained] = await Promise.all([
      this.pool.query('SELECT run_index, run_id, history FROM incident_histories WHERE incident_id = $1 ORDER BY run_index', [incidentId]),
      this.pool.query('SELECT action, details FROM audit_log WHERE incident_id = $1 AND action = $2 ORDER BY seq', [incidentId, ARCHIVE_RUN_ACTION]),
    ]);
    return verifyArchive(rows.map((r) => ({ runIndex: r.run_index, runId: r.run_id, sha256: runDigest(r.history) })), chained.rows);
  }
}

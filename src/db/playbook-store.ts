import type { Pool } from 'pg';
import type { Playbook } from '../domain/playbook';
import { inTransaction } from './transaction';

export type PlaybookFormat = 'json' | 'yaml';

export interface PlaybookVersion {
  name: string;
  version: number;
  digest: string;
  title: string;
  playbook: Playbook;
  format: PlaybookFormat;
  source: string;
  createdBy: string;
  createdAt: string;
}

export interface PlaybookSummary {
  name: string;
  title: string;
  latestVersion: number;
  versions: number[];
}

/** Why a version was not stored: its number is taken by other content, or is not above the latest. */
export class PlaybookVersionConflict extends Error {
  override name = 'PlaybookVersionConflict';
}

/** Stores playbook versions; a stored version never changes. */
export class PlaybookStore {
  constructor(private readonly pool: Pool) {}

  /**
   * Stores a new version. Sending the same content under the same version again returns the stored
   * one (`created: false`), so an admin's retry is harmless; other content under a taken version,
   * or a version not above the latest, is a conflict.
   */
  async create(entry: Omit<PlaybookVersion, 'createdAt'>): Promise<{ created: boolean; version: PlaybookVersion }> {
    return inTransaction(this.pool, async (client) => {
      // One writer per name at a time, so "above the latest" holds under concurrent uploads.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`playbook:${entry.name}`]);
      const existing = await client.query(`SELECT ${COLUMNS} FROM playbook_versions WHERE name = $1 AND version = $2`, [entry.name, entry.version]);
      if (existing.rows[0]) {
        const stored = toVersion(existing.rows[0]);
        if (stored.digest === entry.digest) return { created: false, version: stored };
        throw new PlaybookVersionConflict(`${entry.name} version ${entry.version} exists with other content (${stored.digest}); a change is a new version`);
      }
      const { rows } = await client.query('SELECT max(version) AS latest FROM playbook_versions WHERE name = $1', [entry.name]);
      const latest: number | null = rows[0]?.latest ?? null;
      if (latest !== null && entry.version <= latest) {
        throw new PlaybookVersionConflict(`${entry.name} is at version ${latest}; a new version must be above it`);
      }
      const inserted = await client.query(
        `INSERT INTO playbook_versions (name, version, digest, title, playbook, format, source, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
        [entry.name, entry.version, entry.digest, entry.title, JSON.stringify(entry.playbook), entry.format, entry.source, entry.createdBy],
      );
      return { created: true, version: toVersion(inserted.rows[0]) };
    });
  }

  async get(name: string, version: number): Promise<PlaybookVersion | undefined> {
    const { rows } = await this.pool.query(`SELECT ${COLUMNS} FROM playbook_versions WHERE name = $1 AND version = $2`, [name, version]);
    return rows[0] ? toVersion(rows[0]) : undefined;
  }

  /** The latest version of every playbook (what matching chooses from). */
  async latest(): Promise<PlaybookVersion[]> {
    const { rows } = await this.pool.query(`SELECT DISTINCT ON (name) ${COLUMNS} FROM playbook_versions ORDER BY name, version DESC`);
    return rows.map(toVersion);
  }

  /** Every playbook by name, with its versions, newest title. */
  async list(): Promise<PlaybookSummary[]> {
    const { rows } = await this.pool.query(
      `SELECT name, (array_agg(title ORDER BY version DESC))[1] AS title, max(version) AS latest, array_agg(version ORDER BY version) AS versions
         FROM playbook_versions GROUP BY name ORDER BY name`,
    );
    return rows.map((r: { name: string; title: string; latest: number; versions: number[] }) => ({ name: r.name, title: r.title, latestVersion: r.latest, versions: r.versions }));
  }
}

const COLUMNS = 'name, version, digest, title, playbook, format, source, created_by, created_at';

function toVersion(row: {
  name: string;
  version: number;
  digest: string;
  title: string;
  playbook: Playbook;
  format: PlaybookFormat;
  source: string;
  created_by: string;
  created_at: Date;
}): PlaybookVersion {
  return {
    name: row.name,
    version: row.version,
    digest: row.digest,
    title: row.title,
    playbook: row.playbook,
    format: row.format,
    source: row.source,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
  };
}

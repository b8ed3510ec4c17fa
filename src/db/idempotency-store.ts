import type { Pool } from 'pg';

export interface StoredAnswer {
  requestHash: string;
  status: number;
  response: unknown;
}

/** Answers given under an Idempotency-Key, per API key. */
export class IdempotencyStore {
  constructor(private readonly pool: Pool) {}

  async find(keyId: string, idempotencyKey: string): Promise<StoredAnswer | undefined> {
    const { rows } = await this.pool.query('SELECT request_hash, status, response FROM idempotency_records WHERE key_id = $1 AND idempotency_key = $2', [
      keyId,
      idempotencyKey,
    ]);
    const row = rows[0];
    return row && { requestHash: row.request_hash, status: row.status, response: row.response };
  }

  /** The first answer stored wins; a concurrent duplicate's answer is the same anyway (intake is idempotent). */
  async save(keyId: string, idempotencyKey: string, answer: StoredAnswer): Promise<void> {
    await this.pool.query(
      `INSERT INTO idempotency_records (key_id, idempotency_key, request_hash, status, response)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
      [keyId, idempotencyKey, answer.requestHash, answer.status, JSON.stringify(answer.response)],
    );
  }
}

import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import type { Person, Principal, Role } from '../domain/principal';
import { secretDigest } from '../secret-digest';

/** A session token or CSRF token: 32 random bytes, base64url (43 characters). */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

const newToken = () => randomBytes(32).toString('base64url');

/** A console session that is neither expired nor ended. */
export interface ConsoleSession {
  principal: Principal & { person: Person };
  csrfToken: string;
  expiresAt: string;
}

/** What a new session is for. */
export interface NewSession {
  person: Person;
  role: Role;
  /** How long it lasts. */
  hours: number;
}

interface SessionRow {
  subject: string;
  issuer: string;
  name: string;
  role: Role;
  auth_time: Date | null;
  mfa: boolean;
  amr: string[] | null;
  csrf_token: string;
  expires_at: Date;
}

/** Console sessions in PostgreSQL, so every API replica knows them; only a SHA-256 of each token is stored. */
export class SessionStore {
  constructor(private readonly pool: Pool) {}

  /** Starts a session; the token is for the cookie and is not kept. */
  async start({ person, role, hours }: NewSession): Promise<{ token: string; session: ConsoleSession }> {
    const token = newToken();
    const csrfToken = newToken();
    const { rows } = await this.pool.query<{ expires_at: Date }>(
      `INSERT INTO console_sessions (token_hash, subject, issuer, name, role, auth_time, mfa, amr, csrf_token, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() + make_interval(secs => $10))
       RETURNING expires_at`,
      [secretDigest(token), person.subject, person.issuer, person.name, role, person.authTime ?? null, person.mfa, person.amr ?? null, csrfToken, Math.round(hours * 3600)],
    );
    return { token, session: { principal: principalOf(person, role), csrfToken, expiresAt: rows[0]!.expires_at.toISOString() } };
  }

  /** The live session the token stands for; undefined when it is malformed, unknown, expired or ended. */
  async find(token: string): Promise<ConsoleSession | undefined> {
    if (!TOKEN_PATTERN.test(token)) return undefined;
    const { rows } = await this.pool.query<SessionRow>(
      `SELECT subject, issuer, name, role, auth_time, mfa, amr, csrf_token, expires_at FROM console_sessions
        WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()`,
      [secretDigest(token)],
    );
    const row = rows[0];
    if (!row) return undefined;
    const person: Person = {
      subject: row.subject,
      issuer: row.issuer,
      name: row.name,
      ...(row.auth_time ? { authTime: row.auth_time.toISOString() } : {}),
      mfa: row.mfa,
      ...(row.amr ? { amr: row.amr } : {}),
    };
    return { principal: principalOf(person, row.role), csrfToken: row.csrf_token, expiresAt: row.expires_at.toISOString() };
  }

  /** Ends the session (logout); true when a live one was ended. */
  async end(token: string): Promise<boolean> {
    if (!TOKEN_PATTERN.test(token)) return false;
    const { rowCount } = await this.pool.query('UPDATE console_sessions SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL', [secretDigest(token)]);
    return (rowCount ?? 0) > 0;
  }
}

function principalOf(person: Person, role: Role): Principal & { person: Person } {
  return { keyId: `oidc:${person.subject}`, name: person.name, role, person };
}

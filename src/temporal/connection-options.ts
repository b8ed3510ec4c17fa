import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';

/**
 * Where Temporal is and how to reach it: the options `Connection.connect` (API, CLI) and
 * `NativeConnection.connect` (worker) both take.
 */
export interface TemporalConnectionOptions {
  address: string;
  /** Absent: plain gRPC (the dev server). */
  tls?: TLSConfig;
}

/** The environment variables, each a file path except the server name. */
export const TEMPORAL_TLS_VARIABLES = ['TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_KEY', 'TEMPORAL_TLS_CA', 'TEMPORAL_TLS_SERVER_NAME'] as const;

function readPem(env: NodeJS.ProcessEnv, variable: (typeof TEMPORAL_TLS_VARIABLES)[number]): Buffer | undefined {
  const file = env[variable];
  if (!file) return undefined;
  let content: Buffer;
  try {
    content = readFileSync(file);
  } catch (err) {
    throw new Error(`${variable}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (!content.toString('utf8').includes('-----BEGIN ')) throw new Error(`${variable}: ${file} is not PEM`);
  return content;
}

/**
 * TLS to Temporal from the environment. Any of the variables turns TLS on (TEMPORAL_TLS=true
 * alone: TLS with the system's roots); TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY together add a
 * client certificate (mTLS); TEMPORAL_TLS_CA trusts that CA instead of the system's;
 * TEMPORAL_TLS_SERVER_NAME is the name checked in the server's certificate when it is not the
 * address's host.
 */
export function temporalTlsFromEnvironment(env: NodeJS.ProcessEnv = process.env): TLSConfig | undefined {
  const on = TEMPORAL_TLS_VARIABLES.some((v) => env[v]) || /^(1|true|yes)$/i.test(env.TEMPORAL_TLS ?? '');
  if (!on) return undefined;
  if (Boolean(env.TEMPORAL_TLS_CERT) !== Boolean(env.TEMPORAL_TLS_KEY)) {
    throw new Error(`${env.TEMPORAL_TLS_CERT ? 'TEMPORAL_TLS_KEY' : 'TEMPORAL_TLS_CERT'}: a client certificate needs both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY`);
  }
  const crt = readPem(env, 'TEMPORAL_TLS_CERT');
  const key = readPem(env, 'TEMPORAL_TLS_KEY');
  const ca = readPem(env, 'TEMPORAL_TLS_CA');
  return {
    ...(crt && key ? { clientCertPair: { crt, key } } : {}),
    ...(ca ? { serverRootCACertificate: ca } : {}),
    ...(env.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME } : {}),
  };
}

/** Address (TEMPORAL_ADDRESS, or the one given) and TLS settings, for either kind of connection. */
export function temporalConnectionOptions(env: NodeJS.ProcessEnv = process.env, address?: string): TemporalConnectionOptions {
  const tls = temporalTlsFromEnvironment(env);
  return { address: address ?? env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233', ...(tls ? { tls } : {}) };
}

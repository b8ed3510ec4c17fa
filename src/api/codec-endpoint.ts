import express, { Router, type RequestHandler } from 'express';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import type { ApiKeyStore } from '../db/api-key-store';
import type { Role } from '../domain/principal';
import { PayloadDecryptionError } from '../temporal/payload-codec';
import { payloadFromJson, payloadToJson } from '../temporal/payload-json';
import { allow, authenticate } from './auth';
import { HttpProblem, problems, validationProblem } from './problem';

/** Who may read decrypted payloads: the people who already read whole histories. */
export const CODEC_ROLES: readonly Role[] = ['auditor'];

/** Temporal's payloads are up to 2 MB each; the UI sends a history's worth at a time. */
export const CODEC_MAX_BODY = '8mb';

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
/** The codec server protocol: `{payloads: [{metadata: {name: base64}, data: base64}]}`. */
const CodecRequest = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() })).max(10_000),
});

export interface CodecEndpointOptions {
  keys: ApiKeyStore;
  codec: PayloadCodec;
  /** Origins of the Temporal UI allowed to call from a browser (FIREBREAK_CODEC_CORS_ORIGINS). */
  corsOrigins: readonly string[];
}

/**
 * CORS for the Temporal UI: it calls from the browser with credentials and the X-Namespace
 * header, so the origin is echoed (never `*`) and only for the configured origins.
 */
function cors(origins: readonly string[]): RequestHandler {
  return (req, res, next) => {
    const origin = req.get('origin');
    if (origin && origins.includes(origin)) {
      res.set({
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': 'Authorization, Content-Type, X-Namespace',
        'Access-Control-Max-Age': '600',
      });
      res.vary('Origin');
    }
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  };
}

function transform(step: (payloads: Payload[]) => Promise<Payload[]>): RequestHandler {
  return async (req, res) => {
    if (!req.is('application/json')) throw problems.unsupportedMediaType();
    const parsed = CodecRequest.safeParse(req.body);
    if (!parsed.success) throw validationProblem(parsed.error);
    let payloads: Payload[];
    try {
      payloads = await step(parsed.data.payloads.map((p) => payloadFromJson(p)));
    } catch (err) {
      if (err instanceof PayloadDecryptionError) throw new HttpProblem(422, 'payload-not-decodable', 'A payload cannot be decrypted', err.message);
      throw err;
    }
    res.json({ payloads: payloads.map(payloadToJson) });
  };
}

/**
 * `POST /codec/decode` and `/codec/encode` as Temporal's UI and CLI (`--codec-endpoint`,
 * `--codec-auth "Bearer <key>"`) call them. Only an auditor's key: 401 without one, 403 for other roles.
 */
export function codecEndpoint(options: CodecEndpointOptions): Router {
  const router = Router();
  router.use(cors(options.corsOrigins));
  router.use(authenticate(options.keys), allow(CODEC_ROLES));
  router.use(express.json({ limit: CODEC_MAX_BODY }));
  router.post('/decode', transform((payloads) => options.codec.decode(payloads)));
  router.post('/encode', transform((payloads) => options.codec.encode(payloads)));
  return router;
}

/** The UI origins allowed to call the codec endpoint, from a comma-separated list. */
export function codecCorsOriginsFromEnvironment(env: NodeJS.ProcessEnv = process.env): string[] {
  const origins = (env.FIREBREAK_CODEC_CORS_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const origin of origins) {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new Error(`FIREBREAK_CODEC_CORS_ORIGINS: ${origin} is not an origin (scheme://host[:port])`);
    }
    if (url.origin !== origin) throw new Error(`FIREBREAK_CODEC_CORS_ORIGINS: ${origin} is not an origin (scheme://host[:port], no path)`);
  }
  return origins;
}

import { z } from 'zod';
import { SEVERITIES } from './severity';

/** Control characters (other than tab, newline, carriage return) have no place in alert text. */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !CONTROL_CHARS.test(s), { message: 'must not contain control characters' });

const identifier = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

export const ASSET_KINDS = ['host', 'address', 'account', 'service', 'container', 'cloud_resource', 'application'] as const;

export const AssetSchema = z.strictObject({
  kind: z.enum(ASSET_KINDS),
  id: identifier(256),
});

export const ObservableSchema = z.strictObject({
  kind: identifier(64),
  value: text(2048),
});

/** The body of `POST /v1/alerts` (DESIGN.md, "HTTP API v1"). Unknown fields are rejected. */
export const AlertSchema = z.strictObject({
  source: identifier(100),
  sourceRef: identifier(256),
  title: text(300),
  description: text(10_000).optional(),
  severity: z.enum(SEVERITIES),
  category: identifier(100).optional(),
  dedupKey: identifier(300).optional(),
  occurredAt: z.iso.datetime({ offset: true }).optional(),
  assets: z.array(AssetSchema).max(100).optional(),
  observables: z.array(ObservableSchema).max(500).optional(),
  raw: z.record(z.string().max(200), z.unknown()).optional(),
});

export type Alert = z.infer<typeof AlertSchema>;

/** Decisions that carry no fields still insist on a JSON object with nothing unexpected in it. */
export const EmptyDecisionSchema = z.strictObject({});

import { z } from 'zod';
import { ASSET_KINDS } from './asset';
import { SEVERITIES } from './severity';
import { boundedText as text, identifier, JsonValueSchema, storableString } from './text';


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
  raw: z.record(storableString(200), JsonValueSchema).optional(),
});

export type Alert = z.infer<typeof AlertSchema>;

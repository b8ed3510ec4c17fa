import { z } from 'zod';
import { ASSET_KINDS } from './asset';
import { ObservableSchema } from './observable';
import { SEVERITIES } from './severity';
import { boundedText as text, identifier, JsonValueSchema, oneLineText, storableString } from './text';


export const AssetSchema = z.strictObject({
  kind: z.enum(ASSET_KINDS),
  id: identifier(256),
});

export { ObservableSchema };

/** How many labels an alert keeps: enough for any monitor's, small enough for the incident's state. */
export const MAX_LABELS = 32;
export const MAX_LABEL_VALUE = 512;

/** Key/value labels from the monitor (Alertmanager's alertname, instance, job, …), shown on the alert. */
export const LabelsSchema = z
  .record(identifier(128), storableString(MAX_LABEL_VALUE))
  .refine((m) => Object.keys(m).length <= MAX_LABELS, { message: `at most ${MAX_LABELS} labels` })
  .meta({ maxProperties: MAX_LABELS });

/** The body of `POST /v1/alerts` (DESIGN.md, "HTTP API v1"). Unknown fields are rejected. */
export const AlertSchema = z.strictObject({
  source: identifier(100),
  sourceRef: identifier(256),
  title: oneLineText(300),
  description: text(10_000).optional(),
  severity: z.enum(SEVERITIES),
  category: identifier(100).optional(),
  dedupKey: identifier(300).optional(),
  occurredAt: z.iso.datetime({ offset: true }).optional(),
  assets: z.array(AssetSchema).max(100).optional(),
  observables: z.array(ObservableSchema).max(500).optional(),
  labels: LabelsSchema.optional(),
  raw: z.record(storableString(200), JsonValueSchema).optional(),
});

export type Alert = z.infer<typeof AlertSchema>;

import { z } from 'zod';
import { TASK_QUEUE } from './temporal/contract';
import { LOG_LEVELS } from './logger';
import { webhookUrlProblem } from './domain/webhook-url';
import { webhookSecretsProblem } from './adapters/webhook-signing';

const EnvSchema = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default(TASK_QUEUE),
  DATABASE_URL: z.string().min(1, 'DATABASE_URL is required (a postgres:// URL)'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  EVENT_SINK_URL: z.url({ protocol: /^https?$/, error: 'EVENT_SINK_URL must be an http(s) URL' }).superRefine((url, ctx) => {
    const problem = webhookUrlProblem(url);
    if (problem) ctx.addIssue({ code: 'custom', message: `EVENT_SINK_URL ${problem}` });
  }).optional(),
  EVENT_SINK_SECRET: z.string().min(16, 'EVENT_SINK_SECRET must have 16+ characters').superRefine((text, ctx) => {
    const problem = webhookSecretsProblem('EVENT_SINK_SECRET', text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }).optional(),
}).refine((e) => !e.EVENT_SINK_URL || e.EVENT_SINK_SECRET, { path: ['EVENT_SINK_SECRET'], message: 'EVENT_SINK_URL is set: EVENT_SINK_SECRET must be set too (16+ characters)' });

/** The environment as `schema` reads it, or an error naming every variable that is wrong. */
export function parseEnvironment<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new Error(`invalid configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

export interface Config {
  temporalAddress: string;
  temporalNamespace: string;
  /** Where the API starts incidents and the worker polls: separate deployments can share a namespace. */
  taskQueue: string;
  databaseUrl: string;
  port: number;
  host: string;
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  /** Where lifecycle events go (CloudEvents over HTTP, signed with the secret); none: they are not sent. */
  eventSink?: { url: string; secret: string };
}

/** Reads the process environment once, failing with the variable's name when one is wrong. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = parseEnvironment(EnvSchema, env);
  return {
    temporalAddress: e.TEMPORAL_ADDRESS,
    temporalNamespace: e.TEMPORAL_NAMESPACE,
    taskQueue: e.TEMPORAL_TASK_QUEUE,
    databaseUrl: e.DATABASE_URL,
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    ...(e.EVENT_SINK_URL && e.EVENT_SINK_SECRET ? { eventSink: { url: e.EVENT_SINK_URL, secret: e.EVENT_SINK_SECRET } } : {}),
  };
}

import { loadConfig } from '../config';
import { createApiPools } from '../db/pool';
import { createLogger } from '../logger';
import { temporalTlsFromEnvironment } from '../temporal/connection-options';
import { installTemporalRuntimeLogging } from '../temporal/runtime-logging';
import { payloadCodecFromEnvironment } from '../temporal/payload-codec';
import { startApi } from './api-service';
import { trustProxyFromEnvironment } from './rate-limit';
import { codecCorsOriginsFromEnvironment } from './codec-endpoint';
import { metricsTokenFromEnvironment } from './metrics-token';
import { oidcSettingsFromEnvironment } from './oidc-login';

/** Entry point of an API replica: `node dist/src/api/server.js`. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'firebreak-api');
  // The API's Temporal client runs on the SDK's core: its lines are the API's JSON lines too.
  installTemporalRuntimeLogging(logger, config.logLevel);
  const temporalTls = temporalTlsFromEnvironment();
  const payloadCodec = payloadCodecFromEnvironment();
  const metricsToken = metricsTokenFromEnvironment();
  const codecCorsOrigins = codecCorsOriginsFromEnvironment();
  if (!payloadCodec) logger.warn('FIREBREAK_PAYLOAD_KEYS is not set: incident details go to Temporal unencrypted');
  if (!metricsToken) logger.warn('METRICS_TOKEN is not set: /metrics answers anyone');
  const trustProxy = trustProxyFromEnvironment();
  // Before anything connects: a wrong FIREBREAK_OIDC_* variable stops the start, named.
  const oidc = oidcSettingsFromEnvironment(process.env, `http://${config.host}:${config.port}`);
  if (!oidc) logger.info('FIREBREAK_OIDC_ISSUER is not set: no console sign-in, API keys only');
  const { pool, reserved } = createApiPools(config.databaseUrl);
  const api = await startApi({ pool, reservedPool: reserved, trustProxy, logger, ...config, temporalTls, payloadCodec, metricsToken, codecCorsOrigins, oidc });
  logger.info({ url: api.url, temporalTls: Boolean(temporalTls), payloadKey: payloadCodec?.encryptingKeyId, oidcIssuer: oidc?.issuer }, 'API listening');
  const stop = async () => {
    logger.info('shutting down: finishing in-flight requests');
    await api.close();
    await Promise.all([pool.end(), reserved.end()]);
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error('API failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});

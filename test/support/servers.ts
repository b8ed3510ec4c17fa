/** What global setup started, handed to every suite through the environment. */
export const TEST_ENV = {
  temporalAddress: 'FIREBREAK_TEST_TEMPORAL_ADDRESS',
  postgresAdminUrl: 'FIREBREAK_TEST_POSTGRES_ADMIN_URL',
  workDir: 'FIREBREAK_TEST_WORK_DIR',
} as const;

export function testEnv(name: keyof typeof TEST_ENV): string {
  const value = process.env[TEST_ENV[name]];
  if (!value) throw new Error(`${TEST_ENV[name]} is not set: run the tests through jest (its global setup starts the servers)`);
  return value;
}

import { TEST_DECISION_ENV } from './decision-keys';

// Every test process signs and verifies decisions with the test key unless a test says otherwise.
for (const [name, value] of Object.entries(TEST_DECISION_ENV)) process.env[name] ??= value;

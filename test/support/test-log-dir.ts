import os from 'node:os';
import path from 'node:path';

/** Every line the gateways under test log, for the check that no secret ever reaches a log. */
export const TEST_LOG_DIR = path.join(os.tmpdir(), 'kaspi-gateway-test-logs');

import { buildSchema, findBreakingChanges } from 'graphql';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildGatewaySchema, printGatewaySchema } from '../../src/schema';

const ROOT = path.resolve(__dirname, '../..');
// The contract the project promises, kept and reviewed inside the repository: a fresh clone tests
// against it with nothing beside it. Each issue grows it with its part of the next contract.
const CONTRACT = path.join(ROOT, 'contract/schema.graphql');

describe('the GraphQL schema', () => {
  it('matches the committed schema.graphql (run npm run schema:emit after changing a resolver or type)', async () => {
    const emitted = printGatewaySchema(await buildGatewaySchema());
    expect(fs.readFileSync(path.join(ROOT, 'schema.graphql'), 'utf8')).toBe(emitted);
  });

  it('has no breaking change against the public contract', async () => {
    const contract = buildSchema(fs.readFileSync(CONTRACT, 'utf8'));
    const emitted = buildSchema(fs.readFileSync(path.join(ROOT, 'schema.graphql'), 'utf8'));
    expect(findBreakingChanges(contract, emitted)).toEqual([]);
  });

  it('would notice a breaking change: dropping a contract field is reported', () => {
    const contract = buildSchema(fs.readFileSync(CONTRACT, 'utf8'));
    const broken = buildSchema(fs.readFileSync(CONTRACT, 'utf8').replace('  providerStatus: String\n', ''));
    expect(findBreakingChanges(contract, broken).map((change) => change.description)).toEqual([
      'Payment.providerStatus was removed.',
    ]);
  });
});

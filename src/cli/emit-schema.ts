import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { buildGatewaySchema, printGatewaySchema } from '../schema';

/** `npm run schema:emit`: writes schema.graphql from the resolvers. A test fails while it is stale. */
async function main(): Promise<void> {
  const target = path.resolve(__dirname, '../../schema.graphql');
  fs.writeFileSync(target, printGatewaySchema(await buildGatewaySchema()));
  console.log(`wrote ${path.relative(process.cwd(), target)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

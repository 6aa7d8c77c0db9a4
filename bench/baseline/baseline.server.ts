import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import http from 'node:http';

/**
 * The yardstick: Apollo Server 5 on the gateway's HTTP stack (Express 5, express.json,
 * @as-integrations/express5) answering one trivial field, no context work, no database.
 */
async function main(): Promise<void> {
  const apollo = new ApolloServer({ typeDefs: 'type Query { ping: String! }', resolvers: { Query: { ping: () => 'pong' } } });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use('/graphql', express.json({ limit: '64kb' }), expressMiddleware(apollo));

  const server = http.createServer(app);
  const port = Number(process.env.PORT ?? 0);
  server.listen(port, '127.0.0.1');
  const stop = () => {
    server.close();
    server.closeAllConnections();
    void apollo.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error('baseline server failed to start:', error);
  process.exit(1);
});

import { cacheExchange, createClient, fetchExchange, mapExchange, type Client } from 'urql';

/**
 * GraphQL over HTTP to the gateway that served the page, with the key as a bearer header.
 * `onUnauthenticated` runs when the gateway no longer accepts the key (revoked meanwhile).
 */
export function createGatewayClient(key: string, onUnauthenticated: () => void): Client {
  return createClient({
    url: '/graphql',
    preferGetMethod: false,
    requestPolicy: 'cache-and-network',
    fetchOptions: () => ({ headers: { authorization: `Bearer ${key}` }, credentials: 'omit', referrerPolicy: 'no-referrer' }),
    exchanges: [
      mapExchange({
        onError(error) {
          const refused = (error.response as Response | undefined)?.status === 401;
          if (refused || error.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED')) onUnauthenticated();
        },
      }),
      cacheExchange,
      fetchExchange,
    ],
  });
}

/** What an error means for the operator, without the gateway's internals. */
export function errorText(error: { message: string; networkError?: Error; graphQLErrors?: Array<{ message: string }> } | undefined, networkText: string): string {
  if (!error) return '';
  if (error.networkError) return networkText;
  return error.graphQLErrors?.map((e) => e.message).join('; ') || error.message;
}

import { graphql } from '../../graphql';

export const KeyRow = graphql(`
  fragment KeyRow on ApiKey {
    id
    label
    role
    shopIds
    source
    createdAt
    revokedAt
  }
`);

export const ApiKeys = graphql(
  `
    query ConsoleApiKeys {
      apiKeys {
        ...KeyRow
      }
    }
  `,
  [KeyRow],
);

export const CreateApiKey = graphql(`
  mutation ConsoleCreateApiKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) {
      apiKey {
        id
        label
      }
      secret
      errors {
        code
        message
      }
    }
  }
`);

export const RevokeApiKey = graphql(`
  mutation ConsoleRevokeApiKey($id: ID!) {
    revokeApiKey(id: $id) {
      apiKey {
        id
        revokedAt
      }
      errors {
        code
        message
      }
    }
  }
`);

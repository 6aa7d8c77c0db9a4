import { graphql } from '../../graphql';

export const Endpoint = graphql(`
  fragment Endpoint on WebhookEndpoint {
    id
    url
    events
    shopIds
    description
    isActive
    disabledReason
    updatedAt
  }
`);

export const Webhooks = graphql(
  `
    query ConsoleWebhooks($limit: Int) {
      webhookEndpoints {
        ...Endpoint
      }
      webhookDeliveries(limit: $limit) {
        id
        endpointId
        eventType
        status
        attempts
        lastResponseStatus
        lastError
        createdAt
        deliveredAt
      }
    }
  `,
  [Endpoint],
);

export const CreateEndpoint = graphql(
  `
    mutation ConsoleCreateEndpoint($input: CreateWebhookEndpointInput!) {
      createWebhookEndpoint(input: $input) {
        endpoint {
          ...Endpoint
        }
        secret
        errors {
          code
          message
        }
      }
    }
  `,
  [Endpoint],
);

export const UpdateEndpoint = graphql(
  `
    mutation ConsoleUpdateEndpoint($id: ID!, $input: UpdateWebhookEndpointInput!) {
      updateWebhookEndpoint(id: $id, input: $input) {
        endpoint {
          ...Endpoint
        }
        errors {
          code
          message
        }
      }
    }
  `,
  [Endpoint],
);

export const RotateSecret = graphql(`
  mutation ConsoleRotateSecret($id: ID!) {
    rotateWebhookSecret(id: $id) {
      secret
      errors {
        code
        message
      }
    }
  }
`);

export const Redeliver = graphql(`
  mutation ConsoleRedeliver($deliveryId: ID!) {
    redeliverWebhook(deliveryId: $deliveryId) {
      delivery {
        id
        status
        attempts
      }
      errors {
        code
        message
      }
    }
  }
`);

import { graphql } from '../../graphql';

export const NeedsAttention = graphql(`
  query ConsoleNeedsAttention {
    needsAttention {
      count
      unknownPayments {
        id
        shopId
        amount
        status
        phoneMasked
        createdAt
      }
      disabledWebhookEndpoints {
        id
        url
        disabledReason
        updatedAt
      }
      unknownRefunds {
        id
        shopId
        externalId
        amount
        status
        createdAt
        refunds {
          id
          amount
          status
        }
      }
    }
  }
`);

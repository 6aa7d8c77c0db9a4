import { graphql } from '../../graphql';

export const PaymentRow = graphql(`
  fragment PaymentRow on Payment {
    id
    status
    amount
    shopId
    provider
    method
    externalId
    createdAt
  }
`);

export const SearchPayments = graphql(
  `
    query ConsoleSearchPayments($filter: PaymentSearchInput, $offset: Int, $limit: Int) {
      paymentSearch(filter: $filter, offset: $offset, limit: $limit) {
        totalCount
        items {
          ...PaymentRow
        }
      }
    }
  `,
  [PaymentRow],
);

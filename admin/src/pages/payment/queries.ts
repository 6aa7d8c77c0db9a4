import { graphql } from '../../graphql';

export const PaymentDetails = graphql(`
  fragment PaymentDetails on Payment {
    id
    externalId
    shopId
    organizationBin
    provider
    amount
    refundedAmount
    refundableAmount
    status
    providerStatus
    phoneMasked
    message
    method
    paymentUrl
    qrSvg
    expiresAt
    createdAt
    updatedAt
    refunds {
      id
      amount
      status
      returnOperationId
      createdAt
    }
  }
`);

export const PaymentWithTimeline = graphql(
  `
    query ConsolePayment($id: ID!) {
      payment(id: $id) {
        ...PaymentDetails
        webhookDeliveries {
          id
          eventType
          status
          attempts
          lastResponseStatus
          lastError
          createdAt
        }
      }
      logs(id: $id, limit: 200) {
        id
        operationType
        status
        amount
        actor
        reason
        errorCode
        errorMessage
        refundId
        createdAt
      }
    }
  `,
  [PaymentDetails],
);

export const RefundPayment = graphql(`
  mutation ConsoleRefund($input: RefundInput!) {
    refund(input: $input) {
      refund {
        id
        status
      }
      errors {
        code
        message
      }
    }
  }
`);

export const ResolvePayment = graphql(`
  mutation ConsoleResolvePayment($input: ResolvePaymentInput!) {
    resolveUnknownPayment(input: $input) {
      payment {
        id
        status
      }
      errors {
        code
        message
      }
    }
  }
`);

export const ResolveRefund = graphql(`
  mutation ConsoleResolveRefund($input: ResolveRefundInput!) {
    resolveUnknownRefund(input: $input) {
      refund {
        id
        status
      }
      errors {
        code
        message
      }
    }
  }
`);

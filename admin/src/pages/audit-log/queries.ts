import { graphql } from '../../graphql';

export const AuditLog = graphql(`
  query ConsoleAuditLog($shopId: Int, $operationType: OperationType, $id: ID, $before: ID, $limit: Int) {
    logs(shopId: $shopId, operationType: $operationType, id: $id, before: $before, limit: $limit) {
      id
      createdAt
      shopId
      organizationBin
      operationType
      externalId
      paymentId
      amount
      status
      actor
      reason
      errorCode
      errorMessage
    }
  }
`);

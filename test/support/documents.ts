/**
 * The GraphQL operations the tests send, written once. Each selects every field a test reads of
 * its type, so that a change to the schema shows up in one place. Tests that check what a role
 * or a limit does to a document keep their own on purpose.
 */

export const USER_ERROR_FIELDS = 'code message field providerCode retryable';
export const REFUND_FIELDS = 'id amount status returnOperationId createdAt';
export const PAYMENT_FIELDS = `id externalId shopId organizationBin provider method amount refundedAmount refundableAmount status providerStatus phoneMasked message paymentUrl qrToken qrSvg expiresAt refunds { ${REFUND_FIELDS} } createdAt updatedAt`;
export const CONFIG_FIELDS = 'id shopId organizationBin deviceToken isActive provider description cloudPaymentsPublicId createdAt updatedAt';
export const LOG_FIELDS = 'id shopId organizationBin provider operationType status amount externalId paymentId refundId errorCode errorMessage actor requestId reason createdAt';

export const CREATE_KASPI_PAYMENT = `mutation ($input: CreateKaspiPaymentInput!) {
  createKaspiPayment(input: $input) { payment { ${PAYMENT_FIELDS} } errors { ${USER_ERROR_FIELDS} } }
}`;

export const CREATE_PAYMENT = `mutation ($input: CreatePaymentInput!) {
  createPayment(input: $input) { payment { ${PAYMENT_FIELDS} } errors { ${USER_ERROR_FIELDS} } }
}`;

export const REFUND = `mutation ($input: RefundInput!) {
  refund(input: $input) { refund { ${REFUND_FIELDS} } payment { ${PAYMENT_FIELDS} } errors { ${USER_ERROR_FIELDS} } }
}`;

/** Asks the provider when the payment is not final (at most once per minimum interval). */
export const PAYMENT_STATUS = `query ($externalId: String!) { paymentStatus(externalId: $externalId) { ${PAYMENT_FIELDS} } }`;

/** Reads the payment as the gateway has it, asking no one. */
export const PAYMENT = `query ($id: ID!) { payment(id: $id) { ${PAYMENT_FIELDS} } }`;

export const CREATE_CONFIG = `mutation ($input: CreateConfigInput!) {
  createConfig(input: $input) { config { ${CONFIG_FIELDS} } errors { ${USER_ERROR_FIELDS} } }
}`;

export const UPDATE_CONFIG = `mutation ($shopId: Int!, $input: UpdateConfigInput!) {
  updateConfig(shopId: $shopId, input: $input) { config { ${CONFIG_FIELDS} } errors { ${USER_ERROR_FIELDS} } }
}`;

export const DEACTIVATE_CONFIG = `mutation ($shopId: Int!) {
  deactivateConfig(shopId: $shopId) { config { ${CONFIG_FIELDS} } errors { ${USER_ERROR_FIELDS} } }
}`;

export const RESOLVE_UNKNOWN_PAYMENT = `mutation ($input: ResolvePaymentInput!) {
  resolveUnknownPayment(input: $input) { payment { ${PAYMENT_FIELDS} } errors { ${USER_ERROR_FIELDS} } }
}`;

export const RESOLVE_UNKNOWN_REFUND = `mutation ($input: ResolveRefundInput!) {
  resolveUnknownRefund(input: $input) { refund { ${REFUND_FIELDS} } payment { ${PAYMENT_FIELDS} } errors { ${USER_ERROR_FIELDS} } }
}`;

export const LOGS = `query ($shopId: Int, $externalId: String, $limit: Int) {
  logs(shopId: $shopId, externalId: $externalId, limit: $limit) { ${LOG_FIELDS} }
}`;

export const PAYMENT_STATUS_CHANGED = `subscription ($shopId: Int, $externalId: String, $since: DateTime) {
  paymentStatusChanged(shopId: $shopId, externalId: $externalId, since: $since) {
    id previousStatus status changedAt replayCutShort payment { ${PAYMENT_FIELDS} }
  }
}`;

export const WEBHOOK_ENDPOINT_FIELDS = 'id url events shopIds description isActive disabledReason createdAt updatedAt';
export const WEBHOOK_DELIVERY_FIELDS = 'id endpointId eventId eventType status attempts lastResponseStatus lastError nextAttemptAt createdAt deliveredAt';

/** The signing secret comes back here and from a rotation only. */
export const CREATE_WEBHOOK_ENDPOINT = `mutation ($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { endpoint { ${WEBHOOK_ENDPOINT_FIELDS} } secret errors { ${USER_ERROR_FIELDS} } }
}`;

export const UPDATE_WEBHOOK_ENDPOINT = `mutation ($id: ID!, $input: UpdateWebhookEndpointInput!) {
  updateWebhookEndpoint(id: $id, input: $input) { endpoint { ${WEBHOOK_ENDPOINT_FIELDS} } secret errors { ${USER_ERROR_FIELDS} } }
}`;

export const ROTATE_WEBHOOK_SECRET = `mutation ($id: ID!) {
  rotateWebhookSecret(id: $id) { endpoint { ${WEBHOOK_ENDPOINT_FIELDS} } secret errors { ${USER_ERROR_FIELDS} } }
}`;

export const DELETE_WEBHOOK_ENDPOINT = `mutation ($id: ID!) {
  deleteWebhookEndpoint(id: $id) { endpoint { ${WEBHOOK_ENDPOINT_FIELDS} } errors { ${USER_ERROR_FIELDS} } }
}`;

export const WEBHOOK_ENDPOINTS = `{ webhookEndpoints { ${WEBHOOK_ENDPOINT_FIELDS} } }`;

export const WEBHOOK_DELIVERIES = `query ($endpointId: ID, $status: WebhookDeliveryStatus) {
  webhookDeliveries(endpointId: $endpointId, status: $status) { ${WEBHOOK_DELIVERY_FIELDS} }
}`;

export const REDELIVER_WEBHOOK = `mutation ($id: ID!) {
  redeliverWebhook(deliveryId: $id) { delivery { ${WEBHOOK_DELIVERY_FIELDS} } errors { ${USER_ERROR_FIELDS} } }
}`;

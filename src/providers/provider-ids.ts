/** The providers' ids, as a shop's configuration and each payment name them. */
export const KASPI_PROVIDER_ID = 'kaspi';
export const CLOUDPAYMENTS_PROVIDER_ID = 'cloudpayments';

/** The provider of a shop whose configuration names none. */
export const DEFAULT_PROVIDER_ID = KASPI_PROVIDER_ID;

import { graphql } from '../../graphql';

export const ActiveShops = graphql(`
  query ConsoleActiveShops {
    configs(isActive: true) {
      id
      shopId
      description
      organizationBin
      provider
    }
  }
`);

export const CreatePayment = graphql(`
  mutation ConsoleCreatePayment($input: CreatePaymentInput!) {
    createPayment(input: $input) {
      payment {
        id
        status
      }
      errors {
        code
        message
        field
      }
    }
  }
`);

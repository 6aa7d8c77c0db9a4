import { graphql } from '../../graphql';

export const ActiveShops = graphql(`
  query ConsoleActiveShops {
    configs(isActive: true) {
      id
      shopId
      description
      organizationBin
    }
  }
`);

export const CreatePayment = graphql(`
  mutation ConsoleCreatePayment($input: CreateKaspiPaymentInput!) {
    createKaspiPayment(input: $input) {
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

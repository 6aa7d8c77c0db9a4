import { graphql } from '../../graphql';

export const ShopConfig = graphql(`
  fragment ShopConfig on PaymentConfig {
    id
    shopId
    organizationBin
    deviceToken
    description
    isActive
    provider
    updatedAt
  }
`);

export const Shops = graphql(
  `
    query ConsoleShops {
      configs {
        ...ShopConfig
      }
    }
  `,
  [ShopConfig],
);


export const CreateShop = graphql(`
  mutation ConsoleCreateShop($input: CreateConfigInput!) {
    createConfig(input: $input) {
      config { id shopId organizationBin deviceToken description isActive provider updatedAt }
      errors { code message field }
    }
  }
`);

export const UpdateShop = graphql(`
  mutation ConsoleUpdateShop($shopId: Int!, $input: UpdateConfigInput!) {
    updateConfig(shopId: $shopId, input: $input) {
      config { id shopId organizationBin deviceToken description isActive provider updatedAt }
      errors { code message field }
    }
  }
`);

export const DeactivateShop = graphql(`
  mutation ConsoleDeactivateShop($shopId: Int!) {
    deactivateConfig(shopId: $shopId) {
      config { id shopId isActive updatedAt }
      errors { code message field }
    }
  }
`);

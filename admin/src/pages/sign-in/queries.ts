import { graphql } from '../../graphql';

export const WhoAmI = graphql(`
  query ConsoleWhoAmI {
    caller {
      label
      role
    }
  }
`);

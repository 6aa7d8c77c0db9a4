import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { buildContext, type ContextSources } from '../../src/http/operation-context';

/** What Apollo Server does to the context before it runs an operation (its `cloneObject`). */
const copyAsApolloDoes = <T extends object>(context: T): T => Object.assign(Object.create(Object.getPrototypeOf(context)), context);

function sources() {
  const forks: object[] = [];
  const orm = {
    em: {
      fork: () => {
        const em = { fork: forks.length };
        forks.push(em);
        return em;
      },
    },
  };
  const logger = pino({ level: 'silent' });
  return { forks, sources: { orm, services: {}, logger } as unknown as ContextSources };
}

describe('the context of a GraphQL operation', () => {
  it('makes no fork for an operation that never reads the database, even once Apollo has copied it', () => {
    const { forks, sources: from } = sources();
    const context = buildContext(from, { actor: null, requestId: 'req-00000001', clientAddress: null });
    const copy = copyAsApolloDoes(context);
    expect(copy.requestId).toBe('req-00000001');
    expect(forks).toHaveLength(0);
  });

  it('makes one fork, shared by the original and Apollo\'s copy, on first use', () => {
    const { forks, sources: from } = sources();
    const context = buildContext(from, { actor: null, requestId: 'req-00000002', clientAddress: null });
    const copy = copyAsApolloDoes(context);
    const em = copy.em;
    expect(forks).toHaveLength(1);
    expect(context.em).toBe(em);
    expect(copy.em).toBe(em);
    expect(forks).toHaveLength(1);
    expect(copy.logger).toBe(context.logger);
  });
});

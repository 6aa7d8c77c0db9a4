import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';

const PRODUCTION = {
  NODE_ENV: 'production',
  PRODUCTION_API_URL: 'https://proxy.example.kz/api/kaspi',
  KASPI_ACCESS_TOKEN: 'proxy-token',
  API_KEYS: 'service:0123456789abcdef0123',
  ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
};

describe('the environment, parsed once at start', () => {
  it('runs on its embedded defaults with nothing set: port 8015, embedded database, the Kaspi sandbox', () => {
    const config = loadConfig({});
    expect(config.port).toBe(8015);
    expect(config.database.url).toBeNull();
    expect(config.kaspi.mode).toBe('sandbox');
  });

  it('stops the start with a message naming the variable that is wrong', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ API_KEYS: 'root:short' })).toThrow(/API_KEYS/);
    expect(() => loadConfig({ KASPI_MODE: 'proxy' })).toThrow(/PRODUCTION_API_URL/);
  });

  it('never echoes a secret back in its message', () => {
    try {
      loadConfig({ API_KEYS: 'admin:this-is-a-secret-value,bogus' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toMatch(/API_KEYS/);
      expect((error as Error).message).not.toContain('this-is-a-secret-value');
    }
  });

  it('chooses the proxy when PRODUCTION_API_URL is set, and direct mode when a client certificate is', () => {
    expect(loadConfig({ PRODUCTION_API_URL: 'https://p.example.kz', KASPI_ACCESS_TOKEN: 't' }).kaspi.mode).toBe('proxy');
    expect(loadConfig({ KASPI_CLIENT_PFX: '/etc/kaspi/client.p12' }).kaspi.mode).toBe('direct');
  });

  it('refuses to start in production with the sandbox or without API keys', () => {
    expect(loadConfig(PRODUCTION).isProduction).toBe(true);
    expect(() => loadConfig({ ...PRODUCTION, PRODUCTION_API_URL: '', KASPI_ACCESS_TOKEN: '' })).toThrow(/sandbox/);
    expect(() => loadConfig({ ...PRODUCTION, API_KEYS: '' })).toThrow(/API_KEYS/);
  });
});

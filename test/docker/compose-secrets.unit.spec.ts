import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';

/**
 * docker/compose.yml as Compose reads it (merge keys resolved): no secret has a default, so a
 * stack cannot come up on a password or key everyone can read in this repository.
 */

interface LongPort {
  target: number;
  published?: string | number;
  host_ip?: string;
}
interface Service {
  environment?: Record<string, string | number | boolean | null>;
  ports?: (string | LongPort)[];
}
const file = resolve(__dirname, '..', '..', 'docker', 'compose.yml');
const text = readFileSync(file, 'utf8');
const services = (parse(text, { merge: true }) as { services: Record<string, Service> }).services;

/** A variable Compose must be given: `${NAME:?message}`, or `${NAME?message}` (set, may be empty). */
const required = /^\$\{[A-Z][A-Z0-9_]*:?\?[^}]*\}$/;
const secretVariable = /(KEYS|SECRET|PASSWORD|_PASS)$/;
/** The password of a URL's userinfo (`scheme://user:password@host`). */
const urlPassword = /^[a-z][a-z0-9+.-]*:\/\/[^:@/]*:(.*)@[^@]*$/i;

const environments = Object.entries(services).flatMap(([service, s]) =>
  Object.entries(s.environment ?? {}).map(([name, value]) => ({
    where: `${service}.${name}`,
    name,
    value: String(value),
  })),
);

describe('docker/compose.yml', () => {
  it('requires every secret (API and cloud keys, region secret, database and broker passwords) and defaults none', () => {
    const secrets = environments.filter((e) => secretVariable.test(e.name));
    expect(secrets.map((e) => e.name)).toEqual(
      expect.arrayContaining([
        'SNAPFERRY_API_KEYS',
        'SNAPFERRY_CLOUD_KEYS',
        'SNAPFERRY_REGION_SECRET',
        'POSTGRES_PASSWORD',
        'RABBITMQ_DEFAULT_PASS',
      ]),
    );
    const defaulted = secrets.filter((e) => !required.test(e.value)).map((e) => e.where);
    expect(defaulted).toEqual([]);

    const urls = environments.filter((e) => urlPassword.test(e.value));
    expect(urls.map((e) => e.name)).toEqual(
      expect.arrayContaining(['DATABASE_URL', 'REPLICATOR_DATABASE_URL', 'AMQP_URL']),
    );
    const literal = urls
      .filter((e) => !required.test(urlPassword.exec(e.value)![1]!))
      .map((e) => e.where);
    expect(literal).toEqual([]);

    // Nor anywhere else in the file: a secret-looking variable never has a `:-` or `-` default.
    const withDefault = [...text.matchAll(/\$\{([A-Z][A-Z0-9_]*)(:?-)/g)]
      .map((m) => m[1]!)
      .filter((name) => secretVariable.test(name));
    expect(withDefault).toEqual([]);
  });

  it('gives the API keys to the catalog only', () => {
    const holders = environments.filter((e) => e.name === 'SNAPFERRY_API_KEYS').map((e) => e.where);
    expect(holders).toEqual(['catalog.SNAPFERRY_API_KEYS']);
  });

  it('publishes the RabbitMQ management UI on 127.0.0.1 only, with a required password', () => {
    const rabbitmq = services['rabbitmq']!;
    const management = (rabbitmq.ports ?? []).filter((p) =>
      typeof p === 'string' ? /(^|:)15672(\/tcp)?$/.test(p) : p.target === 15672,
    );
    for (const port of management)
      if (typeof port === 'string') expect(port).toMatch(/^127\.0\.0\.1:/);
      else expect(port.host_ip).toBe('127.0.0.1');
    expect(rabbitmq.environment?.['RABBITMQ_DEFAULT_USER']).not.toBe('guest');
    expect(String(rabbitmq.environment?.['RABBITMQ_DEFAULT_PASS'])).toMatch(required);
  });
});

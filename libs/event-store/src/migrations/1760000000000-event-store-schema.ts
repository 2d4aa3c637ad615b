import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The event store's tables. `transaction_id` (xid8) lets global readers skip nothing:
 * bigserial positions are handed out before commit, so they can commit out of order.
 */
export class EventStoreSchema1760000000000 implements MigrationInterface {
  name = 'EventStoreSchema1760000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE events (
        global_position bigserial PRIMARY KEY,
        transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
        stream_id       text        NOT NULL,
        stream_position integer     NOT NULL CHECK (stream_position >= 1),
        event_id        uuid        NOT NULL,
        type            text        NOT NULL,
        schema_version  integer     NOT NULL DEFAULT 1,
        data            jsonb       NOT NULL,
        metadata        jsonb       NOT NULL DEFAULT '{}',
        recorded_at     timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT events_event_id_unique UNIQUE (event_id),
        CONSTRAINT events_stream_position_unique UNIQUE (stream_id, stream_position)
      )`);
    await runner.query(
      `CREATE INDEX events_global_order ON events (transaction_id, global_position)`,
    );
    await runner.query(
      `CREATE INDEX events_type ON events (type, transaction_id, global_position)`,
    );
    await runner.query(
      `CREATE INDEX events_account ON events ((metadata->>'accountId'), transaction_id, global_position)`,
    );
    await runner.query(`
      CREATE TABLE streams (
        stream_id text    PRIMARY KEY,
        version   integer NOT NULL CHECK (version >= 1)
      )`);
    await runner.query(`
      CREATE TABLE subscriptions (
        name            text        PRIMARY KEY,
        transaction_id  xid8        NOT NULL DEFAULT '0',
        global_position bigint      NOT NULL DEFAULT 0,
        updated_at      timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE subscriptions`);
    await runner.query(`DROP TABLE streams`);
    await runner.query(`DROP TABLE events`);
  }
}

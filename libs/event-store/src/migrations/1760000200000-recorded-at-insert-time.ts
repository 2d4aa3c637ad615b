import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `recorded_at` becomes the time the row was written (clock_timestamp()) rather than the
 * start of its transaction (now()): a transaction that waited on a lock no longer looks
 * older than it is, so lag measured from it is honest.
 */
export class RecordedAtInsertTime1760000200000 implements MigrationInterface {
  name = 'RecordedAtInsertTime1760000200000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE events ALTER COLUMN recorded_at SET DEFAULT clock_timestamp()`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE events ALTER COLUMN recorded_at SET DEFAULT now()`);
  }
}

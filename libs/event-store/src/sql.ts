import { QueryFailedError, type QueryRunner } from 'typeorm';

export type SqlResult<Row> = { rows: Row[]; rowCount: number };

/** The one thing the store's SQL needs: run a statement, get rows and the affected count. */
export type Sql = <Row = Record<string, unknown>>(
  text: string,
  params?: unknown[],
) => Promise<SqlResult<Row>>;

/** TypeORM returns `[rows, count]` for UPDATE/DELETE; the structured result is uniform. */
export const sqlOf =
  (runner: QueryRunner): Sql =>
  async <Row>(text: string, params: unknown[] = []) => {
    const result = await runner.query(text, params, true);
    return { rows: (result.records ?? []) as Row[], rowCount: result.affected ?? 0 };
  };

export type PgErrorFields = { code?: string; constraint?: string; detail?: string };

export function pgError(error: unknown): PgErrorFields | undefined {
  if (!(error instanceof QueryFailedError)) return undefined;
  const driverError = error.driverError as PgErrorFields | undefined;
  return driverError;
}

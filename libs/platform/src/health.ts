/** Named readiness checks: each resolves true when its dependency answers. */
export type HealthChecks = Record<string, () => Promise<boolean>>;

export interface HealthReport {
  status: 'ok' | 'unavailable';
  live: true;
  ready: boolean;
  checks: Record<string, 'up' | 'down'>;
}

/** Runs every check (a throwing check is `down`); ready when all are up. */
export async function healthReport(checks: HealthChecks): Promise<HealthReport> {
  const entries = await Promise.all(
    Object.entries(checks).map(
      async ([name, check]) => [name, (await check().catch(() => false)) ? 'up' : 'down'] as const,
    ),
  );
  const ready = entries.every(([, state]) => state === 'up');
  return {
    status: ready ? 'ok' : 'unavailable',
    live: true,
    ready,
    checks: Object.fromEntries(entries),
  };
}

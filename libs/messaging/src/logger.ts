/** The minimal structured logger the messaging layer needs (pino and nestjs-pino fit it). */
export interface MessagingLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: MessagingLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export function errorDetails(error: unknown): { err: string } {
  return { err: error instanceof Error ? error.message : String(error) };
}

/**
 * Closes a channel or connection that may already be broken (shutdown, a lost connection):
 * there is nothing left to do about a failure but say so, so it is logged, never thrown.
 */
export async function closeQuietly(
  what: string,
  close: () => Promise<unknown>,
  logger: MessagingLogger,
): Promise<void> {
  try {
    await close();
  } catch (error) {
    logger.info({ ...errorDetails(error), what }, 'close failed (already closed or broken)');
  }
}

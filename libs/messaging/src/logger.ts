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

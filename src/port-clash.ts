/**
 * What to say when a listen fails with EADDRINUSE: the variable whose port is busy, read from the
 * error's own port (Node sets it), so a busy SANDBOX_PORT is never blamed on PORT.
 */
export function portClashMessage(
  error: unknown,
  ports: { port: number; sandboxPort?: number; metricsPort?: number },
): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, port } = error as { code?: unknown; port?: unknown };
  if (code !== 'EADDRINUSE') return undefined;
  if (ports.sandboxPort !== undefined && port === ports.sandboxPort) {
    return `Port ${ports.sandboxPort} is already in use: stop the other process or set SANDBOX_PORT (the sandbox's Webex emulator listens there).`;
  }
  if (ports.metricsPort !== undefined && port === ports.metricsPort) {
    return `Port ${ports.metricsPort} is already in use: stop the other process or set METRICS_PORT (metrics are served there).`;
  }
  if (port === ports.port) return `Port ${ports.port} is already in use: stop the other process or set PORT.`;
  return `Port ${typeof port === 'number' ? port : '(unknown)'} is already in use: stop the other process, or set PORT, SANDBOX_PORT or METRICS_PORT.`;
}

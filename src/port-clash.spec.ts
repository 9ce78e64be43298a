import { portClashMessage } from './port-clash';

function inUse(port: number): Error {
  return Object.assign(new Error(`listen EADDRINUSE: address already in use :::${port}`), { code: 'EADDRINUSE', port });
}

describe(portClashMessage.name, () => {
  it('names SANDBOX_PORT when the emulator’s port is busy', () => {
    const message = portClashMessage(inUse(8081), { port: 8080, sandboxPort: 8081 });
    expect(message).toContain('SANDBOX_PORT');
    expect(message).not.toMatch(/set PORT\b/);
  });

  it('names PORT when the service’s port is busy', () => {
    const message = portClashMessage(inUse(8080), { port: 8080, sandboxPort: 8081 });
    expect(message).toBe('Port 8080 is already in use: stop the other process or set PORT.');
  });

  it('names METRICS_PORT when the metrics port is busy', () => {
    const message = portClashMessage(inUse(9464), { port: 8080, sandboxPort: 8081, metricsPort: 9464 });
    expect(message).toContain('set METRICS_PORT');
    expect(message).not.toMatch(/set PORT\b|SANDBOX_PORT/);
  });

  it('names PORT outside sandbox mode', () => {
    expect(portClashMessage(inUse(9000), { port: 9000 })).toContain('set PORT.');
  });

  it.each([[new Error('boom')], [null], ['EADDRINUSE'], [{ code: 'EACCES', port: 80 }]])(
    'says nothing about other failures (%p)',
    (error) => {
      expect(portClashMessage(error, { port: 8080, sandboxPort: 8081 })).toBeUndefined();
    },
  );
});

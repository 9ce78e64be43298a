import { EventEmitter } from 'node:events';
import type { ClientRequest } from 'node:http';
import type { Socket } from 'node:net';
import { CONNECT_TIMEOUT_CODE, watchConnect } from './connect-timeout';

describe(watchConnect.name, () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function fakes(connecting: boolean) {
    const socket = Object.assign(new EventEmitter(), { connecting }) as unknown as Socket;
    const destroy = jest.fn();
    const req = Object.assign(new EventEmitter(), { destroy }) as unknown as ClientRequest;
    return { socket, req, destroy };
  }

  it('destroys the request with its code when the socket does not connect in time', () => {
    const { socket, req, destroy } = fakes(true);
    watchConnect(req, socket, 200);
    jest.advanceTimersByTime(199);
    expect(destroy).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(destroy).toHaveBeenCalledWith(expect.objectContaining({ code: CONNECT_TIMEOUT_CODE }));
  });

  it('stands down once the socket connects, or the request ends first', () => {
    const connected = fakes(true);
    watchConnect(connected.req, connected.socket, 200);
    connected.socket.emit('connect');
    const closed = fakes(true);
    watchConnect(closed.req, closed.socket, 200);
    closed.req.emit('close');
    jest.advanceTimersByTime(1000);
    expect(connected.destroy).not.toHaveBeenCalled();
    expect(closed.destroy).not.toHaveBeenCalled();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('leaves a reused keep-alive socket alone', () => {
    const { socket, req, destroy } = fakes(false);
    watchConnect(req, socket, 200);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(1000);
    expect(destroy).not.toHaveBeenCalled();
  });
});

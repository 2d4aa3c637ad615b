import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Request, Response } from 'express';
import { bytesPerWindow, paceBodies, watchBodyPace } from './body-pace';

/** What the watch reads of a request: its connection's byte count and the body bytes not yet read. */
class FakeRequest extends EventEmitter {
  socket = { bytesRead: 500, destroy: jest.fn() };
  destroy = jest.fn();
  readableLength = 0;
  headers: Record<string, string> = { 'content-length': '1000000' };
  arrive(bytes: number) {
    this.socket.bytesRead += bytes;
  }
}

const pace = { timeoutMs: 1000, minBytesPerSec: 100 };

describe('the body pace', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const watch = (request: FakeRequest) => {
    const onSlow = jest.fn();
    watchBodyPace(request as unknown as IncomingMessage, pace, onSlow);
    return onSlow;
  };

  it('needs the minimum rate over a window, and at least a byte', () => {
    expect(bytesPerWindow(pace)).toBe(100);
    expect(bytesPerWindow({ timeoutMs: 30_000, minBytesPerSec: 1024 })).toBe(30 * 1024);
    expect(bytesPerWindow({ timeoutMs: 30_000, minBytesPerSec: 0 })).toBe(1);
  });

  it('lets a body through that keeps the pace, and cuts it off at the first window that does not', () => {
    const request = new FakeRequest();
    const onSlow = watch(request);
    for (let window = 0; window < 5; window++) {
      request.arrive(100);
      jest.advanceTimersByTime(1000);
    }
    expect(onSlow).not.toHaveBeenCalled();
    request.arrive(99); // a trickle: a byte short
    jest.advanceTimersByTime(1000);
    expect(onSlow).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(10_000);
    expect(onSlow).toHaveBeenCalledTimes(1);
  });

  it('cuts off a body that stops, within two windows of its last byte', () => {
    const request = new FakeRequest();
    const onSlow = watch(request);
    jest.advanceTimersByTime(500);
    request.arrive(10_000);
    jest.advanceTimersByTime(500); // the first window brought plenty
    expect(onSlow).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1000);
    expect(onSlow).toHaveBeenCalledTimes(1);
  });

  it('does not hold against the client a window the catalog ends with unread bytes (its own backpressure)', () => {
    const request = new FakeRequest();
    const onSlow = watch(request);
    request.arrive(64 * 1024);
    request.readableLength = 16 * 1024; // the reader is busy storing a chunk
    jest.advanceTimersByTime(5000);
    expect(onSlow).not.toHaveBeenCalled();
    request.readableLength = 0; // caught up; the client sends nothing more
    jest.advanceTimersByTime(1000);
    expect(onSlow).toHaveBeenCalledTimes(1);
  });

  it('stops watching when the body ends or the connection closes', () => {
    for (const event of ['end', 'close']) {
      const request = new FakeRequest();
      const onSlow = watch(request);
      request.emit(event);
      jest.advanceTimersByTime(10_000);
      expect(onSlow).not.toHaveBeenCalled();
    }
  });

  it('answers a slow body and then destroys the request (its reader learns), or destroys it at once when the answer was sent already; bodiless requests are not watched', () => {
    const answer = jest.fn();
    const middleware = paceBodies(pace, answer);
    const next = jest.fn();
    const response = (headersSent: boolean) =>
      Object.assign(new EventEmitter(), { headersSent }) as unknown as Response;
    const slow = new FakeRequest();
    const slowResponse = response(false);
    middleware(slow as unknown as Request, slowResponse, next);
    const drained = new FakeRequest();
    middleware(drained as unknown as Request, response(true), next);
    const bodiless = new FakeRequest();
    bodiless.headers = {};
    middleware(bodiless as unknown as Request, response(false), next);
    expect(next).toHaveBeenCalledTimes(3);
    jest.advanceTimersByTime(1000);
    expect(answer).toHaveBeenCalledTimes(1);
    expect(answer.mock.calls[0]![0]).toBe(slow);
    expect(slow.destroy).not.toHaveBeenCalled(); // not before the answer has left
    slowResponse.emit('close');
    expect(slow.destroy).toHaveBeenCalled();
    expect(drained.destroy).toHaveBeenCalled();
    expect(drained.socket.destroy).toHaveBeenCalled();
    expect(bodiless.destroy).not.toHaveBeenCalled();
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { isSignedOut, markSignedIn } from '../api/session';
import { FakeWebSocket, makeClient } from '../test/fakeSocket';

afterEach(() => {
  markSignedIn();
  FakeWebSocket.reset();
});

describe('a socket the server refuses', () => {
  it('shows the login page on close code 4401 and keeps trying to reconnect', () => {
    FakeWebSocket.reset();
    const client = makeClient();
    client.start();
    FakeWebSocket.last.drop(1006);
    expect(isSignedOut()).toBe(false); // a network drop says nothing about credentials
    const second = makeClient();
    second.start();
    FakeWebSocket.last.drop(4401);
    expect(isSignedOut()).toBe(true);
    expect(second.getState().status).toBe('reconnecting');
    client.close();
    second.close();
  });
});

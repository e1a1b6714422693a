// graphql-ws on wasmws/ws: `useServer(options, new WebSocketServer({ server }))` (which
// assigns handleProtocols after construction) with graphql-ws's createClient, whose
// webSocketImpl is wasmws/ws's WebSocket too.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type { Client } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from '../../src/ws/index';

// Both from CommonJS, so graphql-ws and the schema use one copy of graphql (graphql throws on
// a schema "from another module or realm", and vitest would load its ESM build beside the CJS one).
const require = createRequire(import.meta.url);
const { GraphQLInt, GraphQLObjectType, GraphQLSchema, GraphQLString } = require('graphql') as typeof import('graphql');
const { createClient } = require('graphql-ws') as typeof import('graphql-ws');
const { useServer } = require('graphql-ws/use/ws') as typeof import('graphql-ws/use/ws');

let counter = 0;
const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { hello: { type: GraphQLString, resolve: () => 'world' } } }),
  mutation: new GraphQLObjectType({ name: 'Mutation', fields: { bump: { type: GraphQLInt, resolve: () => ++counter } } }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      count: {
        type: GraphQLInt,
        args: { to: { type: GraphQLInt } },
        subscribe: async function* (_root: unknown, { to }: { to: number }) {
          for (let i = 1; i <= to; i++) yield { count: i };
        },
      },
    },
  }),
});

let http: HttpServer | undefined;
let dispose: (() => Promise<void> | void) | undefined;
let client: Client | undefined;
let wss: WebSocketServer | undefined;

afterEach(async () => {
  await client?.dispose();
  await dispose?.();
  await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()));
  await new Promise<void>((resolve) => { http?.closeAllConnections(); http ? http.close(() => resolve()) : resolve(); });
  client = undefined;
  dispose = undefined;
  wss = undefined;
  http = undefined;
});

async function start(perMessageDeflate: boolean, keepAlive = 0) {
  http = createServer();
  wss = new WebSocketServer({ server: http, path: '/graphql', perMessageDeflate });
  const events: string[] = [];
  const server = useServer({
    schema,
    onConnect: () => { events.push('connect'); },
    onClose: (_ctx, code) => { events.push(`close ${code}`); },
  }, wss);
  dispose = () => server.dispose();
  await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`;
  const pings: number[] = [];
  client = createClient({
    url, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0, keepAlive,
    on: { ping: (received) => { if (!received) pings.push(Date.now()); } },
  });
  return { events, pings };
}

function run<T>(query: string): Promise<T> {
  return new Promise((resolve, reject) => {
    let result: unknown;
    client!.subscribe({ query }, { next: (value) => { result = value; }, error: reject, complete: () => resolve(result as T) });
  });
}

describe.each([false, true])('graphql-ws over wasmws/ws (perMessageDeflate %s)', (deflate) => {
  it('answers a query and a mutation; the subprotocol is graphql-transport-ws', async () => {
    await start(deflate);
    expect(await run('{ hello }')).toEqual({ data: { hello: 'world' } });
    const before = counter;
    expect(await run('mutation { bump }')).toEqual({ data: { bump: before + 1 } });
    const [socket] = [...wss!.clients!];
    expect(socket.protocol).toBe('graphql-transport-ws');
  });

  it('streams a subscription of 100 values, then completes', async () => {
    await start(deflate);
    const values: number[] = [];
    await new Promise<void>((resolve, reject) => {
      client!.subscribe<{ count: number }>({ query: 'subscription { count(to: 100) }' }, {
        next: (value) => values.push(value.data!.count), error: reject, complete: resolve,
      });
    });
    expect(values).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('sends keepalive pings, and a client close reaches the server as 1000', async () => {
    const { events, pings } = await start(deflate, 20);
    expect(await run('{ hello }')).toEqual({ data: { hello: 'world' } });
    for (let i = 0; i < 100 && pings.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(pings.length).toBeGreaterThanOrEqual(2);
    await client!.dispose();
    client = undefined;
    for (let i = 0; i < 100 && events.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(events).toEqual(['connect', 'close 1000']);
  });

  it('dispose() on the server closes clients with 1001', async () => {
    await start(deflate);
    expect(await run('{ hello }')).toEqual({ data: { hello: 'world' } });
    const [socket] = [...wss!.clients!];
    const closed = new Promise<number>((resolve) => socket.once('close', (code: number) => resolve(code)));
    await dispose!();
    dispose = undefined;
    expect(await closed).toBe(1001);
  });
});

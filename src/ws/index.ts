// `wasmws/ws`: a drop-in for the `ws` package (ws 8's API) on wasmws's core.
import { unsupported } from './options';
import { WebSocketServer } from './server';
import { createWebSocketStream } from './stream';
import { WebSocket } from './websocket';

/**
 * ws's frame encoder. Present so that ws's `Sender` export exists, but without ws's
 * internals: libraries feature-test `Sender.frame` and fall back when it is missing.
 */
export class Sender {
  constructor() {
    throw unsupported('ws.Sender (ws\'s internal frame writer)');
  }
}

/** ws's frame parser: present without internals (see Sender). */
export class Receiver {
  constructor() {
    throw unsupported('ws.Receiver (ws\'s internal frame parser)');
  }
}

/** ws's permessage-deflate class: present without internals (wasmws negotiates its own). */
export class PerMessageDeflate {
  constructor() {
    throw unsupported('ws.PerMessageDeflate (ws\'s internal extension class)');
  }
}

function notHere(name: string): () => never {
  return () => {
    throw unsupported(name);
  };
}

/** ws's `extension` helper: present, and its functions throw naming themselves (not supported). */
export const extension = {
  /** Not supported: throws WS_ERR_INVALID_ARGUMENT. */
  parse: notHere('ws.extension.parse'),
  /** Not supported: throws WS_ERR_INVALID_ARGUMENT. */
  format: notHere('ws.extension.format'),
};
/** ws's `subprotocol` helper: present, and its function throws naming itself (not supported). */
export const subprotocol = {
  /** Not supported: throws WS_ERR_INVALID_ARGUMENT. */
  parse: notHere('ws.subprotocol.parse'),
};

export { WebSocket, WebSocketServer, WebSocketServer as Server, createWebSocketStream };
export type { WsBinaryType } from './websocket';
export type { SendCallback, WsSendOptions } from './send';
export type { ClientOptions, PerMessageDeflateOptions, ServerOptions, VerifyClient, VerifyClientInfo } from './options';
export { WsCloseEvent, WsErrorEvent, WsEvent, WsMessageEvent } from './event-target';
export default WebSocket;

// The public surface of `wasmws`, and nothing else.
export { selectCodec, type CodecKind } from './codec/select';
export type { FrameCodec, FrameHeader } from './codec/codec';
export {
  AlreadyClosedError, CloseError, HandshakeError, isUnexpectedClose, ProtocolError, TimeoutError,
  WebSocketError, type ErrorCode, type ProtocolCloseCode,
} from './errors';
export { CloseCode, isValidWireCloseCode } from './protocol/close-code';
export { Opcode, isControlOpcode } from './protocol/opcode';
export { Defaults } from './protocol/limits';
export { FrameReader, type FrameHandler, type FrameReaderOptions, type Role } from './frame/reader';
export type { MessageHandler, MessageSink } from './frame/assembler';
export { FrameWriter, type FrameWriterOptions } from './frame/writer';
export { Message, type MessageType } from './frame/message';
export { PreparedMessage, prepare } from './frame/prepared';
export { encodeClosePayload, parseClosePayload, type ClosePayload } from './frame/close';
export { Conn, type CloseInfo, type ConnInit, type ConnSocket, type UpgradeRequest } from './conn/connection';
export type { Sendable, SendOptions } from './conn/sender';
export type { CallbackHandler } from './conn/callback-delivery';
export type { WriteCallback } from './conn/completions';
export { MessageReader } from './conn/message-reader';
export { MessageWriter } from './conn/message-writer';
export { resolveConnOptions, type BufferFullPolicy, type ConnOptions } from './options';
export type { Transport } from './transport/pick';
export { serve, Upgrader, type ServeHandler, type ServeOptions, type ServerCloseOptions, type UpgraderOptions, type WebSocketServer } from './server';
export type { SecureServeOptions } from './server-http2';
export { Http2StreamSocket } from './transport/http2-stream';
export { dial, type DialOptions, type RedirectInfo } from './client';
export type { ResponseHead } from './handshake/client';
export type { ConnectTarget, CreateConnection } from './handshake/transport';
export type { HandshakePolicy } from './handshake/server';
export { WebSocket, WebSocketCloseEvent, WebSocketMessageEvent, type BinaryType } from './websocket';
export type { CompressionOptions, DeflateParams } from './extensions/deflate-negotiation';

// `wasmws/hub`: topics (subscribe/publish) for connections, in one process or across many.
export { Hub, type HubOptions, type HubDropEvent, type PublishOptions } from './hub';
export { InMemoryBroker, BrokerUnreachableError, type Broker, type BrokerEvent, type BrokerMessage } from './broker';
export { RedisBroker, type RedisBrokerOptions, type RedisClientLike } from './redis-broker';

// The codec's numeric vocabulary, defined once in the portable assembly/shared/ files and
// re-exported here for the TypeScript side.
export * from '../../assembly/shared/status';
export { UTF8_STATES, utf8Next } from '../../assembly/shared/utf8-dfa';

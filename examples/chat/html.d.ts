// `import page from './index.html?raw'`: the file's text (rollup.config.mjs and vitest both
// resolve `?raw`), so the page ships inside the bundle with no file lookup at run time.
declare module '*.html?raw' {
  const text: string;
  export default text;
}

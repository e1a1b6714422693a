// npm run bench: the codec and the read path, wasm vs js vs ws (+ bufferutil), in one run.
// Writes bench/results/codec.json and bench/results/codec.svg; prints the table.
import { writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import {
  clientFrames, codecs, formatTable, FrameReader, js, maskCases, READ_SHAPES, randomBytes,
  repsFor, runCases, SIZES, typicalText, utf8Cases, headerCases,
} from '../dist/bench.js';
import { bufferutil, bufferutilVersion, isUtf8, wsJs, wsNative, wsReader, wsVersion } from './references.mjs';
import { writeChart } from './chart.mjs';

const quick = process.argv.includes('--quick');
const timeMs = quick ? 60 : 250;
const sizes = quick ? SIZES.filter(([, n]) => n <= 1 << 20) : SIZES;
const ours = [{ impl: 'js', codec: js }, { impl: 'wasm', codec: codecs.wasm }, { impl: 'auto', codec: codecs.auto }];
const keyBytes = Buffer.from([0x12, 0x34, 0x56, 0x78]);

/** ws's own mask calls, as its Receiver uses them (unmask in place). */
function wsMaskCases() {
  return sizes.flatMap(([size, bytes]) => {
    const input = Buffer.from(randomBytes(bytes));
    const reps = repsFor(bytes);
    return [
      ['bufferutil', (b) => bufferutil.unmask(b, keyBytes)],
      ['ws-js', (b) => wsJs.bufferUtil.unmask(b, keyBytes)],
    ].map(([impl, unmask]) => ({ group: 'mask', size, impl, bytes, reps, run: () => { for (let i = 0; i < reps; i++) unmask(input); } }));
  });
}

function isUtf8Cases() {
  return sizes.map(([size, bytes]) => {
    const input = Buffer.from(typicalText(bytes));
    const reps = repsFor(bytes);
    return { group: 'utf8', size, impl: 'node isUtf8', bytes, reps, run: () => { for (let i = 0; i < reps; i++) if (!isUtf8(input)) throw new Error('bad'); } };
  });
}

/** A server FrameReader on one of our codecs that counts the messages it delivers. */
function ourReader({ impl, codec }) {
  let delivered = 0;
  const reader = new FrameReader({ role: 'server', codec, maxMessageBytes: 2 ** 40 }, {
    onMessage: () => { delivered++; }, onControl: () => {}, onError: (e) => { throw e; },
  });
  return { impl, push: (c) => reader.push(c), take: () => { const n = delivered; delivered = 0; return n; } };
}

function readPathCases() {
  const shapes = quick ? READ_SHAPES.filter(([, , n]) => n <= 1 << 20) : READ_SHAPES;
  return shapes.flatMap(([size, count, payloadBytes]) => {
    const chunks = clientFrames(count, payloadBytes).map((c) => Buffer.from(c));
    const readers = [
      ...ours.map(ourReader),
      { impl: 'ws+bufferutil', ...wsReader(wsNative) },
      { impl: 'ws-js', ...wsReader(wsJs) },
    ];
    return readers.map(({ impl, push, take }) => ({
      group: 'read path', size, impl, bytes: count * payloadBytes, reps: 1,
      run: () => {
        for (const chunk of chunks) push(chunk);
        const n = take();
        if (n !== count) throw new Error(`${impl} ${size}: ${n} of ${count} messages`);
      },
    }));
  });
}

/**
 * Large messages as a socket delivers them: 64 KiB reads, frames cut anywhere (a 1 MiB
 * message spans 16 reads, a 64 KiB one two). Text is validated on the way (fresh copies of
 * the reads each run, since the reader unmasks in place: the copy is in every row).
 */
function largeReadCases() {
  const shapes = [['16 × 64 KiB', 16, 65536], ['1 × 1 MiB', 1, 1 << 20]];
  return shapes.flatMap(([size, count, payloadBytes]) => [2, 1].flatMap((opcode) => {
    const wire = Buffer.concat(clientFrames(count, payloadBytes, opcode));
    const reads = [];
    for (let at = 0; at < wire.length; at += 65536) reads.push(wire.subarray(at, at + 65536));
    const readers = [
      ...ours.map(ourReader),
      { impl: 'ws+bufferutil', ...wsReader(wsNative) },
    ];
    return readers.map(({ impl, push, take }) => ({
      group: 'large reads', size: `${size} ${opcode === 1 ? 'text' : 'binary'}`, impl, bytes: count * payloadBytes, reps: 1,
      run: () => {
        for (const read of reads) push(Buffer.from(read));
        const n = take();
        if (n !== count) throw new Error(`${impl} ${size}: ${n} of ${count} messages`);
      },
    }));
  }));
}

const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length}, Node ${process.version}, ws ${wsVersion}, bufferutil ${bufferutilVersion}, SIMD ${codecs.wasm.simd ? 'on' : 'off'}`;
console.log(`wasmws codec bench — ${machine} — ${new Date().toISOString().slice(0, 10)}`);
const groups = [
  ['mask', [...maskCases(ours, sizes), ...wsMaskCases()], ['bufferutil', 'ws-js']],
  ['utf8', [...utf8Cases(ours, sizes), ...isUtf8Cases()], ['node isUtf8']],
  ['header write', headerCases(ours), ['js']],
  ['read path', readPathCases(), ['ws+bufferutil', 'ws-js']],
  ['large reads', largeReadCases(), ['ws+bufferutil']],
];
const all = [];
for (const [name, cases, baselines] of groups) {
  const results = await runCases(cases, timeMs);
  all.push(...results);
  console.log(`\n${name}\n${formatTable(results, baselines)}`);
}
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/codec.json', import.meta.url), JSON.stringify({ machine, date: new Date().toISOString(), results: all }, null, 2));
writeChart(new URL('./results/codec.svg', import.meta.url), all, 'read path', 'ws+bufferutil', `read path: speed relative to ws + bufferutil (${machine})`);
console.log('\nwrote bench/results/codec.json and bench/results/codec.svg');

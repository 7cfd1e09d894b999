/** A stand-in performance script: allocates ~64 MiB, then prints two JSON workload lines and a text line. */
const blocks: Float64Array[] = [];
for (let i = 0; i < 8; i++) blocks.push(new Float64Array(1 << 20).fill(i));
console.log(JSON.stringify({ workload: 'fixture-step', ms_median: 25, ms_p90: 30, runs: 3, batch: 8, backend: 'wasm', threads: 2 }));
console.log(`allocated ${blocks.length} blocks`);
console.log(JSON.stringify({ bench: 'tokenize', textsPerSecond: 5000, batchSize: 32 }));

// A stand-in for a published package's compiled performance script: plain JavaScript (no tsx), two workloads.
console.log(JSON.stringify({ workload: 'small-step', ms_median: 12, ms_p90: 14, runs: 2, batch: 4, backend: 'cpu', threads: 1, args: process.argv.slice(2) }));
console.log(JSON.stringify({ workload: 'large-step', ms_median: 80, ms_p90: 90, runs: 2, batch: 4, backend: 'cpu', threads: 1 }));

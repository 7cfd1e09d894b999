// Reads vitest's JSON report (and the results of the workspace checks) and prints the plain closing line CI reads:
//   N passed, N failed, N skipped
// Usage: node tooling/ci/summary.mjs <vitest-report.json> [check=status ...]   (status 0 = passed)
import { readFileSync } from 'node:fs';

const [reportPath, ...checks] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const report = JSON.parse(readFileSync(reportPath, 'utf8'));
  passed += report.numPassedTests ?? 0;
  failed += (report.numFailedTests ?? 0) + (report.numFailedTestSuites ?? 0);
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  if (!report.success && (report.numFailedTests ?? 0) === 0 && (report.numFailedTestSuites ?? 0) === 0) failed += 1;
} catch (error) {
  console.log(`vitest report unreadable (${reportPath}): ${error.message}`);
  failed += 1;
}
for (const check of checks) {
  const [name, status] = check.split('=');
  if (status === '0') passed += 1;
  else {
    failed += 1;
    console.log(`check failed: ${name} (exit ${status})`);
  }
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);

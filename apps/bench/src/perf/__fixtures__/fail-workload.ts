/** A stand-in performance script that fails before printing a figure. */
console.error('fixture: no backend available');
process.exit(3);

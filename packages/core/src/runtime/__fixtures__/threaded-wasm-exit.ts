// Starts the runtime on multithreaded wasm, runs a matMul and returns without any cleanup: the process must exit
// by itself (the pthread workers must not keep it alive). Prints the runtime as JSON.
import * as tf from '@tensorflow/tfjs-core';

import { initRuntime } from '../init-runtime.js';

const info = await initRuntime({ backend: 'wasm', wasmThreads: 2 });
const product = tf.matMul(tf.ones([256, 256]), tf.ones([256, 256]));
const corner = (await product.data())[0];
console.log(JSON.stringify({ threads: info.threads, fixes: info.fixes, corner }));
console.log(JSON.stringify({ emscriptenHandlers: process.listeners('uncaughtException').length + process.listeners('unhandledRejection').length }));

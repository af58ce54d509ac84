import { runEndToEnd } from './end-to-end.js';
console.log(await runEndToEnd({ orders: 200, concurrency: 32, pollMs: 50, orderTimeoutMs: 30000, validationRetryMs: 50 }));

export * from './cardholders.js';
export * from './credit-server.js';
export * from './store.js';

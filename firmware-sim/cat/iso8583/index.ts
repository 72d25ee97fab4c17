export * from './fields.js';
export * from './codec.js';
export * from './private-data.js';
export * from './messages.js';

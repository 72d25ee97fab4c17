export * from './constants.js';
export * from './fields.js';
export * from './commands.js';
export * from './packets.js';
export * from './events.js';
export * from './crypto.js';

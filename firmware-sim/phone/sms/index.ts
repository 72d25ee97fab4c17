/** The SMS codec (3GPP TS 23.038, 23.040, 27.005 PDU mode, WAP Push SI): one import for callers. */
export * from './address.js';
export * from './dcs.js';
export * from './errors.js';
export * from './gsm7.js';
export * from './messages.js';
export * from './pdu-mode.js';
export * from './reassembly.js';
export * from './scts.js';
export * from './segment.js';
export * from './service-indication.js';
export * from './tpdu.js';
export * from './ucs2.js';
export * from './udh.js';
export * from './user-data.js';
export * from './validity-period.js';
export * from './wap-push.js';
export * from './wsp.js';

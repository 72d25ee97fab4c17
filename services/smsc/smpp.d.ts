/** The part of the `smpp` package (CommonJS, untyped) the SMSC and its tests use. */
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Duplex } from 'node:stream';

  export interface Pdu {
    command: string;
    command_id: number;
    command_status: number;
    command_length: number;
    sequence_number: number;
    isResponse(): boolean;
    response(options?: Record<string, unknown>): Pdu;
    toBuffer(): Buffer;
    [field: string]: unknown;
  }

  export class PDU implements Pdu {
    constructor(command: string | Buffer, options?: Record<string, unknown>);
    static maxLength: number;
    command: string;
    command_id: number;
    command_status: number;
    command_length: number;
    sequence_number: number;
    isResponse(): boolean;
    response(options?: Record<string, unknown>): Pdu;
    toBuffer(): Buffer;
    [field: string]: unknown;
  }

  export class Session extends EventEmitter {
    constructor(options: { socket: Duplex } | Record<string, unknown>);
    socket: Duplex;
    send(pdu: Pdu, responseCallback?: (pdu: Pdu) => void, sendCallback?: (pdu: Pdu) => void): boolean;
    close(callback?: () => void): void;
    destroy(callback?: () => void): void;
    pause(): void;
    resume(): void;
    [command: string]: unknown;
  }

  export function connect(options: Record<string, unknown>, listener?: () => void): Session;

  const smpp: {
    PDU: typeof PDU;
    Session: typeof Session;
    connect: typeof connect;
    [constant: string]: unknown;
  };
  export default smpp;
}

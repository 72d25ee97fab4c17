/**
 * What a command handler returns and how handlers are registered. A handler answers with information
 * text lines and one final result; the interpreter formats both per E/V/Q/+CMEE, so handlers never
 * build framing themselves.
 */
import type { AtParam } from './parser.js';

/** V.250 §5.7.1 basic result codes with their numeric forms. */
export const ResultCode = {
  OK: 0,
  CONNECT: 1,
  RING: 2,
  'NO CARRIER': 3,
  ERROR: 4,
  'NO DIALTONE': 6,
  BUSY: 7,
  'NO ANSWER': 8,
} as const;
export type ResultCodeName = keyof typeof ResultCode;

export type AtFinal =
  | { kind: 'code'; code: ResultCodeName }
  /** +CME ERROR: <err> (TS 27.007 §9.2); plain ERROR while +CMEE=0. */
  | { kind: 'cme'; code: number }
  /** +CMS ERROR: <err> (TS 27.005 §3.2.5): always reported; `text` is used when +CMEE=2. */
  | { kind: 'cms'; code: number; text?: string }
  /** Answer "\r\n> " and collect a block of data for `handler` (27.005 +CMGS/+CMGW). */
  | { kind: 'prompt'; handler: PromptHandler }
  /**
   * The answer comes later (an SMS submitted over the radio waits for the network's RP-ACK). The line
   * stays busy until `result` settles: input is held, unsolicited codes wait, and the rest of the command
   * line runs afterwards. A rejected promise is answered as a phone failure.
   */
  | { kind: 'deferred'; result: Promise<AtResponse> };

export interface AtResponse {
  /** Information text lines, without framing. Characters are bytes 0–255. */
  lines: string[];
  final: AtFinal;
}

/**
 * The data phase of a prompting command. The interpreter collects the bytes the TE sends after "> ":
 * Ctrl-Z (0x1A) submits them, ESC (0x1B) cancels (final OK, nothing else). While the prompt is open no
 * command line is parsed and unsolicited result codes wait.
 */
export interface PromptHandler {
  /** The collected data (without Ctrl-Z); `overflow` when more than `maxLength` bytes came (the rest is lost). */
  submit(data: Uint8Array, overflow: boolean): AtResponse;
  /** ESC: the command is abandoned. */
  cancel?(): void;
  /** Bytes kept before overflow (default 1024). */
  maxLength?: number;
  /** Text mode (TS 27.005 §3.5.1): each CR in the data is answered with a new "> " prompt. */
  continuation?: boolean;
}

export const respond = (lines: string[], final: AtFinal): AtResponse => ({ lines, final });
export const ok = (...lines: string[]): AtResponse => ({ lines, final: { kind: 'code', code: 'OK' } });
export const error = (): AtResponse => ({ lines: [], final: { kind: 'code', code: 'ERROR' } });
export const cme = (code: number): AtResponse => ({ lines: [], final: { kind: 'cme', code } });
export const cms = (code: number, text?: string): AtResponse => ({
  lines: [],
  final: text === undefined ? { kind: 'cms', code } : { kind: 'cms', code, text },
});
export const prompt = (handler: PromptHandler): AtResponse => ({
  lines: [],
  final: { kind: 'prompt', handler },
});

export const deferred = (result: Promise<AtResponse>): AtResponse => ({
  lines: [],
  final: { kind: 'deferred', result },
});

/** An extended command (`+NAME`): one handler per form; a missing form answers ERROR. */
export interface ExtendedCommand {
  /** Name with its prefix, upper case: "+CPIN". */
  name: string;
  /** `AT+NAME` */
  exec?(): AtResponse;
  /** `AT+NAME?` */
  read?(): AtResponse;
  /** `AT+NAME=?` */
  test?(): AtResponse;
  /** `AT+NAME=<values>` */
  set?(params: AtParam[]): AtResponse;
}

/** A basic command (`E`, `&F`, …) with its optional numeric value. */
export interface BasicCommand {
  /** Letter(s), upper case: "E", "&F". */
  name: string;
  run(value: number | undefined): AtResponse;
}

/** The commands an interpreter knows; later registrations replace earlier ones of the same name. */
export class AtCommandTable {
  readonly extended = new Map<string, ExtendedCommand>();
  readonly basic = new Map<string, BasicCommand>();

  add(command: ExtendedCommand): this {
    this.extended.set(command.name.toUpperCase(), command);
    return this;
  }

  addBasic(command: BasicCommand): this {
    this.basic.set(command.name.toUpperCase(), command);
    return this;
  }

  /** `dial` answers ATD; absent → ERROR. */
  dial?: (text: string) => AtResponse;
}

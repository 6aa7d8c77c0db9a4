import type { z } from 'zod';
import {
  failureFromCode,
  noUsableAnswer,
  redact,
  rejectedByHttpStatus,
  unavailableByHttpStatus,
} from './kaspi.errors';
import type { KaspiHttp, KaspiHttpAnswer, KaspiHttpRequest } from './kaspi.http';
import { KASPI_UNAVAILABLE_CODE } from './kaspi.mappers';
import { parseKaspiJson } from './kaspi.schemas';

/** What an answer's frame (r3's envelope, the proxy's `{status, data}`) says, once recognised. */
export interface KaspiFrame {
  /** The frame says the call failed. */
  failed: boolean;
  /** Kaspi's or the proxy's failure code, when it gave one. */
  failureCode: string | null;
  /** Kaspi's or the proxy's own text, masked before it is kept. */
  message: string | null;
  /** What the frame carries on success, checked against the call's schema. */
  data: unknown;
}

/**
 * One upstream dialect: how its frame is recognised, and the few ways it differs. The order of the
 * checks is the same for every dialect (see {@link readKaspiAnswer}).
 */
export interface KaspiDialect {
  /** The frame of a JSON body, or null when the body is not one. */
  readFrame(body: unknown): KaspiFrame | null;
  /** HTTP statuses that speak of our own credentials, whatever the body says (the proxy's 401/403). */
  credentialStatuses: ReadonlySet<number>;
  /** The name of the frame's payload, for messages ("Data", "data"). */
  dataName: string;
}

type AnswerBody = { kind: 'empty' } | { kind: 'not-json' } | { kind: 'json'; value: unknown };

/** Sends one call and reads its answer in the dialect, masking the call's own secrets in both. */
export async function callKaspi<S extends z.ZodType>(
  http: KaspiHttp,
  dialect: KaspiDialect,
  dataSchema: S,
  request: KaspiHttpRequest,
): Promise<z.output<S>> {
  return readKaspiAnswer(await http.send(request), dialect, dataSchema, request.secrets);
}

/**
 * Turns an answer into its checked payload, or throws the provider error it amounts to. In order:
 * −999 ("Kaspi did nothing") is believed whatever the HTTP status; a 5xx is no usable answer; a
 * credential status is a rejection; another non-2xx is the frame's failure code, or 408/429
 * unavailable, or a rejection; a 2xx without a frame is no usable answer; a failed frame is its
 * code; a payload off its schema is no usable answer.
 */
export function readKaspiAnswer<S extends z.ZodType>(
  answer: KaspiHttpAnswer,
  dialect: KaspiDialect,
  dataSchema: S,
  secrets: readonly (string | null | undefined)[],
): z.output<S> {
  const body = readAnswerBody(answer.bodyText);
  const frame = body.kind === 'json' ? dialect.readFrame(body.value) : null;
  const facts = {
    ...answer.facts,
    upstreamMessage: frame?.message ? redact(frame.message, secrets).slice(0, 500) : null,
  };
  const status = answer.httpStatus;
  const failureCode = frame?.failed ? frame.failureCode : null;

  if (failureCode === KASPI_UNAVAILABLE_CODE) throw failureFromCode(facts, failureCode);
  if (status >= 500) throw noUsableAnswer(facts, `HTTP ${status}`);
  if (dialect.credentialStatuses.has(status)) throw rejectedByHttpStatus(facts);
  if (status < 200 || status >= 300) {
    if (failureCode) throw failureFromCode(facts, failureCode);
    if (status === 408 || status === 429) throw unavailableByHttpStatus(facts);
    throw rejectedByHttpStatus(facts);
  }
  if (!frame) throw noUsableAnswer(facts, describeUnusableBody(body, status));
  if (frame.failed) throw failureFromCode(facts, failureCode);
  const data = dataSchema.safeParse(frame.data);
  if (!data.success) {
    throw noUsableAnswer(facts, `the answer's ${dialect.dataName} did not have the expected shape (HTTP ${status})`);
  }
  return data.data;
}

/** Reads an answer's body as JSON, 64-bit ids intact. */
function readAnswerBody(bodyText: string): AnswerBody {
  if (bodyText.trim() === '') return { kind: 'empty' };
  try {
    return { kind: 'json', value: parseKaspiJson(bodyText) };
  } catch {
    return { kind: 'not-json' };
  }
}

/** Why an answer in the 2xx range could not be used, for the error message. */
function describeUnusableBody(body: AnswerBody, httpStatus: number): string {
  switch (body.kind) {
    case 'empty':
      return `the answer was empty (HTTP ${httpStatus})`;
    case 'not-json':
      return `the answer was not JSON (HTTP ${httpStatus})`;
    case 'json':
      return `the answer did not have the expected shape (HTTP ${httpStatus})`;
  }
}

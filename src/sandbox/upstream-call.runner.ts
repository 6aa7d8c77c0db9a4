import type { Request, Response } from 'express';
import type {
  PendingFault,
  ResolvedSandboxOptions,
  SandboxCallParams,
  SandboxCallRecord,
  SandboxMode,
  SandboxOperation,
} from './kaspi-sandbox.types';
import type { SandboxCallLog } from './sandbox-call.log';
import type { SandboxFaultQueue } from './sandbox-fault.queue';
import { KaspiStatusCode, rejected, SERVICE_UNAVAILABLE_MESSAGE, type KaspiOutcome } from './kaspi-status-codes';

/** An HTTP answer, with the StatusCode its body carries when it carries one. */
export interface UpstreamAnswer {
  httpStatus: number;
  contentType: string;
  body: string;
  statusCode: number | null;
}

/** How one of the two APIs (r3 or proxy) words its answers. */
export interface UpstreamDialect {
  render(outcome: KaspiOutcome): UpstreamAnswer;
  /** Valid JSON cut off mid-way, as a proxy that died while writing would leave it. */
  truncatedBody: string;
}

export interface UpstreamCall {
  mode: SandboxMode;
  operation: SandboxOperation;
  requestId: string | null;
  params: SandboxCallParams;
  /** Performs the operation; the outcome's StatusCode is null for a refusal that is not Kaspi's. */
  execute(): { outcomeStatusCode: number | null; answer: UpstreamAnswer };
}

export function jsonAnswer(httpStatus: number, payload: unknown, statusCode: number | null): UpstreamAnswer {
  return { httpStatus, contentType: 'application/json; charset=utf-8', body: JSON.stringify(payload), statusCode };
}

const NGINX_ERROR_PAGE = (status: number): string =>
  `<html>\r\n<head><title>${status} Service Temporarily Unavailable</title></head>\r\n<body>\r\n` +
  `<center><h1>${status} Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;

interface RunnerDependencies {
  faults: SandboxFaultQueue;
  log: SandboxCallLog;
  options: () => ResolvedSandboxOptions;
}

/**
 * Runs every r3 and proxy call the same way: takes a matching fault, performs the operation (or
 * not, as the fault says), records the call, waits as long as configured and answers, or spoils
 * the answer.
 */
export class UpstreamCallRunner {
  constructor(private readonly deps: RunnerDependencies) {}

  async run(req: Request, res: Response, call: UpstreamCall, dialect: UpstreamDialect): Promise<void> {
    const fault = this.deps.faults.take(call.operation, call.mode);
    const record = this.deps.log.open({
      at: new Date().toISOString(),
      mode: call.mode,
      operation: call.operation,
      requestId: call.requestId,
      params: call.params,
      applied: false,
      fault: fault?.fault ?? null,
      faultId: fault?.id ?? null,
      outcomeStatusCode: null,
      statusCode: null,
      httpStatus: null,
    });
    const perform = (): UpstreamAnswer => this.perform(call, dialect, record);

    let answer: UpstreamAnswer | 'drop';
    if (!fault) {
      answer = perform();
    } else if (fault.fault === 'latency') {
      if (fault.applied) {
        answer = perform();
        await delay(fault.latencyMs);
      } else {
        await delay(fault.latencyMs);
        answer = perform();
      }
    } else {
      if (fault.applied) perform();
      answer = spoiledAnswer(fault, dialect);
    }

    const latencyMs = this.deps.options().latencyMs;
    if (latencyMs > 0) await delay(latencyMs);

    if (answer === 'drop') {
      req.socket.destroy();
      return;
    }
    record.httpStatus = answer.httpStatus;
    record.statusCode = answer.statusCode;
    send(res, answer);
  }

  private perform(call: UpstreamCall, dialect: UpstreamDialect, record: SandboxCallRecord): UpstreamAnswer {
    let executed: { outcomeStatusCode: number | null; answer: UpstreamAnswer };
    try {
      executed = call.execute();
    } catch (error) {
      const outcome = rejected(KaspiStatusCode.INVALID_REQUEST, 'The request could not be processed');
      console.error('kaspi sandbox: unexpected error while handling %s', call.operation, error);
      executed = { outcomeStatusCode: outcome.statusCode, answer: dialect.render(outcome) };
    }
    record.outcomeStatusCode = executed.outcomeStatusCode;
    record.applied = executed.outcomeStatusCode === KaspiStatusCode.SUCCESS;
    return executed.answer;
  }
}

function spoiledAnswer(fault: PendingFault, dialect: UpstreamDialect): UpstreamAnswer | 'drop' {
  switch (fault.fault) {
    case 'drop':
      return 'drop';
    case 'empty':
      return { httpStatus: 200, contentType: 'application/json; charset=utf-8', body: '', statusCode: null };
    case 'malformed':
      return {
        httpStatus: 200,
        contentType: 'application/json; charset=utf-8',
        body: fault.body ?? dialect.truncatedBody,
        statusCode: null,
      };
    case 'http5xx':
      return {
        httpStatus: fault.httpStatus,
        contentType: 'text/html',
        body: fault.body ?? NGINX_ERROR_PAGE(fault.httpStatus),
        statusCode: null,
      };
    case 'unavailable':
      return dialect.render(rejected(KaspiStatusCode.SERVICE_UNAVAILABLE, SERVICE_UNAVAILABLE_MESSAGE));
    case 'latency':
      throw new Error('latency is not a spoiled answer');
  }
}

function send(res: Response, answer: UpstreamAnswer): void {
  if (res.headersSent || res.destroyed || res.socket?.destroyed) return;
  res.status(answer.httpStatus);
  res.setHeader('Content-Type', answer.contentType);
  res.setHeader('Content-Length', Buffer.byteLength(answer.body));
  res.end(answer.body);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

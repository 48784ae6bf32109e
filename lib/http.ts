/**
 * The one HTTP client of lib/: every request has a timeout and a response size limit, and errors are
 * one readable line without secrets. Protocol clients take an `HttpTransport` so tests can swap it.
 */
import fetch from 'node-fetch';
import { PeerError, redact } from './errors';

export interface HttpRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  /** A JSON body (serialised here) or a raw string. */
  body?: unknown;
  timeoutMs?: number;
  /** Responses larger than this are refused (default 1 MiB). */
  maxBytes?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
}

export type HttpTransport = (req: HttpRequest) => Promise<HttpResponse>;

export const DEFAULT_TIMEOUT_MS = 5000;
export const DEFAULT_MAX_BYTES = 1024 * 1024;

/** Strip query strings (they may carry tokens) and credentials from a URL before it is shown. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return redact(url.split('?')[0]);
  }
}

export const nodeFetchTransport: HttpTransport = async (req) => {
  const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = req.maxBytes ?? DEFAULT_MAX_BYTES;
  // Node's own timeout signal (unref'd): no timer of the app's to clear, none that keeps anything alive
  const signal = AbortSignal.timeout(timeoutMs);
  const where = `${req.method ?? 'GET'} ${safeUrl(req.url)}`;
  try {
    const headers: Record<string, string> = { ...(req.headers ?? {}) };
    let body: string | undefined;
    if (req.body !== undefined) {
      body = typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
      if (typeof req.body !== 'string' && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
        headers['Content-Type'] = 'application/json';
      }
    }
    const res = await fetch(req.url, {
      method: req.method ?? 'GET',
      headers,
      body,
      // node-fetch v2 accepts an AbortSignal-like object
      signal: signal as never,
      size: maxBytes,
    });
    const text = await res.text();
    const outHeaders: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      outHeaders[k.toLowerCase()] = v;
    });
    return { status: res.status, headers: outHeaders, text };
  } catch (err) {
    const e = err as { name?: string; type?: string; code?: string; message?: string };
    if (e.name === 'AbortError' || e.type === 'aborted' || e.type === 'request-timeout') {
      throw new PeerError('timeout', `${where}: no answer within ${timeoutMs} ms`);
    }
    if (e.type === 'max-size') {
      throw new PeerError('protocol', `${where}: answer larger than ${maxBytes} bytes refused`);
    }
    const code = e.code ?? '';
    if (['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EAI_AGAIN', 'EPIPE'].includes(code)) {
      throw new PeerError('unreachable', `${where}: cannot connect (${code})`);
    }
    throw new PeerError('unreachable', `${where}: ${e.message ?? String(err)}`);
  }
};

/** Parse a JSON answer, or throw a protocol error naming the endpoint. */
export function parseJson<T = unknown>(res: HttpResponse, where: string): T {
  try {
    return JSON.parse(res.text) as T;
  } catch {
    const snippet = res.text.slice(0, 40).replace(/\s+/g, ' ');
    throw new PeerError('protocol', `${safeUrl(where)}: expected JSON, got "${snippet}${res.text.length > 40 ? '…' : ''}"`);
  }
}

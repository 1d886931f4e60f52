/** The one HTTP transport of the app: JSON in, JSON out, every failure an `ApiError`. */
import { CSRF_HEADER, csrfToken, markSignedOut } from './session';

export const API_PREFIX = '/api/v1';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** The server does not offer this feature (route missing or not implemented). */
  get unavailable(): boolean {
    return this.status === 404 || this.status === 501;
  }
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  body?: unknown;
  query?: Query;
  signal?: AbortSignal;
  /** Send raw bytes instead of JSON (model import). */
  rawBody?: Blob | ArrayBuffer;
  /** Send multipart/form-data (file uploads); the browser sets the boundary. */
  formData?: FormData;
  /** Return the response as a Blob (model export). */
  asBlob?: boolean;
}

export function buildUrl(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const qs = params.toString();
  return `${API_PREFIX}${path}${qs ? `?${qs}` : ''}`;
}

async function toApiError(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as { error?: { code?: string; message?: string; details?: unknown } };
    if (parsed && typeof parsed === 'object' && parsed.error) {
      const { code, message, details } = parsed.error;
      return new ApiError(response.status, code ?? 'error', message ?? response.statusText, details);
    }
  } catch {
    // Not our JSON error shape (a proxy page, an empty body): fall through to a generic error.
  }
  const fallback = text && text.length < 200 ? text : response.statusText || `HTTP ${response.status}`;
  return new ApiError(response.status, `http_${response.status}`, fallback);
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const csrf = READ_METHODS.has(method.toUpperCase()) ? null : csrfToken();
  if (csrf) headers[CSRF_HEADER] = csrf;
  let body: BodyInit | undefined;
  if (options.formData !== undefined) {
    body = options.formData;
  } else if (options.rawBody !== undefined) {
    headers['Content-Type'] = 'application/octet-stream';
    body = options.rawBody;
  } else if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(buildUrl(path, options.query), {
      method, headers, body, signal: options.signal, credentials: 'same-origin',
    });
  } catch (exc) {
    if (exc instanceof DOMException && exc.name === 'AbortError') throw exc;
    throw new ApiError(0, 'network_error', 'The server cannot be reached.');
  }
  if (!response.ok) {
    // 401 anywhere but the sign-in form itself: the session is gone, show the login page.
    if (response.status === 401 && path !== '/auth/login') markSignedOut();
    throw await toApiError(response);
  }
  if (options.asBlob) return (await response.blob()) as T;
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export interface FormErrors {
  /** Messages keyed by form field name. */
  fields: Record<string, string>;
  /** A message that names no field of the form. */
  form?: string;
}

/** Strip FastAPI-style location prefixes: "body.lat" -> "lat", ["body", "lat"] -> "lat". */
function fieldName(raw: unknown): string | undefined {
  if (Array.isArray(raw)) return fieldName(raw.filter((part) => part !== 'body').join('.'));
  if (typeof raw !== 'string' || raw === '') return undefined;
  return raw.replace(/^body\./, '');
}

/**
 * Map a server error onto form fields. `details.field` names one field (CONTRACT §2); a list under
 * `details.errors` (validation failures naming several fields) is understood too.
 */
export function formErrorsFrom(error: unknown, knownFields: readonly string[]): FormErrors {
  if (!(error instanceof ApiError)) {
    return { fields: {}, form: error instanceof Error ? error.message : String(error) };
  }
  const fields: Record<string, string> = {};
  const details = (error.details ?? {}) as Record<string, unknown>;
  const place = (name: string | undefined, message: string): boolean => {
    if (!name) return false;
    const match = knownFields.find((f) => name === f || name.startsWith(`${f}.`) || name.startsWith(`${f}[`));
    if (!match || fields[match]) return Boolean(match);
    fields[match] = message;
    return true;
  };
  // Per-field messages first (validation lists), then the one field the error names with its message.
  let placed = false;
  const list = Array.isArray(details.errors) ? details.errors : [];
  for (const item of list as Record<string, unknown>[]) {
    const message = String(item.message ?? item.msg ?? error.message);
    placed = place(fieldName(item.field || item.loc), message) || placed;
  }
  placed = place(fieldName(details.field), error.message) || placed;
  return placed ? { fields } : { fields, form: error.message };
}

import { WillowError, isAbort } from './errors';

/** What every openapi-fetch call resolves to. */
export interface ApiResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * Awaits an openapi-fetch call and returns its data, or throws `WillowError`: the server's `{Code, Message}` for a
 * non-2xx answer, `UNREACHABLE` when no answer came. An abort is rethrown as is.
 */
export async function call<T>(request: Promise<ApiResult<T>>): Promise<T> {
  return (await callWithResponse(request)).data;
}

/** As `call`, also handing back the response (headers such as `Willow-Next-Cursor`). */
export async function callWithResponse<T>(request: Promise<ApiResult<T>>): Promise<{ data: T; response: Response }> {
  let result: ApiResult<T>;
  try {
    result = await request;
  } catch (error) {
    if (isAbort(error)) throw error;
    throw WillowError.unreachable(error);
  }
  if (!result.response.ok) throw WillowError.fromBody(result.response.status, result.error);
  return { data: result.data as T, response: result.response };
}

/** A duration as the API takes it: milliseconds, or a string with a unit (`"500ms"`, `"30s"`, `"5m"`, `"1h"`). */
export type Duration = number | string;

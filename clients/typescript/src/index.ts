// A small typed wrapper over openapi-fetch for the agrupa API.
//
// Types come from ./schema.d.ts, generated from openapi/openapi.json by openapi-typescript
// (`npm run generate`); nothing here is generated. The wrapper adds what every agrupa call
// needs (see /work/shared/API-CONVENTIONS.md): the OAuth 2.0 password sign-in and refresh,
// the bearer token, an Idempotency-Key on every POST, If-Match from the last ETag seen, and
// Accept-Language.
import createClient, { type Client, type Middleware } from "openapi-fetch";
import type { components, operations, paths } from "./schema.js";

export type { components, operations, paths };
export type Schemas = components["schemas"];

/** An RFC 9457 problem document: every error the API answers (`application/problem+json`). */
export type Problem = Schemas["Problem"];
/** One problem with one input field (`Problem.errors`). */
export type FieldError = Schemas["FieldError"];
export type TokenResponse = Schemas["TokenResponse"];

/**
 * Response media types the typed client parses. Lists and reports also answer `text/csv`, so
 * without a filter every list's `data` would be typed `Page_X | string`. `"application/json"`
 * alone is not enough: no error response has JSON of that exact type (they are
 * `application/problem+json`), and openapi-fetch then falls back to typing `error` as the raw
 * content map `{ "application/problem+json": Problem }`, which is not what arrives at run
 * time. (`${string}/json` does not match `application/problem+json` either: it ends in `+json`.)
 */
export type AgrupaMedia = "application/json" | "application/problem+json";

// ---------------------------------------------------------------------------------------
// If-Match made optional in the types: the middleware fills it from the remembered ETag, so
// callers need not thread it through `params.header` themselves (the spec marks it required
// on budgets, plans, applications, …, which openapi-fetch would otherwise enforce).

type RelaxHeader<H> = H extends { "If-Match": unknown }
  ? Omit<H, "If-Match"> & { "If-Match"?: string | null }
  : H;
type RelaxParameters<P> = P extends { header: infer H }
  ? Omit<P, "header"> & { header?: RelaxHeader<H> }
  : P;
type RelaxOperation<O> = O extends { parameters: infer P }
  ? Omit<O, "parameters"> & { parameters: RelaxParameters<P> }
  : O;
/** `paths` with every `If-Match` header parameter optional (the client supplies it). */
export type AgrupaPaths = {
  [P in keyof paths]: { [M in keyof paths[P]]: RelaxOperation<paths[P][M]> };
};

export type AgrupaApi = Client<AgrupaPaths, AgrupaMedia>;

/** Paths whose POST takes `If-Match` (an action on an existing resource: approval, transitions …). */
type PostsWithIfMatch = {
  [P in keyof paths]: paths[P] extends { post: { parameters: { header?: infer H } } }
    ? [H] extends [undefined | never]
      ? never
      : "If-Match" extends keyof NonNullable<H>
        ? P
        : never
    : never;
}[keyof paths];

/**
 * The POST actions that need the ETag of the resource they act on (their parent path). Checked
 * against the generated types both ways: an entry that is not such a path, or such a path
 * missing here, fails `tsc` (so a spec change cannot silently leave this list behind).
 */
export const POST_ACTIONS_WITH_IF_MATCH = [
  "/api/v1/applications/{id}/transitions",
  "/api/v1/budgets/{id}/approval",
  "/api/v1/budgets/{id}/lines",
  "/api/v1/plans/{id}/approval",
  "/api/v1/webhook-endpoints/{id}/secret-rotations",
] as const satisfies readonly PostsWithIfMatch[];
type MissingPostActions = Exclude<PostsWithIfMatch, (typeof POST_ACTIONS_WITH_IF_MATCH)[number]>;
const _allPostActionsListed: [MissingPostActions] extends [never] ? true : MissingPostActions = true;
void _allPostActionsListed;

// ---------------------------------------------------------------------------------------

export interface AgrupaClientOptions {
  /** The service root, e.g. `https://agrupa.example.org` (paths start with `/api/v1`). */
  baseUrl: string;
  /** A fetch implementation (defaults to `globalThis.fetch`). */
  fetch?: (input: Request) => Promise<Response>;
  /** Sent as `Accept-Language` (e.g. `"es"` or `"en"`) unless a request sets its own. */
  language?: string;
  /** Called whenever tokens are issued (sign-in or refresh), e.g. to keep them in storage. */
  onTokens?: (tokens: TokenResponse) => void;
}

export interface AgrupaClient extends AgrupaApi {
  /** Password grant (username = e-mail), form-encoded; keeps the tokens. Throws an AgrupaAuthError. */
  signIn(email: string, password: string): Promise<TokenResponse>;
  /** Uses the refresh token now (single use: the new one replaces it). */
  refresh(): Promise<TokenResponse>;
  /** Revokes the refresh token (RFC 7009) and forgets both tokens. */
  signOut(): Promise<void>;
  /** Restores tokens kept from an earlier session. */
  setTokens(tokens: { access_token: string; refresh_token?: string | null }): void;
  readonly accessToken: string | undefined;
  /**
   * Makes the current access token unusable (its signature no longer verifies), so the next
   * request answers 401 and goes through the refresh-and-retry path. For tests and demos.
   */
  invalidateAccessToken(): void;
  /** The last ETag seen for a resource path (`/api/v1/members/…`), if any. */
  etagFor(path: string): string | undefined;
  /** Counters, for tests: how many refreshes ran and how many requests were retried after them. */
  readonly stats: { refreshes: number; retries: number };
}

/** A failed sign-in or refresh (RFC 6749 §5.2 `error`, plus the problem members). */
export class AgrupaAuthError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
  ) {
    super(
      `token endpoint answered ${status}: ${problem?.error ?? problem?.code ?? "?"}` +
        (problem?.error_description ? ` (${problem.error_description})` : ""),
    );
    this.name = "AgrupaAuthError";
  }
}

/** Whether a value is a problem document (e.g. the `error` of a call). */
export function isProblem(value: unknown): value is Problem {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.type === "string" &&
    typeof v.title === "string" &&
    typeof v.status === "number" &&
    typeof v.code === "string" &&
    (v.errors === undefined || Array.isArray(v.errors))
  );
}

/** The field errors of a problem (empty when it has none), e.g. to show next to form inputs. */
export function fieldErrors(problem: Problem): Record<string, FieldError[]> {
  const out: Record<string, FieldError[]> = {};
  for (const e of problem.errors ?? []) (out[e.field] ??= []).push(e);
  return out;
}

const TOKEN_PATH = "/api/v1/auth/token";
const REVOKE_PATH = "/api/v1/auth/revoke";

/** The resource a POST action acts on: `/api/v1/plans/{id}/approval` → `/api/v1/plans/{id}`. */
function parentPath(path: string): string {
  return path.replace(/\/[^/]+\/?$/, "");
}

export function createAgrupaClient(options: AgrupaClientOptions): AgrupaClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const baseFetch = options.fetch ?? ((input: Request) => globalThis.fetch(input));
  let accessToken: string | undefined;
  let refreshToken: string | undefined;
  let refreshing: Promise<TokenResponse> | undefined;
  const etags = new Map<string, string>();
  const pending = new Map<string, Request>(); // request id → a clone, to retry after a refresh
  const stats = { refreshes: 0, retries: 0 };

  async function tokenRequest(form: Record<string, string>): Promise<TokenResponse> {
    const res = await baseFetch(
      new Request(baseUrl + TOKEN_PATH, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Accept: "application/json",
          ...(options.language ? { "Accept-Language": options.language } : {}),
        },
        body: new URLSearchParams(form),
      }),
    );
    const body: unknown = await res.json().catch(() => undefined);
    if (!res.ok) throw new AgrupaAuthError(res.status, isProblem(body) ? body : undefined);
    const tokens = body as TokenResponse;
    accessToken = tokens.access_token;
    refreshToken = tokens.refresh_token ?? undefined;
    options.onTokens?.(tokens);
    return tokens;
  }

  function refresh(): Promise<TokenResponse> {
    // Refresh tokens are single use, and presenting a spent one revokes the whole sign-in:
    // concurrent 401s must share one refresh.
    if (!refreshing) {
      if (!refreshToken) return Promise.reject(new Error("no refresh token: sign in first"));
      stats.refreshes++;
      refreshing = tokenRequest({ grant_type: "refresh_token", refresh_token: refreshToken }).finally(
        () => {
          refreshing = undefined;
        },
      );
    }
    return refreshing;
  }

  function pathOf(request: Request): string {
    return new URL(request.url).pathname;
  }

  function remember(request: Request, response: Response, actionTarget: string | undefined) {
    const etag = response.headers.get("ETag");
    const path = pathOf(request);
    if (request.method === "DELETE" && response.ok) {
      etags.delete(path);
      return;
    }
    if (!etag || !response.ok) return;
    const location = response.headers.get("Location");
    if (location) etags.set(new URL(location, baseUrl).pathname, etag);
    else if (actionTarget) etags.set(actionTarget, etag);
    else etags.set(path, etag);
  }

  function isAction(schemaPath: string): boolean {
    return (POST_ACTIONS_WITH_IF_MATCH as readonly string[]).includes(schemaPath);
  }

  const middleware: Middleware = {
    onRequest({ request, schemaPath, id }) {
      const h = request.headers;
      const path = pathOf(request);
      if (accessToken && !h.has("Authorization")) h.set("Authorization", `Bearer ${accessToken}`);
      if (options.language && !h.has("Accept-Language")) h.set("Accept-Language", options.language);
      if (request.method === "POST" && !path.startsWith("/api/v1/auth/") && !h.has("Idempotency-Key")) {
        h.set("Idempotency-Key", crypto.randomUUID());
      }
      if (!h.has("If-Match")) {
        let target: string | undefined;
        if (request.method === "PATCH" || request.method === "PUT" || request.method === "DELETE") {
          target = path;
        } else if (request.method === "POST" && isAction(schemaPath)) {
          target = parentPath(path);
        }
        const etag = target && etags.get(target);
        if (etag) h.set("If-Match", etag);
      }
      if (refreshToken && path !== TOKEN_PATH && path !== REVOKE_PATH) pending.set(id, request.clone());
      return request;
    },
    async onResponse({ request, response, schemaPath, id }) {
      const copy = pending.get(id);
      pending.delete(id);
      const actionTarget =
        request.method === "POST" && isAction(schemaPath) ? parentPath(pathOf(request)) : undefined;
      if (response.status === 401 && copy && refreshToken) {
        const sent = copy.headers.get("Authorization");
        try {
          // Another request may already have refreshed while this one was in flight.
          if (sent === `Bearer ${accessToken}`) await refresh();
        } catch {
          return response; // the refresh failed too: hand the 401 to the caller
        }
        const headers = new Headers(copy.headers);
        headers.set("Authorization", `Bearer ${accessToken}`);
        stats.retries++;
        const retried = await baseFetch(new Request(copy, { headers }));
        remember(request, retried, actionTarget);
        return retried;
      }
      remember(request, response, actionTarget);
      return response;
    },
    onError({ id }) {
      pending.delete(id);
    },
  };

  const api = createClient<AgrupaPaths, AgrupaMedia>({ baseUrl, fetch: baseFetch });
  api.use(middleware);

  const client = Object.assign(api, {
    signIn: (email: string, password: string) =>
      tokenRequest({ grant_type: "password", username: email, password }),
    refresh,
    async signOut() {
      const token = refreshToken;
      const access = accessToken;
      accessToken = refreshToken = undefined;
      etags.clear();
      if (token) {
        await baseFetch(
          new Request(baseUrl + REVOKE_PATH, {
            method: "POST",
            headers: {
              "Content-Type": "application/x-www-form-urlencoded",
              ...(access ? { Authorization: `Bearer ${access}` } : {}),
            },
            body: new URLSearchParams({ token, token_type_hint: "refresh_token" }),
          }),
        );
      }
    },
    setTokens(tokens: { access_token: string; refresh_token?: string | null }) {
      accessToken = tokens.access_token;
      refreshToken = tokens.refresh_token ?? undefined;
    },
    invalidateAccessToken() {
      if (accessToken) accessToken = accessToken.slice(0, -4) + (accessToken.endsWith("AAAA") ? "BBBB" : "AAAA");
    },
    etagFor: (path: string) => etags.get(path),
    stats,
  });
  // A getter (Object.assign would copy the value once).
  Object.defineProperty(client, "accessToken", { get: () => accessToken, enumerable: true });
  return client as AgrupaClient;
}

// End-to-end scenario for the typed client, against a running agrupa:
//   AGRUPA_URL=http://127.0.0.1:8080 AGRUPA_EMAIL=admin@… AGRUPA_PASSWORD=… node dist/examples/scenario.js
// Exits non-zero on the first mismatch. Run by ci/e2e/typescript_client.sh.
import {
  createAgrupaClient,
  fieldErrors,
  isProblem,
  type AgrupaClient,
  type Problem,
  type Schemas,
} from "../src/index.js";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

let step = 0;
function ok(what: string) {
  console.log(`ok ${++step} - ${what}`);
}
function check(cond: unknown, what: string, detail?: unknown): asserts cond {
  if (!cond) {
    console.error(`not ok ${++step} - ${what}`);
    if (detail !== undefined) console.error(JSON.stringify(detail, null, 2));
    process.exit(1);
  }
  ok(what);
}
/** A call's `data`, or exit with its problem. */
function must<T>(r: { data?: T; error?: unknown; response: Response }, what: string): T {
  if (r.data === undefined) check(false, `${what}: HTTP ${r.response.status}`, r.error);
  return r.data as T;
}

/** A webhook as the local receiver got it: the raw body and the headers. */
interface Received {
  body: string;
  headers: Record<string, string>;
}

/** A local webhook receiver on 127.0.0.1 (answers 200 to every POST) and what it got. */
async function startReceiver(): Promise<{ url: string; received: Received[]; close: () => void }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
      received.push({ body: Buffer.concat(chunks).toString("utf8"), headers });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/agrupa`, received, close: () => server.close() };
}

/** The first delivery of `type` within 20 s, or undefined. */
async function delivery(received: Received[], type: string): Promise<Received | undefined> {
  for (let i = 0; i < 200; i++) {
    const got = received.find((r) => (JSON.parse(r.body) as { type?: string }).type === type);
    if (got) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

/** A valid Spanish CIF for a company (letter B), from 7 random digits. */
function randomCif(): string {
  const digits = Array.from({ length: 7 }, () => Math.floor(Math.random() * 10));
  let sum = 0;
  digits.forEach((d, i) => {
    if (i % 2 === 0) {
      const x = d * 2;
      sum += Math.floor(x / 10) + (x % 10);
    } else sum += d;
  });
  return `B${digits.join("")}${(10 - (sum % 10)) % 10}`;
}

async function main() {
  // Every request as it leaves the client (after the middleware), to check the headers it added.
  const sent: { method: string; path: string; headers: Headers }[] = [];
  const lastSent = (method: string, path: string) =>
    sent.filter((r) => r.method === method && r.path === path).at(-1)?.headers;
  const client: AgrupaClient = createAgrupaClient({
    baseUrl: env("AGRUPA_URL"),
    language: "es",
    fetch: (request) => {
      sent.push({ method: request.method, path: new URL(request.url).pathname, headers: new Headers(request.headers) });
      return fetch(request);
    },
  });
  const tag = crypto.randomUUID().slice(0, 8);

  // --- sign in (password grant, form-encoded) ---------------------------------------------
  const tokens = await client.signIn(env("AGRUPA_EMAIL"), env("AGRUPA_PASSWORD"));
  check(tokens.token_type === "Bearer" && !!tokens.refresh_token, "signed in (password grant)");
  const me = must(await client.GET("/api/v1/me"), "GET /me");
  check(me.kind === "user", `GET /me answers as ${me.email ?? me.id}`, me);

  // --- a member category --------------------------------------------------------------------
  const category: Schemas["Category"] = must(
    await client.POST("/api/v1/member-categories", {
      body: { name: `Socio de número ${tag}`, annual_fee_cents: 120_000, voting_weight: 1 },
    }),
    "POST /member-categories",
  );
  check(category.name === `Socio de número ${tag}` && category.full_member, "category created", category);

  // --- a member with accents, read back with typed fields ----------------------------------
  const legalName = `Productora Ñandú Audiovisual ${tag}, S.L.`;
  const created = await client.POST("/api/v1/members", {
    body: {
      legal_name: legalName,
      trade_name: "Ñandú Films",
      tax_id: randomCif(),
      kind: "company",
      size: "small",
      category_id: category.id,
      municipality: "A Coruña",
      province: "A Coruña",
      employees: 12,
      annual_turnover_cents: 95_000_000,
    },
  });
  const member = must(created, "POST /members");
  check(created.response.status === 201, "member created: 201");
  const location = created.response.headers.get("Location");
  check(location === `/api/v1/members/${member.id}`, "Location names the member", location);
  check(created.response.headers.get("ETag") !== null, "the 201 carries an ETag");

  const got = await client.GET("/api/v1/members/{id}", { params: { path: { id: member.id } } });
  const read = must(got, "GET /members/{id}");
  const etag = got.response.headers.get("ETag");
  check(etag !== null && client.etagFor(location) === etag, "ETag remembered from the GET", {
    etag,
    remembered: client.etagFor(location),
  });
  check(
    read.legal_name === legalName &&
      read.trade_name === "Ñandú Films" &&
      read.municipality === "A Coruña" &&
      read.kind === "company" &&
      read.size === "small" &&
      read.sme === true &&
      read.status === "applicant" &&
      read.category_name === category.name &&
      read.annual_turnover_cents === 95_000_000 &&
      read.visibility === "full",
    "member read back: accents and typed fields intact",
    read,
  );

  // --- PATCH with the remembered ETag (If-Match added by the client) ------------------------
  const patched = await client.PATCH("/api/v1/members/{id}", {
    params: { path: { id: member.id } },
    body: { website: "https://ñandú.example", employees: 14 },
  });
  const after = must(patched, "PATCH /members/{id} (If-Match from the remembered ETag)");
  check(after.employees === 14 && after.website === "https://ñandú.example", "member patched", after);
  check(lastSent("PATCH", location)?.get("If-Match") === etag, "the PATCH carried If-Match: the remembered ETag");
  check(
    !!lastSent("POST", "/api/v1/members")?.get("Idempotency-Key") &&
      lastSent("GET", location)?.get("Accept-Language") === "es" &&
      lastSent("GET", location)?.get("Authorization")?.startsWith("Bearer ") === true,
    "POSTs carry an Idempotency-Key; every request a bearer and Accept-Language",
  );
  const newEtag = patched.response.headers.get("ETag");
  check(
    newEtag !== null && newEtag !== etag && client.etagFor(location) === newEtag,
    "the PATCH's new ETag replaced the old one",
    { etag, newEtag },
  );
  const stale = await client.PATCH("/api/v1/members/{id}", {
    params: { path: { id: member.id }, header: { "If-Match": etag } },
    body: { employees: 15 },
  });
  check(
    stale.response.status === 412 && isProblem(stale.error) && stale.error.code !== "",
    `a stale If-Match given by the caller is kept and answers 412 (${stale.error?.code})`,
    stale.error,
  );

  // --- Idempotency-Key: a caller's key is kept, so a retry replays -------------------------
  const key = `scenario-${tag}`;
  const body = { legal_name: `Ñandú Replay ${tag}`, tax_id: randomCif(), kind: "freelancer", category_id: category.id } as const;
  const first = must(await client.POST("/api/v1/members", { body, headers: { "Idempotency-Key": key } }), "POST (key)");
  const again = must(await client.POST("/api/v1/members", { body, headers: { "Idempotency-Key": key } }), "POST (same key)");
  check(lastSent("POST", "/api/v1/members")?.get("Idempotency-Key") === key, "the caller's Idempotency-Key is kept");
  check(first.id === again.id, "same Idempotency-Key and body: the first answer replayed", { first: first.id, again: again.id });

  // --- a POST action takes the ETag of the resource it acts on ------------------------------
  // `If-Match` is required on POST /plans/{id}/approval in the spec; AgrupaPaths makes it
  // optional in the types, and the client sends the plan's remembered ETag.
  const plan = await client.POST("/api/v1/plans", {
    body: { title: `Plan estratégico ${tag}`, start_year: 2026, end_year: 2029 },
  });
  const planId = must(plan, "POST /plans").id;
  const planPath = `/api/v1/plans/${planId}`;
  check(!!client.etagFor(planPath), "the plan's ETag remembered from its 201 (via Location)", plan.response.headers.get("Location"));
  const approval = await client.POST("/api/v1/plans/{id}/approval", {
    params: { path: { id: planId } },
    body: { reference: `Asamblea ${tag}` },
  });
  // An empty plan cannot be approved (409 plan_empty), but that rule is checked after If-Match
  // (lock → visibility → If-Match → rule): a 409 rather than 428/412 shows the ETag was right.
  check(
    lastSent("POST", `${planPath}/approval`)?.get("If-Match") === plan.response.headers.get("ETag") &&
      approval.response.status === 409 &&
      approval.error?.code === "plan_empty",
    "POST /plans/{id}/approval sent the plan's ETag as If-Match (past 428/412 to 409 plan_empty)",
    approval.error,
  );

  // --- list with a limit, following the cursor ---------------------------------------------
  for (let i = 0; i < 3; i++) {
    must(
      await client.POST("/api/v1/members", {
        body: { legal_name: `Ñandú Serie ${i} ${tag}`, tax_id: randomCif(), kind: "other", category_id: category.id },
      }),
      `POST /members (${i})`,
    );
  }
  const seen: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = must(
      await client.GET("/api/v1/members", {
        params: { query: { category_id: category.id, limit: 2, sort: "legal_name", ...(cursor ? { cursor } : {}) } },
      }),
      "GET /members",
    );
    // `page` is Page_Member, not `Page_Member | string`: text/csv is filtered out by the media type.
    pages++;
    check(page.items.length <= 2, `page ${pages}: ${page.items.length} item(s), limit respected`);
    seen.push(...page.items.map((m) => m.legal_name));
    cursor = page.next_cursor ?? undefined;
  } while (cursor && pages < 10);
  check(
    seen.length === 5 && new Set(seen).size === 5 && pages === 3,
    `followed the cursor over ${pages} pages: 5 members, no duplicates`,
    seen,
  );
  const search = must(
    await client.GET("/api/v1/members", { params: { query: { q: `nandu audiovisual ${tag}` } } }),
    "GET /members?q=",
  );
  check(search.items.some((m) => m.id === member.id), "`q=nandu` finds «Ñandú» (accent-insensitive search)", search);

  // --- a 422 is a typed problem with field errors ------------------------------------------
  const bad = await client.POST("/api/v1/members", {
    body: { legal_name: "", tax_id: "B1234567X", kind: "company", category_id: category.id },
  });
  check(bad.data === undefined && bad.response.status === 422, "invalid member: 422");
  const problem: Problem | undefined = bad.error; // typed as the schema's Problem, no cast
  check(isProblem(problem), "the 422 body is a problem document", problem);
  check(
    bad.response.headers.get("Content-Type")?.startsWith("application/problem+json") === true,
    "served as application/problem+json",
  );
  const byField = fieldErrors(problem);
  check(
    problem.code === "validation_failed" && !!byField.legal_name && !!byField.tax_id,
    `errors name legal_name and tax_id (${(problem.errors ?? []).map((e) => `${e.field}:${e.code}`).join(", ")})`,
    problem,
  );
  const lang = bad.response.headers.get("Content-Language");
  console.log(`# Accept-Language: es → Content-Language: ${lang ?? "(none)"}; title: ${problem.title}`);

  // --- token refresh: a stale access token is refreshed once and the request retried --------
  const refreshes = () => client.stats.refreshes; // a call, so TypeScript does not narrow it
  const before = client.accessToken;
  client.invalidateAccessToken();
  const me2 = await client.GET("/api/v1/me");
  check(me2.response.ok && refreshes() === 1 && client.stats.retries === 1, "401 → refreshed once, retried", {
    status: me2.response.status,
    stats: client.stats,
  });
  check(client.accessToken !== before, "a new access token is kept");
  client.invalidateAccessToken();
  const retriedPatch = await client.PATCH("/api/v1/members/{id}", {
    params: { path: { id: member.id } },
    body: { description: "Producción audiovisual en Galicia: documentales, ficción y animación." },
  });
  check(
    retriedPatch.response.ok && retriedPatch.data?.description?.startsWith("Producción") === true && refreshes() === 2,
    "a PATCH with a body is retried after the refresh",
    { status: retriedPatch.response.status, error: retriedPatch.error, stats: client.stats },
  );
  const patches = sent.filter((r) => r.method === "PATCH" && r.path === location).slice(-2);
  check(
    patches.length === 2 &&
      patches[0]!.headers.get("If-Match") !== null &&
      patches[1]!.headers.get("If-Match") === patches[0]!.headers.get("If-Match") &&
      patches[1]!.headers.get("Authorization") !== patches[0]!.headers.get("Authorization"),
    "the retry kept If-Match and carried the new bearer",
  );
  // The first refresh token was spent by the refresh: using it again must fail.
  const reuse = await fetch(`${env("AGRUPA_URL")}/api/v1/auth/token`, {
    method: "POST",
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: tokens.refresh_token ?? "" }),
  });
  check(reuse.status === 400, "a spent refresh token is refused (400 invalid_grant)", reuse.status);
  // …and RFC 6749-style reuse detection revoked the sign-in: the client's current refresh fails too.
  client.invalidateAccessToken();
  const afterReuse = await client.GET("/api/v1/me");
  check(afterReuse.response.status === 401 && isProblem(afterReuse.error), "after reuse the whole sign-in is revoked (401)", afterReuse.error);

  // --- DELETE (archive) with If-Match, after signing in again -------------------------------
  await client.signIn(env("AGRUPA_EMAIL"), env("AGRUPA_PASSWORD"));
  must(await client.GET("/api/v1/members/{id}", { params: { path: { id: member.id } } }), "GET before archiving");
  const archived = await client.DELETE("/api/v1/members/{id}", { params: { path: { id: member.id } } });
  check(archived.response.status === 204 && client.etagFor(location) === undefined, "archived (204), ETag forgotten");

  // --- the plan's progress, typed ----------------------------------------------------------
  const progress = must(
    await client.GET("/api/v1/plans/{id}/progress", { params: { path: { id: planId } } }),
    "GET /plans/{id}/progress",
  );
  check(
    progress.plan.id === planId && Array.isArray(progress.axes) && progress.overdue_actions === 0,
    `the plan's progress read (as of ${progress.as_of}, ${progress.axes.length} axes)`,
    progress,
  );

  // --- a partner-style integration: a webhook endpoint on a local receiver -----------------
  const receiver = await startReceiver();
  const endpoint = must(
    await client.POST("/api/v1/webhook-endpoints", {
      body: { url: receiver.url, event_types: ["application.submitted"], description: `Receptor TypeScript ${tag}` },
    }),
    "POST /webhook-endpoints",
  );
  check(endpoint.secret.startsWith("whsec_"), "endpoint created; its secret shown once");

  // --- an application to an open call, submitted, and its history --------------------------
  const funder = must(
    await client.POST("/api/v1/funders", { body: { name: `Ministerio de Industria ${tag}`, kind: "ministry" } }),
    "POST /funders",
  );
  const now = Date.now();
  const call = must(
    await client.POST("/api/v1/calls", {
      body: {
        funder_id: funder.id,
        title: `Ayudas a agrupaciones empresariales innovadoras ${tag}`,
        opens_at: new Date(now - 86_400_000).toISOString(),
        closes_at: new Date(now + 30 * 86_400_000).toISOString(),
        max_grant_cents: 10_000_000,
        cofinancing_rate_bp: 8_000,
      },
    }),
    "POST /calls",
  );
  const application = must(
    await client.POST("/api/v1/applications", {
      body: {
        call_id: call.id,
        title: "Dinamización del clúster audiovisual 2026",
        eligible_cost_cents: 1_000_000,
        requested_cents: 800_000,
        own_funding_cents: 200_000,
        other_aid_cents: 0,
      },
    }),
    "POST /applications",
  );
  check(application.status === "draft", "application created as a draft", application);
  const submitted = must(
    await client.POST("/api/v1/applications/{id}/transitions", {
      params: { path: { id: application.id } },
      body: { to: "submitted", comment: "Presentada por la sede electrónica ✅" },
    }),
    "POST /applications/{id}/transitions (submitted)",
  );
  check(submitted.status === "submitted", "application submitted", submitted);
  const history = must(
    await client.GET("/api/v1/applications/{id}/history", { params: { path: { id: application.id } } }),
    "GET /applications/{id}/history",
  );
  check(
    history.items.length === 1 &&
      history.items[0]!.from_status === "draft" &&
      history.items[0]!.to_status === "submitted" &&
      history.items[0]!.comment === "Presentada por la sede electrónica ✅",
    "the history holds the move with its comment",
    history,
  );

  // --- the webhook arrives, and an implementation we did not write verifies it --------------
  const hook = await delivery(receiver.received, "application.submitted");
  receiver.close();
  check(hook !== undefined, "application.submitted delivered to the local receiver", receiver.received.length);
  const verifier = new Webhook(endpoint.secret);
  const payload = verifier.verify(hook.body, hook.headers) as { type: string; data: { id: string; url: string } };
  check(
    payload.type === "application.submitted" &&
      payload.data.id === application.id &&
      payload.data.url === `/api/v1/applications/${application.id}`,
    "signature verified by the standardwebhooks package; the event names the application",
    payload,
  );
  let tamperedRefused = false;
  try {
    verifier.verify(hook.body.replace("submitted", "accepted"), hook.headers);
  } catch {
    tamperedRefused = true;
  }
  check(tamperedRefused, "a tampered body fails verification");
  const removed = await client.DELETE("/api/v1/webhook-endpoints/{id}", { params: { path: { id: endpoint.id } } });
  check(removed.response.status === 204, "the endpoint deleted (204)", removed.error);

  await client.signOut();
  console.log(`# ${step} checks passed`);
}

main().catch((e: unknown) => {
  console.error("scenario failed:", e);
  process.exit(1);
});

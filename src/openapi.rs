//! The OpenAPI document: the info block here, the operations from the route
//! registrations (utoipa-actix-web), and the error responses every operation shares.

use utoipa::{
    OpenApi,
    openapi::{self, ContentBuilder, Ref, RefOr, ResponseBuilder},
};

use crate::error::{FieldError, PROBLEM_JSON, Problem};

/// The static part of the specification.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "agrupa",
        description = "The open JSON REST API that runs an innovative business cluster \
(Agrupación Empresarial Innovadora): member register, strategic plan, budgets and public funding.\n\n\
Conventions: JSON bodies with snake_case fields; ids are UUIDs; money is integer cents \
(`*_cents`); dates `YYYY-MM-DD`, timestamps RFC 3339 UTC. Every error is \
`application/problem+json` (RFC 9457) with a stable `code` and the `request_id` \
that is also in the `X-Request-Id` header.\n\n\
Languages: a problem's `title`, `detail` and each field error's `message` are in Spanish \
when the request's `Accept-Language` prefers Spanish (`es`, `es-ES`, `es;q=0.9, en;q=0.8`), \
and in English otherwise; the `Content-Language` response header says which. `type`, \
`code` and field names never change with the language, so programs branch on `code`.",
        contact(name = "agrupa maintainers", email = "agrupa@example.org"),
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    tags(
        (name = "auth", description = "OAuth 2.0 tokens (RFC 6749) and revocation (RFC 7009)."),
        (name = "users", description = "User accounts and the signed-in caller."),
        (name = "api-clients", description = "Partner institutions' systems (client credentials)."),
        (name = "members", description = "The member register: organisations, lifecycle, contacts, dues, search, figures."),
        (name = "budgets", description = "Budgets: yearly versions, lines tied to plan actions and income sources, execution entries, reports that reconcile."),
        (name = "governance", description = "Governance: the General Assembly, boards and committees with their rules and seats, meetings (convening freezes the roll), attendance with proxies, quorum, and resolutions that enact what they approve."),
        (name = "funding", description = "Funding: funders, calls for subsidies, agreements with yearly instalments, subsidy applications and their state machine, documents, deadlines."),
        (name = "plans", description = "The strategic plan: versions, axes → areas → objectives → actions, indicators, progress, import/export, revisions."),
        (name = "reference", description = "Reference data: member categories and value-chain segments."),
        (name = "cluster", description = "The cluster's own record: legal identity, sector, its inscription in the AEI register, the sector's size, management staff."),
        (name = "reports", description = "Accountability reports computed from the records, never typed twice: the AEI register readiness dossier, the transparency obligation test (Ley 19/2013 art. 3.b) and the European profile (ECCP, cluster excellence labels); each as JSON, CSV and a printable PDF (`Accept: application/pdf`) whose footer carries the SHA-256 of the JSON it prints."),
        (name = "transparency", description = "Transparency (Ley 19/2013): staff publish a fiscal year; the public feed under `/public/v1/transparency` then serves, without a token, its agreements with administrations, subsidies, budget and execution, and governing bodies (JSON, CSV per section, an HTML page), cacheable with ETags. Nothing personal leaves through it."),
        (name = "audit", description = "The append-only audit log of every change."),
        (name = "events", description = "Domain events (member admitted, plan approved, application submitted …), written in the transaction of the change: a feed for pollers, the same events as the webhooks."),
        (name = "webhooks", description = "Signed webhooks (Standard Webhooks v1): endpoints, secret rotation, the delivery log, redelivery and pings. Deliveries are at least once and in order per object; receivers dedupe on `webhook-id`."),
        (name = "health", description = "Liveness and readiness probes."),
    ),
    servers((url = "/", description = "The service that serves this document, in production or local \
development alike (paths are relative to it)")),
    components(schemas(Problem, FieldError)),
    modifiers(&SecuritySchemes),
    security(("oauth2" = []), ("bearer" = [])),
)]
pub struct ApiDoc;

/// The token endpoint, as the security schemes name it.
pub const TOKEN_URL: &str = "/api/v1/auth/token";

/// What the access tokens follow of RFC 8725 (JWT Best Current Practices), as
/// `auth::tokens` implements it.
const JWT_PRACTICES: &str = "Access tokens are JWTs that follow RFC8725 (JSON Web Token Best \
Current Practices): the server pins the algorithm (HS256 only; `none` and any other `alg` are \
refused before the signature is checked, so there is no algorithm confusion), signs with keys of \
at least 256 bits named by `kid` (rotated without downtime), types its tokens explicitly \
(`typ: at+jwt`, RFC 9068) and refuses other types, and requires and checks `iss`, `aud`, `sub`, \
`exp`, `nbf` and `iat` (30 s of clock tolerance; a token issued in the future is refused). \
Access tokens are short-lived (`expires_in`, 900 s by default), carry a `jti` that revocation \
(RFC 7009) and sign-out make fail at once, and are renewed with single-use refresh tokens, which \
are opaque random secrets, not JWTs.";

/// OAuth 2.0 (password and client-credentials flows, for Swagger UI's *Authorize*) and
/// plain bearer tokens.
struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, api: &mut openapi::OpenApi) {
        use utoipa::openapi::security::{
            ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes,
            SecurityScheme,
        };
        // The one server is the public API itself (OWASP API9: declare each server's audience).
        for server in api.servers.iter_mut().flatten() {
            server
                .extensions
                .get_or_insert_with(Default::default)
                .insert("x-internal".to_owned(), serde_json::Value::Bool(false));
        }
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "oauth2",
            SecurityScheme::OAuth2(OAuth2::with_description(
                [
                    Flow::Password(Password::with_refresh_url(
                        TOKEN_URL,
                        Scopes::new(),
                        TOKEN_URL,
                    )),
                    Flow::ClientCredentials(ClientCredentials::new(TOKEN_URL, Scopes::new())),
                ],
                format!(
                    "Sign in with e-mail and password (people) or client credentials (partner \
                     systems). Leave scopes empty to get all your role allows. {JWT_PRACTICES}"
                ),
            )),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(format!(
                        "An access token from the token endpoint. {JWT_PRACTICES}"
                    )))
                    .build(),
            ),
        );
    }
}

/// A header field whose value is a bounded string.
fn string_header(description: &str, max_length: usize) -> utoipa::openapi::header::Header {
    use utoipa::openapi::{HeaderBuilder, ObjectBuilder, Type};
    HeaderBuilder::new()
        .schema(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(max_length)),
        )
        .description(Some(description))
        .build()
}

/// The header fields an answer may carry: under `/api/`, the rate-limit fields while limits
/// are on (`http::rate_limit`, named as the IETF draft names them); everywhere (CORS wraps the
/// whole service), `Access-Control-Allow-Origin` for a browser origin listed in
/// `AGRUPA_CORS_ORIGINS`.
fn add_common_headers(response: &mut utoipa::openapi::Response, under_api: bool) {
    let fields = [
        (
            "RateLimit-Policy",
            "The quota per window of the limit that applies: `\"minute\";q=600;w=60` \
             (`\"token\"` on the token and revocation endpoints). Absent when limits are off.",
            200,
        ),
        (
            "RateLimit",
            "What remains of the quota and the seconds until the window resets: \
             `\"minute\";r=599;t=42`. Absent when limits are off.",
            200,
        ),
        (
            "Access-Control-Allow-Origin",
            "The request's `Origin`, when it is one of `AGRUPA_CORS_ORIGINS` (never `*`).",
            2000,
        ),
    ];
    for (name, description, max_length) in fields {
        if !under_api && name.starts_with("RateLimit") {
            continue;
        }
        response
            .headers
            .entry(name.to_owned())
            .or_insert_with(|| string_header(description, max_length));
    }
}

/// `Retry-After` (seconds) on the answers that send it: 429 and 503.
fn add_retry_after(response: &mut utoipa::openapi::Response) {
    use utoipa::openapi::{HeaderBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type};
    response
        .headers
        .entry("Retry-After".to_owned())
        .or_insert_with(|| {
            HeaderBuilder::new()
                .schema(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
                        .minimum(Some(1))
                        .maximum(Some(86_400)),
                )
                .description(Some("Seconds to wait before retrying."))
                .build()
        });
}

/// `Content-Language` on every error answer: the language of its `title`, `detail` and
/// field messages (see [`crate::i18n`]).
fn add_content_language(response: &mut utoipa::openapi::Response) {
    response
        .headers
        .entry("Content-Language".to_owned())
        .or_insert_with(|| {
            utoipa::openapi::HeaderBuilder::new()
                .schema(Ref::from_schema_name("ContentLanguage"))
                .build()
        });
}

/// The schemas the language headers refer to, so that each operation names them in one line.
fn add_language_schemas(api: &mut openapi::OpenApi) {
    use utoipa::openapi::{ObjectBuilder, Type};
    let components = api.components.get_or_insert_with(Default::default);
    components.schemas.insert(
        "ContentLanguage".to_owned(),
        RefOr::T(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["en", "es"]))
                .description(Some(
                    "The language of a problem's `title`, `detail` and field messages, as \
                     `Accept-Language` chose it (English unless Spanish is preferred).",
                ))
                .into(),
        ),
    );
    components.schemas.insert(
        "AcceptLanguage".to_owned(),
        RefOr::T(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(
                    "The languages the caller reads (RFC 9110 §12.5.4): error texts are in \
                     Spanish when `es` is preferred, in English otherwise. Like any content \
                     negotiation header it never fails a request: a value the service cannot \
                     use, or one longer than 1000 characters, is not read (English).",
                ))
                .examples(["es-ES,es;q=0.9,en;q=0.8"])
                .into(),
        ),
    );
}

/// An array schema that also admits `null`, for `Option<Vec<_>>` fields described with
/// `schema_with` (where utoipa does not apply `nullable`): the server takes `null` as absent.
pub fn or_null(mut array: utoipa::openapi::schema::Array) -> utoipa::openapi::schema::Array {
    array.schema_type = utoipa::openapi::schema::SchemaType::from_iter([
        utoipa::openapi::Type::Array,
        utoipa::openapi::Type::Null,
    ]);
    array
}

/// The optional `Accept-Language` request header every operation honours for its errors.
fn accept_language() -> openapi::path::Parameter {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    ParameterBuilder::new()
        .name("Accept-Language")
        .parameter_in(ParameterIn::Header)
        .required(openapi::Required::False)
        .schema(Some(Ref::from_schema_name("AcceptLanguage")))
        .build()
}

/// States the range of every integer that has no narrower one documented: the range of its
/// format (`int32`, `int64`), which the server enforces while parsing (a value outside it
/// is a 400), and, for money sent in requests (`*_cents`, [`crate::domain::Cents`]), ±10^15
/// cents, the amounts every input is checked against (totals in answers may add up to more).
/// Fields with a narrower rule document it themselves.
fn bound_integers(api: &mut openapi::OpenApi) {
    use utoipa::openapi::schema::{ArrayItems, Schema};
    fn walk(schema: &mut RefOr<Schema>, name: &str, request: bool) {
        let RefOr::T(schema) = schema else { return };
        match schema {
            Schema::Object(o) => {
                bound(o, name, request);
                for (field, s) in &mut o.properties {
                    walk(s, field, request);
                }
            }
            Schema::Array(a) => {
                if let ArrayItems::RefOrSchema(items) = &mut a.items {
                    walk(items, name, request);
                }
            }
            Schema::OneOf(c) => c.items.iter_mut().for_each(|s| walk(s, name, request)),
            Schema::AllOf(c) => c.items.iter_mut().for_each(|s| walk(s, name, request)),
            Schema::AnyOf(c) => c.items.iter_mut().for_each(|s| walk(s, name, request)),
            _ => {}
        }
    }
    fn bound(o: &mut utoipa::openapi::schema::Object, name: &str, request: bool) {
        use utoipa::{
            Number,
            openapi::{KnownFormat, SchemaFormat, Type, schema::SchemaType},
        };
        let is_integer = match &o.schema_type {
            SchemaType::Type(t) => *t == Type::Integer,
            SchemaType::Array(ts) => ts.contains(&Type::Integer),
            SchemaType::AnyValue => false,
        };
        if !is_integer {
            return;
        }
        let (min, max) = match &o.format {
            _ if request && name.ends_with("_cents") => (
                -crate::domain::Cents::MAX.get(),
                crate::domain::Cents::MAX.get(),
            ),
            Some(SchemaFormat::KnownFormat(KnownFormat::Int32)) => {
                (i64::from(i32::MIN), i64::from(i32::MAX))
            }
            _ => (i64::MIN, i64::MAX),
        };
        let as_number = |v: i64| Number::Int(isize::try_from(v).unwrap_or(isize::MAX));
        if o.minimum.is_none() && o.exclusive_minimum.is_none() {
            o.minimum = Some(as_number(min));
        }
        if o.maximum.is_none() && o.exclusive_maximum.is_none() {
            o.maximum = Some(as_number(max));
        }
    }
    let request = request_schemas(api);
    if let Some(components) = api.components.as_mut() {
        for (name, schema) in &mut components.schemas {
            walk(schema, name, request.contains(name));
        }
    }
    for item in api.paths.paths.values_mut() {
        for op in operations_mut(item) {
            for p in op.parameters.iter_mut().flatten() {
                if let Some(schema) = p.schema.as_mut() {
                    walk(schema, &p.name, true);
                }
            }
            if let Some(body) = op.request_body.as_mut() {
                for content in body.content.values_mut() {
                    if let Some(schema) = content.schema.as_mut() {
                        walk(schema, "", true);
                    }
                }
            }
        }
    }
}

/// The names of the component schemas that request bodies use, directly or through others.
fn request_schemas(api: &openapi::OpenApi) -> std::collections::BTreeSet<String> {
    fn refs(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(name) = map
                    .get("$ref")
                    .and_then(|r| r.as_str())
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
                {
                    out.push(name.to_owned());
                }
                map.values().for_each(|v| refs(v, out));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut todo = Vec::new();
    for item in api.paths.paths.values() {
        for op in [&item.get, &item.post, &item.put, &item.patch, &item.delete]
            .into_iter()
            .flatten()
        {
            if let Ok(body) = serde_json::to_value(&op.request_body) {
                refs(&body, &mut todo);
            }
        }
    }
    let schemas = api.components.as_ref().map(|c| &c.schemas);
    let mut seen = std::collections::BTreeSet::new();
    while let Some(name) = todo.pop() {
        if let Some(schema) = schemas.and_then(|s| s.get(&name))
            && seen.insert(name)
            && let Ok(value) = serde_json::to_value(schema)
        {
            refs(&value, &mut todo);
        }
    }
    seen
}

/// The operations of a path item (the methods the API uses).
fn operations_mut(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        &mut item.get,
        &mut item.post,
        &mut item.put,
        &mut item.patch,
        &mut item.delete,
    ]
    .into_iter()
    .flatten()
}

/// Final touches once every route is registered.
pub fn finish(api: &mut openapi::OpenApi) {
    add_language_schemas(api);
    bound_integers(api);
    add_common_responses(api);
    add_links(api);
}

/// Where the items a create adds are addressed, when not under the create's own path:
/// `POST /plans/{id}/revisions` adds a plan (`/plans/{id}`), `POST /plans/import` too, and
/// `POST /budgets/{id}/lines` a line at `/budget-lines/{id}`. Otherwise a nested create
/// (`POST /areas/{id}/actions`) adds an item addressed both under its path and at the top
/// level (`/actions/{id}`), whichever exists.
fn item_bases(create_path: &str) -> Vec<String> {
    let (parent, last) = create_path.rsplit_once('/').unwrap_or(("", create_path));
    let grandparent = parent.rsplit_once('/').map_or("", |(g, _)| g);
    match last {
        "revisions" => vec![grandparent.to_owned()],
        "import" => vec![parent.to_owned()],
        "lines" => vec!["/api/v1/budget-lines".to_owned()],
        _ => vec![create_path.to_owned(), format!("/api/v1/{last}")],
    }
}

/// OpenAPI links from each create (a `201`) to every operation on what it created, so a
/// client generator, a reader of the document and Schemathesis' stateful phase know that
/// the `id` in the answer is the `{id}` of those operations. Computed from the paths, so a
/// new resource gets its links without anyone writing them: the item's parameter is the
/// answer's `id`, and any parameter the create's path shares is the same value again.
pub fn add_links(api: &mut openapi::OpenApi) {
    use utoipa::openapi::{extensions::Extensions, link::LinkBuilder, path::HttpMethod};
    let operations: Vec<(String, String)> = api
        .paths
        .paths
        .iter()
        .flat_map(|(path, item)| {
            [
                HttpMethod::Get,
                HttpMethod::Post,
                HttpMethod::Put,
                HttpMethod::Patch,
                HttpMethod::Delete,
            ]
            .into_iter()
            .filter_map(move |m| {
                let op = match m {
                    HttpMethod::Get => item.get.as_ref(),
                    HttpMethod::Post => item.post.as_ref(),
                    HttpMethod::Put => item.put.as_ref(),
                    HttpMethod::Patch => item.patch.as_ref(),
                    _ => item.delete.as_ref(),
                };
                Some((path.clone(), op?.operation_id.clone()?))
            })
        })
        .collect();
    let params = |path: &str| -> Vec<String> {
        path.split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .map(str::to_owned)
            .collect()
    };
    for (path, item) in api.paths.paths.iter_mut() {
        let Some(RefOr::T(created)) = item
            .post
            .as_mut()
            .and_then(|op| op.responses.responses.get_mut("201"))
        else {
            continue;
        };
        let shared = params(path);
        for base in item_bases(path) {
            let prefix = format!("{base}/{{");
            for (target, operation_id) in &operations {
                let Some(rest) = target.strip_prefix(&prefix) else {
                    continue;
                };
                let Some((item_param, _)) = rest.split_once('}') else {
                    continue;
                };
                // utoipa 5.5 writes `Link::operation_id` as `operation_id`, not the
                // `operationId` OpenAPI names it (so tools ignore the link): the field goes
                // in under its right name through the flattened extensions instead.
                let mut right_name = Extensions::default();
                right_name.insert("operationId".to_owned(), operation_id.as_str().into());
                let mut link = LinkBuilder::new()
                    .extensions(Some(right_name))
                    .parameter(item_param, "$response.body#/id");
                for p in params(target) {
                    if p != item_param && shared.contains(&p) {
                        link = link.parameter(p.clone(), format!("$request.path.{p}"));
                    }
                }
                created
                    .links
                    .insert(operation_id.clone(), link.build().into());
            }
        }
    }
}

/// Adds the responses every operation can give to each operation that does not document
/// them itself, all as problem+json: 400 (where there is input), 401 and 403 (signed-in
/// operations), 404 (on a resource named in the path), 412 (where `If-Match` is honoured),
/// 413 and 415 (where there is a body), 422 (a signed-in operation's body), 428 (where
/// `If-Match` is required), 429 (rate limits), 500 and 503. An operation documents one of
/// these itself only when it has more to say (the codes it can give, say).
pub fn add_common_responses(api: &mut openapi::OpenApi) {
    let problem = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    PROBLEM_JSON,
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build(),
        )
    };
    let common = [
        (
            "400",
            "Malformed request: bad JSON, unknown field, wrong type or bad parameter.",
        ),
        ("401", "No valid access token."),
        ("403", "Your role or token scopes do not allow this."),
        (
            "404",
            "No such resource, or not yours to see (the same answer for both).",
        ),
        (
            "412",
            "`precondition_failed`: `If-Match` does not match the current `ETag` (changed since \
             you read it).",
        ),
        (
            "413",
            "The request body is larger than `AGRUPA_BODY_LIMIT`.",
        ),
        ("415", "The request body is not `application/json`."),
        (
            "422",
            "`validation_failed`: well-formed but invalid values; `errors` names each field.",
        ),
        (
            "428",
            "`precondition_required`: send `If-Match` with the `ETag` of your last read.",
        ),
        (
            "429",
            "Rate limited; retry after the `Retry-After` seconds.",
        ),
        (
            "500",
            "Unexpected error; the body's request_id finds the logged cause.",
        ),
        (
            "503",
            "Database unavailable or request too slow; retry after the `Retry-After` seconds.",
        ),
    ];
    for (path, item) in api.paths.paths.iter_mut() {
        // The public feed is rate limited as the API is.
        let under_api = path.starts_with("/api/") || path.starts_with("/public/");
        for op in operations_mut(item) {
            let has_body = op.request_body.is_some();
            let names_resource = path.contains('{');
            let if_match = op
                .parameters
                .iter()
                .flatten()
                .find(|p| p.name.eq_ignore_ascii_case("If-Match"))
                .map(|p| matches!(p.required, openapi::Required::True));
            let has_input = has_body || op.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let is_liveness = op.operation_id.as_deref() == Some("healthz");
            // Operations without their own `security` use the global (signed-in) one.
            let signed_in = op.security.is_none();
            for (status, description) in common {
                let wanted = match status {
                    "400" => has_input,
                    "401" | "403" => signed_in,
                    "404" => names_resource,
                    "412" => if_match.is_some(),
                    "428" => if_match == Some(true),
                    "413" | "415" => has_body,
                    // The OAuth endpoints answer bad input with RFC 6749's 400s.
                    "422" => has_body && signed_in,
                    "429" => under_api,
                    "503" => !is_liveness,
                    _ => true,
                };
                if wanted {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem(description));
                }
            }
            let parameters = op.parameters.get_or_insert_with(Vec::new);
            if !parameters
                .iter()
                .any(|p| p.name.eq_ignore_ascii_case("Accept-Language"))
            {
                parameters.push(accept_language());
            }
            for (status, response) in op.responses.responses.iter_mut() {
                if let RefOr::T(response) = response
                    && (status.starts_with('4') || status.starts_with('5'))
                {
                    add_content_language(response);
                }
            }
            for (status, response) in op.responses.responses.iter_mut() {
                if let RefOr::T(response) = response {
                    add_common_headers(response, under_api);
                    if under_api && (status == "429" || status == "503") {
                        add_retry_after(response);
                    }
                }
            }
        }
    }
}

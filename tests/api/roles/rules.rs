//! Who may use each route: the expected status per kind of caller.

use std::collections::BTreeMap;

/// Expected status per caller (`admin staff member partner auditor client`); anonymous
/// callers always get 401. `None`: a public route, checked in its own tests.
pub(super) fn rules() -> BTreeMap<&'static str, Option<&'static str>> {
    const ALL_200: &str = "admin:200 staff:200 member:200 partner:200 auditor:200 client:200";
    const W200: &str = "admin:200 staff:200 member:403 partner:403 auditor:403 client:403";
    const W201: &str = "admin:201 staff:201 member:403 partner:403 auditor:403 client:403";
    const R200: &str = "admin:200 staff:200 member:200 partner:200 auditor:200 client:403";
    const OWN_FUNDER: &str = "admin:200 staff:200 member:200 partner:404 auditor:200 client:403";
    const OWN_APP: &str = "admin:200 staff:200 member:404 partner:404 auditor:200 client:403";
    const GOV_LIST: &str = "admin:200 staff:200 member:200 partner:403 auditor:200 client:403";
    const GOV_PUBLIC: &str = "admin:200 staff:200 member:200 partner:404 auditor:200 client:404";
    const GOV_ONE: &str = "admin:200 staff:200 member:404 partner:404 auditor:200 client:404";
    const WH_READ: &str = "admin:200 staff:403 member:403 partner:403 auditor:200 client:403";
    const WH_WRITE_200: &str = "admin:200 staff:403 member:403 partner:403 auditor:403 client:403";
    const WH_WRITE_202: &str = "admin:202 staff:403 member:403 partner:403 auditor:403 client:403";
    const W204: &str = "admin:204 staff:204 member:403 partner:403 auditor:403 client:403";
    BTreeMap::from([
        ("GET /api/v1/budget-categories", Some(ALL_200)),
        (
            "POST /api/v1/budget-categories",
            Some("admin:201 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "PATCH /api/v1/budget-categories/{id}",
            Some("admin:200 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        ("GET /api/v1/budgets", Some(ALL_200)),
        ("POST /api/v1/budgets", Some(W201)),
        ("GET /api/v1/budgets/{id}", Some(ALL_200)),
        ("PATCH /api/v1/budgets/{id}", Some(W200)),
        ("DELETE /api/v1/budgets/{id}", Some(W204)),
        (
            "POST /api/v1/budgets/{id}/approval",
            Some("admin:200 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        ("POST /api/v1/budgets/{id}/revisions", Some(W201)),
        // Partners see the lines their institution funds, not whole-budget figures.
        (
            "GET /api/v1/budgets/{id}/report",
            Some("admin:200 staff:200 member:200 partner:403 auditor:200 client:403"),
        ),
        (
            "GET /api/v1/budgets/{id}/diff",
            Some("admin:200 staff:200 member:200 partner:403 auditor:200 client:403"),
        ),
        ("GET /api/v1/budgets/{id}/lines", Some(ALL_200)),
        ("POST /api/v1/budgets/{id}/lines", Some(W201)),
        (
            "GET /api/v1/budget-lines/{id}",
            Some("admin:200 staff:200 member:200 partner:404 auditor:200 client:404"),
        ),
        ("PATCH /api/v1/budget-lines/{id}", Some(W200)),
        ("DELETE /api/v1/budget-lines/{id}", Some(W204)),
        // Execution entries: staff, admins and auditors.
        (
            "GET /api/v1/budget-lines/{id}/entries",
            Some("admin:200 staff:200 member:404 partner:404 auditor:200 client:404"),
        ),
        ("POST /api/v1/budget-lines/{id}/entries", Some(W201)),
        ("POST /api/v1/budget-entries/{id}/payment", Some(W200)),
        // Funding: partner users here belong to no funder and the API client holds no
        // funding scope; members here represent no organisation.
        ("GET /api/v1/funders", Some(R200)),
        ("POST /api/v1/funders", Some(W201)),
        ("GET /api/v1/funders/{id}", Some(R200)),
        ("PATCH /api/v1/funders/{id}", Some(W200)),
        ("GET /api/v1/calls", Some(R200)),
        ("POST /api/v1/calls", Some(W201)),
        ("GET /api/v1/calls/{id}", Some(OWN_FUNDER)),
        ("PATCH /api/v1/calls/{id}", Some(W200)),
        // A fresh BDNS code each time: every import creates its call.
        ("POST /api/v1/bdns-call-imports", Some(W201)),
        ("GET /api/v1/agreements", Some(R200)),
        ("POST /api/v1/agreements", Some(W201)),
        // Agreements are the cluster's and the funder's business: not representatives'.
        ("GET /api/v1/agreements/{id}", Some(OWN_APP)),
        ("PATCH /api/v1/agreements/{id}", Some(W200)),
        ("GET /api/v1/applications", Some(R200)),
        ("POST /api/v1/applications", Some(W201)),
        ("GET /api/v1/applications/{id}", Some(OWN_APP)),
        ("PATCH /api/v1/applications/{id}", Some(W200)),
        (
            "POST /api/v1/applications/{id}/transitions",
            Some("admin:200 staff:200 member:403 partner:404 auditor:403 client:403"),
        ),
        ("GET /api/v1/applications/{id}/history", Some(OWN_APP)),
        // The account of an accepted grant: staff, auditors and the call's funder.
        (
            "GET /api/v1/applications/{id}/justification-account",
            Some(OWN_APP),
        ),
        ("GET /api/v1/applications/{id}/documents", Some(OWN_APP)),
        // The matrix sends JSON: the upload wants multipart (415) once the caller may upload.
        (
            "POST /api/v1/applications/{id}/documents",
            Some("admin:415 staff:415 member:403 partner:404 auditor:403 client:403"),
        ),
        (
            "GET /api/v1/applications/{id}/documents/{document_id}",
            Some(OWN_APP),
        ),
        (
            "GET /api/v1/applications/{id}/documents/{document_id}/content",
            Some(OWN_APP),
        ),
        ("GET /api/v1/deadlines", Some(R200)),
        // Governance: partners (and API clients, which act as partners) see nothing of it;
        // the representative here belongs to no organisation: it sees the Assembly, not
        // the board, and is on no roll.
        // The cluster's record: everyone signed in reads it (the API client here holds no
        // `cluster:read` scope); admins replace it. Reports: the cluster's own people.
        ("GET /api/v1/cluster", Some(R200)),
        (
            "PUT /api/v1/cluster",
            Some("admin:200 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "GET /api/v1/reports/aei-register",
            Some("admin:200 staff:200 member:403 partner:403 auditor:200 client:403"),
        ),
        (
            "GET /api/v1/reports/bdns-grants",
            Some("admin:200 staff:200 member:403 partner:403 auditor:200 client:403"),
        ),
        (
            "GET /api/v1/reports/european-profile",
            Some("admin:200 staff:200 member:403 partner:403 auditor:200 client:403"),
        ),
        (
            "GET /api/v1/reports/transparency",
            Some("admin:200 staff:200 member:403 partner:403 auditor:200 client:403"),
        ),
        // Publishing a transparency year: staff and admins; auditors read.
        (
            "GET /api/v1/transparency-publications",
            Some("admin:200 staff:200 member:403 partner:403 auditor:200 client:403"),
        ),
        ("POST /api/v1/transparency-publications", Some(W201)),
        (
            "GET /api/v1/transparency-publications/{year}",
            Some("admin:200 staff:200 member:403 partner:403 auditor:200 client:403"),
        ),
        (
            "DELETE /api/v1/transparency-publications/{year}",
            Some(W204),
        ),
        // The public transparency feed answers without a token (tests/api/transparency.rs).
        ("GET /public/v1/transparency", None),
        ("GET /public/v1/transparency/{year}", None),
        ("GET /public/v1/transparency/{year}/agreements", None),
        ("GET /public/v1/transparency/{year}/subsidies", None),
        ("GET /public/v1/transparency/{year}/budget", None),
        ("GET /public/v1/transparency/{year}/governing-bodies", None),
        ("GET /api/v1/bodies", Some(GOV_LIST)),
        ("POST /api/v1/bodies", Some(W201)),
        ("GET /api/v1/bodies/{id}", Some(GOV_PUBLIC)),
        ("PATCH /api/v1/bodies/{id}", Some(W200)),
        // The versions of the Assembly's rules: whoever sees the body.
        ("GET /api/v1/bodies/{id}/rule-versions", Some(GOV_PUBLIC)),
        ("GET /api/v1/bodies/{id}/seats", Some(GOV_ONE)),
        ("POST /api/v1/bodies/{id}/seats", Some(W201)),
        ("GET /api/v1/bodies/{id}/seats/{seat_id}", Some(GOV_ONE)),
        ("PATCH /api/v1/bodies/{id}/seats/{seat_id}", Some(W200)),
        // The Assembly's meetings: the representative here (no organisation) sees the body
        // and an empty list.
        ("GET /api/v1/bodies/{id}/meetings", Some(GOV_PUBLIC)),
        ("GET /api/v1/approved-accounts", Some(GOV_LIST)),
        // Written dissents: staff, admins, and a representative for its own entry (the one
        // here is on no roll: 404).
        (
            "POST /api/v1/resolutions/{id}/dissents",
            Some("admin:201 staff:201 member:404 partner:403 auditor:403 client:403"),
        ),
        ("GET /api/v1/resolutions/{id}/certificates", Some(GOV_ONE)),
        ("POST /api/v1/resolutions/{id}/certificates", Some(W201)),
        (
            "GET /api/v1/resolutions/{id}/certificates/{certificate_id}",
            Some(GOV_ONE),
        ),
        ("GET /api/v1/meetings", Some(GOV_LIST)),
        ("POST /api/v1/meetings", Some(W201)),
        ("GET /api/v1/meetings/{id}", Some(GOV_ONE)),
        ("GET /api/v1/meetings/{id}/roll", Some(GOV_ONE)),
        ("PUT /api/v1/meetings/{id}/attendance", Some(W200)),
        ("GET /api/v1/meetings/{id}/minutes", Some(GOV_ONE)),
        ("PUT /api/v1/meetings/{id}/minutes", Some(W200)),
        ("POST /api/v1/meetings/{id}/minutes/approval", Some(W200)),
        ("POST /api/v1/meetings/{id}/constitution", Some(W200)),
        (
            "POST /api/v1/meetings/{id}/items/{item_id}/resolution",
            Some(W201),
        ),
        ("GET /api/v1/plans", Some(ALL_200)),
        ("POST /api/v1/plans", Some(W201)),
        ("POST /api/v1/plans/import", Some(W201)),
        ("GET /api/v1/plans/{id}", Some(ALL_200)),
        ("PATCH /api/v1/plans/{id}", Some(W200)),
        ("DELETE /api/v1/plans/{id}", Some(W204)),
        (
            "POST /api/v1/plans/{id}/approval",
            Some("admin:200 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        ("POST /api/v1/plans/{id}/revisions", Some(W201)),
        ("GET /api/v1/plans/{id}/tree", Some(ALL_200)),
        ("GET /api/v1/plans/{id}/progress", Some(ALL_200)),
        ("GET /api/v1/plans/{id}/export", Some(ALL_200)),
        ("GET /api/v1/plans/{id}/diff", Some(ALL_200)),
        ("GET /api/v1/plans/{id}/axes", Some(ALL_200)),
        ("POST /api/v1/plans/{id}/axes", Some(W201)),
        ("GET /api/v1/axes/{id}/areas", Some(ALL_200)),
        ("POST /api/v1/axes/{id}/areas", Some(W201)),
        ("GET /api/v1/areas/{id}/objectives", Some(ALL_200)),
        ("POST /api/v1/areas/{id}/objectives", Some(W201)),
        ("GET /api/v1/objectives/{id}/actions", Some(ALL_200)),
        ("POST /api/v1/objectives/{id}/actions", Some(W201)),
        // A four-level plan keeps actions under objectives: the level is wrong for everyone.
        (
            "GET /api/v1/areas/{id}/actions",
            Some("admin:409 staff:409 member:409 partner:409 auditor:409 client:409"),
        ),
        (
            "POST /api/v1/areas/{id}/actions",
            Some("admin:409 staff:409 member:403 partner:403 auditor:403 client:403"),
        ),
        ("GET /api/v1/axes/{id}", Some(ALL_200)),
        ("PATCH /api/v1/axes/{id}", Some(W200)),
        ("DELETE /api/v1/axes/{id}", Some(W204)),
        ("GET /api/v1/areas/{id}", Some(ALL_200)),
        ("PATCH /api/v1/areas/{id}", Some(W200)),
        ("DELETE /api/v1/areas/{id}", Some(W204)),
        ("GET /api/v1/objectives/{id}", Some(ALL_200)),
        ("PATCH /api/v1/objectives/{id}", Some(W200)),
        ("DELETE /api/v1/objectives/{id}", Some(W204)),
        ("GET /api/v1/actions", Some(ALL_200)),
        ("GET /api/v1/actions/{id}", Some(ALL_200)),
        ("PATCH /api/v1/actions/{id}", Some(W200)),
        ("DELETE /api/v1/actions/{id}", Some(W204)),
        ("GET /api/v1/indicators", Some(ALL_200)),
        ("POST /api/v1/indicators", Some(W201)),
        ("GET /api/v1/indicators/{id}", Some(ALL_200)),
        ("PATCH /api/v1/indicators/{id}", Some(W200)),
        ("DELETE /api/v1/indicators/{id}", Some(W204)),
        ("GET /api/v1/indicators/{id}/measurements", Some(ALL_200)),
        ("POST /api/v1/indicators/{id}/measurements", Some(W201)),
        ("GET /healthz", None),
        ("GET /readyz", None),
        ("GET /metrics", None),
        ("POST /api/v1/auth/token", None),
        ("POST /api/v1/auth/revoke", None),
        ("GET /api/v1/me", Some(ALL_200)),
        (
            "POST /api/v1/me/password",
            Some("admin:204 staff:204 member:204 partner:204 auditor:204 client:403"),
        ),
        (
            "GET /api/v1/users",
            Some("admin:200 staff:403 member:403 partner:403 auditor:200 client:403"),
        ),
        (
            "POST /api/v1/users",
            Some("admin:201 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "GET /api/v1/users/{id}",
            Some("admin:200 staff:403 member:403 partner:403 auditor:200 client:403"),
        ),
        (
            "PATCH /api/v1/users/{id}",
            Some("admin:200 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "GET /api/v1/api-clients",
            Some("admin:200 staff:403 member:403 partner:403 auditor:200 client:403"),
        ),
        (
            "POST /api/v1/api-clients",
            Some("admin:201 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "GET /api/v1/api-clients/{id}",
            Some("admin:200 staff:403 member:403 partner:403 auditor:200 client:403"),
        ),
        (
            "PATCH /api/v1/api-clients/{id}",
            Some("admin:200 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "POST /api/v1/api-clients/{id}/secret-rotations",
            Some("admin:200 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "POST /api/v1/api-clients/{id}/revocation",
            Some("admin:200 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "GET /api/v1/audit-events",
            Some("admin:200 staff:403 member:403 partner:403 auditor:200 client:403"),
        ),
        // The event feed: partners read what concerns them; the test's client has no
        // `events:read` scope.
        (
            "GET /api/v1/events",
            Some("admin:200 staff:200 member:403 partner:200 auditor:200 client:403"),
        ),
        // Webhook endpoints: the admin's own (partners' API clients keep theirs; tested in
        // tests/api/webhooks), auditors read every one.
        ("GET /api/v1/webhook-endpoints", Some(WH_READ)),
        (
            "POST /api/v1/webhook-endpoints",
            Some("admin:201 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        ("GET /api/v1/webhook-endpoints/{id}", Some(WH_READ)),
        ("PATCH /api/v1/webhook-endpoints/{id}", Some(WH_WRITE_200)),
        (
            "DELETE /api/v1/webhook-endpoints/{id}",
            Some("admin:204 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "POST /api/v1/webhook-endpoints/{id}/secret-rotations",
            Some(WH_WRITE_200),
        ),
        (
            "GET /api/v1/webhook-endpoints/{id}/deliveries",
            Some(WH_READ),
        ),
        (
            "POST /api/v1/webhook-endpoints/{id}/deliveries/{delivery_id}/attempts",
            Some(WH_WRITE_202),
        ),
        (
            "POST /api/v1/webhook-endpoints/{id}/pings",
            Some(WH_WRITE_202),
        ),
        ("GET /api/v1/member-categories", Some(ALL_200)),
        (
            "POST /api/v1/member-categories",
            Some("admin:201 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        ("GET /api/v1/member-categories/{id}", Some(ALL_200)),
        (
            "PATCH /api/v1/member-categories/{id}",
            Some("admin:200 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "DELETE /api/v1/member-categories/{id}",
            Some("admin:204 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        ("GET /api/v1/segments", Some(ALL_200)),
        (
            "POST /api/v1/segments",
            Some("admin:201 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        ("GET /api/v1/segments/{id}", Some(ALL_200)),
        (
            "PATCH /api/v1/segments/{id}",
            Some("admin:200 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "DELETE /api/v1/segments/{id}",
            Some("admin:204 staff:403 member:403 partner:403 auditor:403 client:403"),
        ),
        ("GET /api/v1/members", Some(ALL_200)),
        (
            "POST /api/v1/members",
            Some("admin:201 staff:201 member:403 partner:403 auditor:403 client:403"),
        ),
        ("GET /api/v1/members/stats", Some(ALL_200)),
        ("GET /api/v1/members/{id}", Some(ALL_200)),
        (
            "PATCH /api/v1/members/{id}",
            Some("admin:200 staff:200 member:404 partner:403 auditor:403 client:403"),
        ),
        (
            "DELETE /api/v1/members/{id}",
            Some("admin:204 staff:204 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "GET /api/v1/members/{id}/status-changes",
            Some("admin:200 staff:200 member:404 partner:404 auditor:200 client:404"),
        ),
        (
            "POST /api/v1/members/{id}/status-changes",
            Some("admin:201 staff:201 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "GET /api/v1/members/{id}/contacts",
            Some("admin:200 staff:200 member:404 partner:404 auditor:200 client:404"),
        ),
        (
            "POST /api/v1/members/{id}/contacts",
            Some("admin:201 staff:201 member:404 partner:403 auditor:403 client:403"),
        ),
        (
            "PATCH /api/v1/members/{id}/contacts/{contact_id}",
            Some("admin:200 staff:200 member:404 partner:403 auditor:403 client:403"),
        ),
        (
            "DELETE /api/v1/members/{id}/contacts/{contact_id}",
            Some("admin:204 staff:204 member:404 partner:403 auditor:403 client:403"),
        ),
        (
            "GET /api/v1/members/{id}/dues",
            Some("admin:200 staff:200 member:404 partner:404 auditor:200 client:404"),
        ),
        (
            "PATCH /api/v1/members/{id}/dues/{year}",
            Some("admin:200 staff:200 member:403 partner:403 auditor:403 client:403"),
        ),
        (
            "POST /api/v1/dues-issuances",
            Some("admin:201 staff:201 member:403 partner:403 auditor:403 client:403"),
        ),
    ])
}

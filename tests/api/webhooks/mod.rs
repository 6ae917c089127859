//! Events (the transactional outbox and its feed) and signed webhooks: delivery, retries,
//! visibility, signatures checked by an implementation we did not write, the SSRF guard,
//! and two replicas sharing the work.

mod delivery;
mod endpoints;
mod events;
mod replicas;
mod visibility;

use std::time::Duration;

use serde_json::json;
use uuid::Uuid;

use crate::support::{NewMember, TestApp, TestUser, auth::ApiClient, spawn_app_with};

/// An application with its workers polling every 50 ms.
pub async fn spawn_fast_app() -> TestApp {
    spawn_app_with(|c| c.webhooks_poll = Duration::from_millis(50)).await
}

/// A partner API client of `funder` that may read events and keep webhooks, and its token.
pub async fn partner_client(app: &TestApp, admin: &TestUser, funder: Uuid) -> (ApiClient, String) {
    let client = app
        .create_api_client(
            &admin.token,
            &json!({"name": format!("Sistema de socio {funder}"), "funder_id": funder,
                "scopes": ["funding:read", "funding:write", "events:read", "webhooks:read", "webhooks:write"]}),
        )
        .await;
    let token = app.client_token(&client).await;
    (client, token)
}

/// A funder with a call open now; (funder, call).
pub async fn open_call(app: &TestApp, token: &str, name: &str) -> (Uuid, Uuid) {
    let funder = app.new_funder(token, name).await;
    let call = app.new_call(token, funder, -1, 30).await;
    (funder, call)
}

/// A draft application to `call`, submitted: its id (events `application.status_changed`
/// and `application.submitted`).
pub async fn submitted_application(app: &TestApp, token: &str, call: Uuid) -> Uuid {
    let id = app.new_application(token, call, &json!({})).await.id;
    app.transition_to(token, id, "submitted").await;
    id
}

/// An applicant member admitted (events `member.status_changed` and `member.admitted`).
pub async fn admitted_member(app: &TestApp, admin: &TestUser, n: u32) -> Uuid {
    let category = app.new_category(&admin.token, 10_000).await;
    let name = format!("Estudio de animación Ñandú {n}, S.L.");
    let tax_id = agrupa::domain::tax_id::make_cif('B', 7_700_000 + n);
    let member = app
        .create_member(&admin.token, &NewMember::company(category, &name, &tax_id))
        .await;
    app.change_member_status(
        &admin.token,
        member.id,
        &json!({"to": "active", "reason": "Admitida por la Asamblea General"}),
    )
    .await;
    member.id
}

//! A sign-out (revoking a refresh token) racing a refresh of the same sign-in must also
//! revoke the token that refresh issues (issue 14, finding 6c).

use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};

use crate::support::spawn_app;

#[tokio::test]
async fn a_sign_out_racing_a_refresh_also_revokes_the_refreshed_token() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    // Hold the user's row: the refresh spends its token, then waits to insert the successor
    // (its foreign key needs a share lock on the user), inside its transaction.
    let mut blocker: AsyncPgConnection = app.db().await;
    blocker
        .batch_execute(&format!(
            "BEGIN; SELECT 1 FROM users WHERE id = '{}' FOR UPDATE",
            admin.id
        ))
        .await
        .unwrap();
    let refresh = tokio::spawn({
        let (client, url, token) = (
            app.client.clone(),
            app.url("/api/v1/auth/token"),
            admin.refresh_token.clone(),
        );
        async move {
            client
                .post(url)
                .form(&[("grant_type", "refresh_token"), ("refresh_token", &token)])
                .send()
                .await
                .unwrap()
        }
    });
    app.until_waiting_for_locks(1).await;
    // The sign-out comes while the refresh is half done.
    let revoke = tokio::spawn({
        let (client, url, token) = (
            app.client.clone(),
            app.url("/api/v1/auth/revoke"),
            admin.refresh_token.clone(),
        );
        async move {
            client
                .post(url)
                .form(&[("token", token)])
                .send()
                .await
                .unwrap()
        }
    });
    app.until_waiting_for_locks(2).await;
    blocker.batch_execute("COMMIT").await.unwrap();
    let refreshed = refresh.await.unwrap();
    assert_eq!(revoke.await.unwrap().status(), 200);
    // The refresh had spent its token before the sign-out came: it completes…
    assert_eq!(refreshed.status(), 200);
    let body: serde_json::Value = refreshed.json().await.unwrap();
    let successor = body["refresh_token"].as_str().unwrap();
    // …but what it issued is revoked with the rest of the sign-in.
    let res = app.try_refresh(successor).await;
    assert_eq!(res.status(), 400, "the successor outlived the sign-out");
}

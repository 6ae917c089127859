use crate::support::{assert_problem, spawn_app};

#[tokio::test]
async fn unknown_route_is_a_404_problem() {
    let app = spawn_app().await;
    let body = assert_problem(app.get("/api/v1/nothing-here").await, 404, "not_found").await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("/api/v1/nothing-here")
    );
}

#[tokio::test]
async fn trailing_slash_is_not_the_same_resource() {
    let app = spawn_app().await;
    assert_problem(app.get("/healthz/").await, 404, "not_found").await;
}

#[tokio::test]
async fn wrong_method_is_a_405_problem_with_allow() {
    let app = spawn_app().await;
    let res = app.client.delete(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.headers().get("allow").unwrap(), "GET");
    assert_problem(res, 405, "method_not_allowed").await;
}

/// Routes are registered without pattern constraints, so `/members/stats` also fits
/// `/members/{id}` until its id fails to parse: the answer must still be the router's.
#[tokio::test]
async fn a_literal_path_beside_a_parameter_keeps_its_405_and_bad_ids_are_404() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .client
        .patch(app.url("/api/v1/members/stats"))
        .bearer_auth(&admin.token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers().get("allow").unwrap(), "GET");
    assert_problem(res, 405, "method_not_allowed").await;
    let res = app
        .client
        .post(app.url("/api/v1/plans/None/revisions"))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_problem(res, 404, "not_found").await;
    let res = app
        .client
        .get(app.url("/api/v1/members/%F0%9F%8E%AC"))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_problem(res, 404, "not_found").await;
}

#[tokio::test]
async fn a_sane_request_id_is_echoed_and_used_in_problems() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/nope"))
        .header("x-request-id", "req-ñ-1".replace('ñ', "n"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers().get("x-request-id").unwrap(), "req-n-1");
    let body = assert_problem(res, 404, "not_found").await;
    assert_eq!(body["request_id"], "req-n-1");
}

#[tokio::test]
async fn an_oversized_or_odd_request_id_is_replaced() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "x".repeat(500))
        .send()
        .await
        .unwrap();
    let id = res.headers().get("x-request-id").unwrap().to_str().unwrap();
    assert_eq!(id.len(), 36, "a generated UUID");
}

#[tokio::test]
async fn each_request_gets_its_own_generated_id() {
    let app = spawn_app().await;
    let a = app.get("/healthz").await;
    let b = app.get("/healthz").await;
    assert_ne!(
        a.headers().get("x-request-id"),
        b.headers().get("x-request-id")
    );
}

#[tokio::test]
async fn a_body_that_is_not_an_object_is_a_400() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for body in [
        serde_json::json!([null, null]),
        serde_json::json!("texto"),
        serde_json::json!(7),
    ] {
        let res = app.try_create_category(&admin.token, &body).await;
        assert_problem(res, 400, "invalid_body").await;
    }
}

/// Sends `req` with `Accept-Language: lang` (none when `None`), as a frontend does.
async fn send_in(req: reqwest::RequestBuilder, lang: Option<&str>) -> reqwest::Response {
    match lang {
        Some(lang) => req.header("accept-language", lang),
        None => req,
    }
    .send()
    .await
    .unwrap()
}

fn content_language(res: &reqwest::Response) -> String {
    res.headers()
        .get("content-language")
        .expect("content-language header")
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn problems_are_in_spanish_when_spanish_is_preferred() {
    let app = spawn_app().await;
    for lang in [
        "es",
        "es-ES",
        "es-ES,es;q=0.9,en;q=0.8",
        "en;q=0.5, es-MX;q=0.9",
        "fr, es;q=0.4",
    ] {
        let res = send_in(app.client.get(app.url("/api/v1/nothing-here")), Some(lang)).await;
        assert_eq!(content_language(&res), "es", "{lang}");
        let body = assert_problem(res, 404, "not_found").await;
        assert_eq!(body["title"], "No encontrado", "{lang}");
        assert_eq!(body["detail"], "El recurso no existe.", "{lang}");
        assert_eq!(body["type"], "/problems/not_found", "{lang}");
    }
}

#[tokio::test]
async fn problems_are_in_english_by_default_and_when_english_is_preferred() {
    let app = spawn_app().await;
    for lang in [
        None,
        Some("en"),
        Some("en-GB, es;q=0.9"),
        Some("fr"),
        Some("es;q=0"),
        Some("es;q=x"),
    ] {
        let res = send_in(app.client.get(app.url("/api/v1/nothing-here")), lang).await;
        assert_eq!(content_language(&res), "en", "{lang:?}");
        let body = assert_problem(res, 404, "not_found").await;
        assert_eq!(body["title"], "Not Found", "{lang:?}");
        assert!(
            body["detail"].as_str().unwrap().contains("No resource at"),
            "{lang:?}"
        );
    }
}

#[tokio::test]
async fn a_405_a_401_and_a_400_from_the_extractors_follow_the_language_too() {
    let app = spawn_app().await;
    let es = Some("es");
    let res = send_in(app.client.delete(app.url("/readyz")), es).await;
    assert_eq!(res.headers().get("allow").unwrap(), "GET");
    let body = assert_problem(res, 405, "method_not_allowed").await;
    assert_eq!(body["title"], "Método no permitido");
    assert_eq!(body["detail"], "Este recurso admite: GET.");
    let res = send_in(app.client.get(app.url("/api/v1/members")), es).await;
    let body = assert_problem(res, 401, "unauthorized").await;
    assert_eq!(body["title"], "No autenticado");
    let admin = app.admin().await;
    let req = app
        .client
        .get(app.url("/api/v1/members?limit=0"))
        .bearer_auth(&admin.token);
    let res = send_in(req, Some("es-ES;q=1, en;q=0.1")).await;
    assert_eq!(content_language(&res), "es");
    let body = assert_problem(res, 400, "invalid_limit").await;
    assert_eq!(body["title"], "Solicitud incorrecta");
    assert_eq!(body["detail"], "`limit` debe estar entre 1 y 100.");
    let req = app
        .client
        .post(app.url("/api/v1/users"))
        .bearer_auth(&admin.token)
        .header("content-type", "application/json")
        .body("{");
    let body = assert_problem(send_in(req, es).await, 400, "malformed_json").await;
    assert_eq!(
        body["detail"],
        "El cuerpo de la solicitud no es un JSON válido."
    );
    assert_eq!(body["errors"][0]["field"], "body");
    assert_eq!(
        body["errors"][0]["message"],
        "El contenido está mal formado."
    );
}

#[tokio::test]
async fn field_errors_are_in_spanish_with_their_codes_and_fields_unchanged() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let body = serde_json::json!({"email": "no-es-un-correo", "display_name": "  ", "role": "staff",
        "password": "una contraseña bastante larga"});
    let send = |lang: &'static str| {
        let req = app
            .client
            .post(app.url("/api/v1/users"))
            .bearer_auth(&admin.token)
            .json(&body);
        send_in(req, Some(lang))
    };
    let res = send("es-ES,es;q=0.9").await;
    assert_eq!(content_language(&res), "es");
    let es = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(es["title"], "Valores no válidos");
    assert_eq!(
        es["detail"],
        "Algunos valores no son válidos: email, display_name."
    );
    let res = send("en").await;
    assert_eq!(content_language(&res), "en");
    let en = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(en["title"], "Unprocessable Entity");
    let (es, en) = (
        es["errors"].as_array().unwrap(),
        en["errors"].as_array().unwrap(),
    );
    assert_eq!(es.len(), 2);
    assert_eq!(es.len(), en.len());
    for (es, en) in es.iter().zip(en) {
        assert_eq!(es["field"], en["field"]);
        assert_eq!(es["code"], en["code"]);
        assert_eq!(es["message"], "El valor no es válido.");
        assert_ne!(en["message"], es["message"]);
    }
}

use crate::support::spawn_app;

const COMMITTED: &str = include_str!("../../openapi/openapi.json");

fn generated() -> String {
    serde_json::to_string_pretty(&agrupa::openapi_spec()).unwrap() + "\n"
}

#[test]
fn committed_spec_matches_the_code() {
    let generated = generated();
    if std::env::var_os("AGRUPA_UPDATE_OPENAPI").is_some() {
        std::fs::write(
            concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"),
            &generated,
        )
        .unwrap();
        return;
    }
    assert!(
        COMMITTED == generated,
        "openapi/openapi.json is out of date: run `cargo run -q -- openapi > openapi/openapi.json`"
    );
}

#[test]
fn spec_is_openapi_3_1_with_a_complete_info_block() {
    let spec: serde_json::Value = serde_json::from_str(&generated()).unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    for field in ["title", "version", "description"] {
        assert!(spec["info"][field].is_string(), "info.{field}");
    }
    assert!(spec["info"]["contact"].is_object());
    assert!(spec["info"]["license"]["name"].is_string());
}

#[test]
fn every_operation_documents_its_error_responses() {
    let spec: serde_json::Value = serde_json::from_str(&generated()).unwrap();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            let errors: Vec<&String> = responses
                .keys()
                .filter(|s| s.starts_with('4') || s.starts_with('5'))
                .collect();
            assert!(
                !errors.is_empty(),
                "{method} {path} documents no error response"
            );
            assert!(responses.contains_key("500"), "{method} {path} lacks 500");
            for status in errors {
                let content = &responses[status]["content"];
                // The OAuth endpoints answer errors in RFC 6749's `application/json`.
                let oauth =
                    path.starts_with("/api/v1/auth/") && content.get("application/json").is_some();
                assert!(
                    oauth || content.get("application/problem+json").is_some(),
                    "{method} {path} {status} is not problem+json"
                );
            }
        }
    }
}

#[tokio::test]
async fn served_spec_is_the_committed_one() {
    let app = spawn_app().await;
    let res = app.get("/api-docs/openapi.json").await;
    assert_eq!(res.status(), 200);
    let served: serde_json::Value = res.json().await.unwrap();
    let committed: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    assert_eq!(served, committed);
}

#[tokio::test]
async fn swagger_ui_is_served_without_network_and_redirects_without_slash() {
    let app = spawn_app().await;
    let res = app.get("/swagger-ui/").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    let init = app.get("/swagger-ui/swagger-initializer.js").await;
    assert_eq!(init.status(), 200);
    assert!(
        init.text()
            .await
            .unwrap()
            .contains("/api-docs/openapi.json")
    );
    let bundle = app.get("/swagger-ui/swagger-ui-bundle.js").await;
    assert_eq!(bundle.status(), 200);

    let redirect = app.get("/swagger-ui").await;
    assert_eq!(redirect.status(), 308);
    assert_eq!(redirect.headers().get("location").unwrap(), "/swagger-ui/");
}

/// utoipa keys schemas by type name: two request or response types with the same name in
/// two modules would silently share one schema in the document (this happened once).
#[test]
fn schema_type_names_are_unique_across_modules() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut seen = std::collections::HashMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut derives_schema = false;
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with("#[derive(") && line.contains("ToSchema") {
                derives_schema = true;
            } else if derives_schema
                && (line.starts_with("pub struct ") || line.starts_with("pub enum "))
            {
                let name = line
                    .split_whitespace()
                    .nth(2)
                    .unwrap()
                    .trim_end_matches(['{', '<']);
                if let Some(other) = seen.insert(name.to_owned(), file.clone()) {
                    panic!("{name} in {} and {}", other.display(), file.display());
                }
                derives_schema = false;
            }
        }
    }
    assert!(seen.len() > 50, "{} schema types found", seen.len());
}

/// Every documented bound of a query parameter (minimum, maximum, maxLength) is enforced: a
/// value just outside it is a 400 problem, never an empty 200 (Schemathesis found
/// `GET /budgets?fiscal_year=0` answering an empty page). Read from the spec, so a bound
/// added later is covered too. Operations with path parameters are left out: on an id that
/// does not exist they rightly answer 404 first.
#[tokio::test]
async fn every_documented_query_bound_is_enforced() {
    let spec: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    let app = crate::support::spawn_app().await;
    let admin = app.admin().await;
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        let Some(op) = item.get("get") else { continue };
        if path.contains('{') {
            continue;
        }
        for p in op["parameters"].as_array().into_iter().flatten() {
            if p["in"] != "query" {
                continue;
            }
            let (name, schema) = (p["name"].as_str().unwrap(), &p["schema"]);
            let mut outside = Vec::new();
            if let Some(min) = schema["minimum"].as_i64() {
                outside.push((min - 1).to_string());
            }
            if let Some(max) = schema["maximum"].as_i64() {
                outside.push((max + 1).to_string());
            }
            if let Some(len) = schema["maxLength"].as_u64() {
                outside.push("ñ".repeat(len as usize + 1));
            }
            for value in outside {
                let res = app
                    .client
                    .get(app.url(path))
                    .query(&[(name, &value)])
                    .bearer_auth(&admin.token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(
                    res.status(),
                    400,
                    "GET {path}?{name}={} is outside the documented bounds",
                    value.chars().take(20).collect::<String>()
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 40, "only {checked} bounds checked");
}

/// Generated clients name one function per operationId: two operations with one id do not
/// compile (openapi-typescript found `create_category` on member and budget categories).
#[test]
fn operation_ids_are_unique() {
    let spec: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    let mut seen = std::collections::BTreeMap::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if let Some(id) = op["operationId"].as_str()
                && let Some(other) = seen.insert(id.to_owned(), format!("{method} {path}"))
            {
                panic!("operationId {id} is used by {other} and {method} {path}");
            }
        }
    }
    assert!(seen.len() > 100);
}

/// Typed ids are documented as the UUID strings they are, inline (build.rs aliases each):
/// a typed id missing from that list would surface as its own `…Id` component.
#[test]
fn typed_ids_are_documented_as_inline_uuids() {
    let spec: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    let ids: Vec<&String> = spec["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|name| name.ends_with("Id"))
        .collect();
    assert!(
        ids.is_empty(),
        "add these to the aliases in build.rs: {ids:?}"
    );
}

/// Each create links to the operations on what it created, with the answer's `id` as their
/// path parameter, and every link names an operation that exists.
#[test]
fn creates_link_to_the_operations_on_what_they_created() {
    let spec: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    let paths = spec["paths"].as_object().unwrap();
    let ids: Vec<&str> = paths
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    let links = |path: &str| paths[path]["post"]["responses"]["201"]["links"].clone();
    let member = links("/api/v1/members");
    assert_eq!(
        member["get_member"]["parameters"]["id"],
        "$response.body#/id"
    );
    assert_eq!(
        links("/api/v1/areas/{id}/actions")["get_action"]["parameters"]["id"],
        "$response.body#/id"
    );
    let document = &links("/api/v1/applications/{id}/documents")["get_document"]["parameters"];
    assert_eq!(document["document_id"], "$response.body#/id");
    assert_eq!(document["id"], "$request.path.id");
    assert_eq!(
        links("/api/v1/budgets/{id}/lines")["get_line"]["parameters"]["id"],
        "$response.body#/id"
    );
    let mut count = 0;
    for item in paths.values() {
        let Some(created) = item["post"]["responses"].get("201") else {
            continue;
        };
        for link in created["links"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(_, l)| l)
        {
            assert!(ids.contains(&link["operationId"].as_str().unwrap()));
            assert!(
                link.get("operation_id").is_none(),
                "OpenAPI spells it operationId"
            );
            count += 1;
        }
    }
    assert!(count > 100, "{count} links");
}

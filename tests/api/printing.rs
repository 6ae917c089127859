//! Printable documents are rendered by a child process (`agrupa render-pdf`, the server's
//! own executable by default; `AGRUPA_PDF_RENDERER` here): what the server does when the
//! renderer fails or answers something that is not a PDF, and what the renderer is given.

use std::os::unix::fs::PermissionsExt;

use crate::helpers::{assert_problem, spawn_app, spawn_app_with};

const REPORT: &str = "/api/v1/reports/aei-register";

/// A renderer that is the shell script `body`, in a folder that lives as long as the guard.
fn script(body: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("renderer");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    (dir, path)
}

#[tokio::test]
async fn the_servers_own_executable_renders_the_document() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let text = app.pdf_text(&admin.token, REPORT).await;
    crate::support::pdf::assert_holds(&text, "Registro de AEI");
}

#[tokio::test]
async fn a_renderer_that_fails_or_answers_no_pdf_is_a_500_problem_and_json_still_answers() {
    for body in [
        "cat >/dev/null; echo 'out of memory' >&2; exit 3",
        "cat >/dev/null; echo 'not a document'",
    ] {
        let (_dir, renderer) = script(body);
        let app = spawn_app_with(|c| c.pdf_renderer = Some(renderer.clone())).await;
        let admin = app.admin().await;
        let res = app
            .get_with_accept(&admin.token, REPORT, "application/pdf")
            .await;
        let problem = assert_problem(res, 500, "internal_error").await;
        // What the renderer said stays in the server's log, not in the answer.
        let text = problem.to_string();
        assert!(!text.contains("out of memory") && !text.contains("not a document"));
        let res = app
            .get_with_accept(&admin.token, REPORT, "application/json")
            .await;
        assert_eq!(res.status(), 200);
    }
}

#[tokio::test]
async fn the_renderer_gets_the_job_on_its_input_and_none_of_the_servers_environment() {
    // This "renderer" answers a PDF header, then its whole environment and its input.
    let (_dir, renderer) = script("printf '%%PDF-'; env; echo '--'; cat");
    let app = spawn_app_with(|c| c.pdf_renderer = Some(renderer.clone())).await;
    let admin = app.admin().await;
    let res = app
        .get_with_accept(&admin.token, REPORT, "application/pdf")
        .await;
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    let (env, job) = body
        .strip_prefix("%PDF-")
        .and_then(|b| b.split_once("--\n"))
        .expect("the script's answer");
    // The test process has PATH and HOME (and maybe the test database's address); the
    // renderer sees none of them.
    assert!(std::env::var_os("PATH").is_some());
    for line in env.lines() {
        let name = line.split('=').next().unwrap_or("");
        assert!(
            !["PATH", "HOME"].contains(&name)
                && !name.starts_with("AGRUPA")
                && !name.contains("DATABASE"),
            "the renderer saw {name}: {env}"
        );
    }
    let job: serde_json::Value = serde_json::from_str(job).expect("the job is JSON");
    assert_eq!(job["template"], "aei_register");
    assert!(job["source"].as_str().unwrap().contains("common.typ"));
    let meta: serde_json::Value = serde_json::from_str(job["meta"].as_str().unwrap()).unwrap();
    assert_eq!(meta["title"], "Registro de AEI: cumplimiento de requisitos");
    let data: serde_json::Value = serde_json::from_str(job["data"].as_str().unwrap()).unwrap();
    assert!(data["criteria"].is_array(), "{data}");
}

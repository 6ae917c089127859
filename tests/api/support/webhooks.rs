//! Webhooks and events: a local receiver (an actix server on 127.0.0.1 in the test
//! process) that records what it gets and answers as a test scripts it, and the requests on
//! endpoints, deliveries and the event feed.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Duration,
};

use actix_web::{App, HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Page, TestApp, expect_json, with_query};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> String {
        self.headers[name].to_str().unwrap().to_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

#[derive(Default)]
struct Inbox {
    received: Vec<Received>,
    /// Answers to give, in order (status, `Retry-After`); 200 once they run out.
    script: VecDeque<(u16, Option<String>)>,
}

/// A receiver of webhooks on 127.0.0.1.
pub struct Receiver {
    pub url: String,
    pub port: u16,
    inbox: Arc<Mutex<Inbox>>,
    handle: actix_web::dev::ServerHandle,
}

async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    inbox: web::Data<Mutex<Inbox>>,
) -> HttpResponse {
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in req.headers() {
        headers.insert(
            reqwest::header::HeaderName::from_bytes(name.as_str().as_bytes()).unwrap(),
            reqwest::header::HeaderValue::from_bytes(value.as_bytes()).unwrap(),
        );
    }
    let mut inbox = inbox.lock().unwrap();
    inbox.received.push(Received {
        headers,
        body: String::from_utf8(body.to_vec()).unwrap(),
    });
    let (status, retry_after) = inbox.script.pop_front().unwrap_or((200, None));
    let mut res = HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap());
    if let Some(r) = retry_after {
        res.insert_header(("Retry-After", r));
    }
    res.body(format!("recibido ({status})"))
}

impl Receiver {
    /// Starts a receiver answering 200 to everything.
    pub async fn start() -> Self {
        let inbox = web::Data::new(Mutex::new(Inbox::default()));
        let data = inbox.clone();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = actix_web::HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(receive))
        })
        .listen(listener)
        .unwrap()
        .workers(2)
        .disable_signals()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url: format!("http://127.0.0.1:{port}/hooks/agrupa"),
            port,
            inbox: inbox.into_inner(),
            handle,
        }
    }

    /// The next answers: `(status, Retry-After)` in order, then 200s.
    pub fn answer(&self, answers: &[(u16, Option<&str>)]) {
        let mut inbox = self.inbox.lock().unwrap();
        inbox
            .script
            .extend(answers.iter().map(|(s, r)| (*s, r.map(str::to_owned))));
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.inbox.lock().unwrap().received.clone()
    }

    /// Waits (at most `secs`) until `n` requests arrived; what arrived.
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let got = self.received();
            if got.len() >= n || tokio::time::Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the receiver.
    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}

/// An endpoint with its secret, as created.
#[derive(Debug, Deserialize)]
pub struct Endpoint {
    pub id: Uuid,
    pub url: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub secret: Option<String>,
    pub event_types: Vec<String>,
}

/// A delivery in the log.
#[derive(Debug, Deserialize)]
pub struct Delivery {
    pub id: Uuid,
    pub msg_id: String,
    pub event_type: String,
    pub status: String,
    pub attempts: Vec<Attempt>,
}

/// An attempt of a delivery.
#[derive(Debug, Deserialize)]
pub struct Attempt {
    pub response_status: Option<i32>,
    pub duration_ms: i32,
    pub response_body: Option<String>,
    pub error: Option<String>,
}

/// An event of the feed.
#[derive(Debug, Deserialize)]
pub struct FeedEvent {
    pub id: Uuid,
    #[serde(rename = "type")]
    pub kind: String,
    pub data: Value,
}

/// A page of the feed.
#[derive(Debug, Deserialize)]
pub struct Feed {
    pub items: Vec<FeedEvent>,
    pub next_cursor: String,
}

pub fn endpoint_path(id: Uuid) -> String {
    format!("/api/v1/webhook-endpoints/{id}")
}

impl TestApp {
    /// Creates an endpoint at `url` for `types` (empty: all) (raw).
    pub async fn try_create_endpoint(
        &self,
        token: &str,
        url: &str,
        types: &[&str],
    ) -> reqwest::Response {
        let body = json!({"url": url, "event_types": types, "description": "Receptor de pruebas"});
        self.post_json(token, "/api/v1/webhook-endpoints", &body)
            .await
    }

    /// Creates an endpoint at `url` for `types` (empty: all).
    pub async fn create_endpoint(&self, token: &str, url: &str, types: &[&str]) -> Endpoint {
        expect_json(self.try_create_endpoint(token, url, types).await, 201).await
    }

    /// An endpoint.
    pub async fn get_endpoint(&self, token: &str, id: Uuid) -> Endpoint {
        self.get_ok(token, &endpoint_path(id)).await
    }

    /// An endpoint's deliveries, newest first.
    pub async fn deliveries(&self, token: &str, id: Uuid) -> Vec<Delivery> {
        let path = with_query(&format!("{}/deliveries", endpoint_path(id)), "limit=100");
        self.get_ok::<Page<_>>(token, &path).await.items
    }

    /// Waits (at most `secs`) until `check` holds for an endpoint's deliveries.
    pub async fn wait_deliveries(
        &self,
        token: &str,
        id: Uuid,
        secs: u64,
        check: impl Fn(&[Delivery]) -> bool,
    ) -> Vec<Delivery> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let got = self.deliveries(token, id).await;
            if check(&got) || tokio::time::Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A page of the event feed (`query` is the query string).
    pub async fn feed(&self, token: &str, query: &str) -> Feed {
        self.get_ok(token, &with_query("/api/v1/events", query))
            .await
    }

    /// Every event of the feed the caller sees.
    pub async fn whole_feed(&self, token: &str) -> Vec<FeedEvent> {
        let mut all = Vec::new();
        let mut query = "limit=100".to_owned();
        loop {
            let page = self.feed(token, &query).await;
            if page.items.is_empty() {
                return all;
            }
            all.extend(page.items);
            query = format!("limit=100&after={}", page.next_cursor);
        }
    }

    /// The whole feed once `check` holds (at most 30 s): an event shows once every
    /// transaction older than the one that wrote it has finished, anywhere on the server,
    /// which includes the other tests' databases. 10 s was missed by three tests when the
    /// suite ran beside a build on both cores; a passing check returns at once.
    pub async fn feed_when(
        &self,
        token: &str,
        check: impl Fn(&[FeedEvent]) -> bool,
    ) -> Vec<FeedEvent> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let feed = self.whole_feed(token).await;
            if check(&feed) || tokio::time::Instant::now() > deadline {
                return feed;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The number of rows of the test database's `table` (with a `WHERE` clause, if any).
    pub async fn count_rows(&self, table: &str) -> i64 {
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query(format!("SELECT count(*) AS n FROM {table}"))
            .get_result::<N>(&mut self.db().await)
            .await
            .unwrap()
            .n
    }
}

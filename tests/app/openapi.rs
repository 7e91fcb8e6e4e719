//! The OpenAPI document held against the router: every parameter sits
//! where the code reads it, limits the code enforces are in the schema, and
//! every answer a client can provoke (bad bodies, bad queries, unknown ids,
//! no token) is one the document declares. Generated clients and API
//! fuzzers trust the document; this is what keeps it honest.

use reqwest::Method;
use serde_json::{Value, json};

use crate::admin::token;
use crate::helpers::*;

async fn document(app: &TestApp) -> Value {
    app.get("/v1/openapi.json").await.json().await.unwrap()
}

/// (path, method, operation) of every operation in the document.
fn operations(doc: &Value) -> Vec<(String, Method, Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            ops.push((path.clone(), method, op.clone()));
        }
    }
    ops
}

fn params<'a>(op: &'a Value, location: &str) -> Vec<&'a Value> {
    op["parameters"]
        .as_array()
        .map(|ps| ps.iter().filter(|p| p["in"] == location).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn parameters_sit_where_the_code_reads_them() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    for (path, method, op) in operations(&doc) {
        let template_vars: Vec<&str> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        let in_path = params(&op, "path");
        for p in &in_path {
            let name = p["name"].as_str().unwrap();
            assert!(
                template_vars.contains(&name),
                "{method} {path}: `{name}` is documented in the path but the path has no {{{name}}}"
            );
            assert_eq!(p["required"], true, "{method} {path}: path `{name}`");
        }
        assert_eq!(
            in_path.len(),
            template_vars.len(),
            "{method} {path}: every {{var}} is a documented path parameter"
        );
        for p in params(&op, "query") {
            let name = p["name"].as_str().unwrap();
            assert!(!template_vars.contains(&name), "{method} {path}: `{name}`");
            // Paging limits are the ones the code enforces.
            match name {
                "per_page" => assert_eq!(p["schema"]["maximum"], 100, "{method} {path}"),
                "page" => assert_eq!(p["schema"]["minimum"], 1, "{method} {path}"),
                _ => {}
            }
        }
    }
    // The filters of the lists are query parameters, as generated clients need them.
    let query_of = |path: &str| -> Vec<String> {
        params(&doc["paths"][path]["get"], "query")
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    for name in [
        "make",
        "year_min",
        "price_max",
        "status",
        "q",
        "sort",
        "page",
        "per_page",
    ] {
        assert!(
            query_of("/v1/vehicles").contains(&name.to_owned()),
            "{name}"
        );
        assert!(
            query_of("/v1/admin/vehicles").contains(&name.to_owned()),
            "{name}"
        );
    }
    assert_eq!(query_of("/v1/availability"), ["date"]);
    assert_eq!(query_of("/v1/bookings/{booking_ref}"), ["phone"]);
    for list in [
        "/v1/admin/bookings",
        "/v1/admin/leads",
        "/v1/admin/notifications",
        "/v1/admin/audit",
    ] {
        assert!(query_of(list).contains(&"per_page".to_owned()), "{list}");
    }
}

#[tokio::test]
async fn documented_limits_are_enforced() {
    let app = spawn_app().await;
    let admin = token(&app, "admin").await;
    for list in [
        "/v1/admin/bookings",
        "/v1/admin/leads",
        "/v1/admin/notifications",
        "/v1/admin/audit",
        "/v1/admin/vehicles",
    ] {
        for (query, status) in [
            ("per_page=100", 200),
            ("per_page=101", 422),
            ("page=0", 422),
        ] {
            let (got, _) = app
                .api(Method::GET, &format!("{list}?{query}"), &admin, None)
                .await;
            assert_eq!(got, status, "{list}?{query}");
        }
    }
    let (got, _) = app
        .api(Method::GET, "/v1/vehicles?per_page=101", "", None)
        .await;
    assert_eq!(got, 422);
}

/// A path with every `{var}` filled: a fresh id (valid, unknown) or a
/// well-formed booking reference.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| match seg {
            "{booking_ref}" => "DAY-20260101-001".to_owned(),
            s if s.starts_with('{') => daytona::db::new_id(),
            s => s.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Sends one probe and checks that its answer is declared and well formed.
async fn probe(
    app: &TestApp,
    (path, method, op): (&str, &Method, &Value),
    what: &str,
    req: reqwest::RequestBuilder,
) -> u16 {
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let body = res.text().await.unwrap_or_default();
    assert!(
        status < 500,
        "{method} {path} ({what}) answered {status}: {body}"
    );
    assert!(
        op["responses"].get(status.to_string()).is_some(),
        "{method} {path} ({what}) answered {status}, which the document does not declare: {body}"
    );
    if status >= 400 {
        let json: Value = serde_json::from_str(&body)
            .unwrap_or_else(|_| panic!("{method} {path} ({what}): error body is not JSON: {body}"));
        assert!(
            json["error"]["code"].is_string(),
            "{method} {path} ({what}): {body}"
        );
        assert!(
            json["error"]["message"].is_string(),
            "{method} {path} ({what}): {body}"
        );
    }
    let _ = app;
    status
}

#[tokio::test]
async fn every_answer_the_router_gives_is_declared() {
    let app = spawn_app().await;
    let admin = token(&app, "admin").await;
    let doc = document(&app).await;
    let c = client();
    let mut probes = 0;
    for (path, method, op) in operations(&doc) {
        let url = app.url(&concrete(&path));
        let op_ref = (path.as_str(), &method, &op);
        let secured = op.get("security").is_some();
        let has_body = op.get("requestBody").is_some();
        let has_query = !params(&op, "query").is_empty();
        if secured {
            let status = probe(&app, op_ref, "no token", c.request(method.clone(), &url)).await;
            assert_eq!(status, 401, "{method} {path} without a token");
            probes += 1;
        }
        if path == "/v1/auth/logout" {
            continue; // would revoke the token the other probes use
        }
        let send = |what: &'static str| {
            let req = c.request(method.clone(), &url).bearer_auth(&admin);
            (what, req)
        };
        let mut cases = vec![send("as is")];
        if has_body {
            let (w, r) = send("malformed JSON");
            cases.push((
                w,
                r.header("content-type", "application/json")
                    .body("{\"name\": "),
            ));
            let (w, r) = send("wrong content type");
            cases.push((w, r.header("content-type", "text/plain").body("hello")));
            let (w, r) = send("wrong shape");
            cases.push((w, r.json(&json!([1, 2, 3]))));
            let (w, r) = send("over 64 KiB");
            cases.push((w, r.json(&json!({ "name": "x".repeat(70 * 1024) }))));
        }
        if has_query {
            let (w, r) = send("per_page out of range");
            cases.push((w, r.query(&[("per_page", "101")])));
            let (w, r) = send("page not a number");
            cases.push((w, r.query(&[("page", "two")])));
            let (w, r) = send("a filter twice");
            cases.push((
                w,
                r.query(&[("date", "2026-01-01"), ("date", "2026-01-02")]),
            ));
        }
        for (what, req) in cases {
            probe(&app, op_ref, what, req).await;
            probes += 1;
        }
    }
    assert!(probes > 80, "only {probes} probes ran");
}

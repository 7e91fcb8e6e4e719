//! Health, security headers, compression, body limits and the OpenAPI document.

use crate::helpers::*;

#[tokio::test]
async fn healthz_answers_ok_after_a_database_check() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"status": "ok"}));
    app.stop().await;
}

#[tokio::test]
async fn healthz_reports_a_broken_database_as_503() {
    let app = spawn_app().await;
    // A check that really queries the database notices the schema is gone.
    app.state
        .db
        .write(|tx| -> anyhow::Result<()> {
            tx.execute_batch("DROP TABLE refinery_schema_history")?;
            Ok(())
        })
        .await
        .unwrap();
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
}

#[tokio::test]
async fn every_response_has_the_security_headers() {
    let app = spawn_app().await;
    for path in ["/", "/healthz", "/v1/nope", "/nope", "/admin/login"] {
        let res = app.get(path).await;
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(
            h["referrer-policy"], "strict-origin-when-cross-origin",
            "{path}"
        );
        assert!(h.contains_key("x-request-id"), "{path}");
        // Plain HTTP: no HSTS, which would lock a LAN box out of http://.
        assert!(!h.contains_key("strict-transport-security"), "{path}");
    }
}

#[tokio::test]
async fn hsts_is_sent_when_served_over_https() {
    let app = spawn_app_with(&[("DAYTONA_SERVER__PUBLIC_URL", "https://daytona.example")]).await;
    let res = app.get("/").await;
    assert!(
        res.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
}

#[tokio::test]
async fn pages_are_compressed_for_clients_that_accept_it() {
    let app = spawn_app().await;
    let res = raw_client()
        .get(app.url("/services"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn the_test_client_asks_for_gzip_and_br_like_a_browser() {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let request = tokio::spawn(async move { client().get(url).send().await });
    let (mut socket, _) = listener.accept().await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0];
        socket.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    request.abort();
    let head = String::from_utf8(head).unwrap().to_ascii_lowercase();
    let accepted: Vec<&str> = head
        .lines()
        .find_map(|l| l.strip_prefix("accept-encoding:"))
        .unwrap_or_else(|| panic!("no accept-encoding in {head}"))
        .split(',')
        .map(str::trim)
        .collect();
    assert!(
        accepted.contains(&"gzip") && accepted.contains(&"br"),
        "{accepted:?}"
    );
}

#[tokio::test]
async fn oversized_bodies_get_413_in_the_error_shape() {
    let app = spawn_app_with(&[("DAYTONA_SERVER__MAX_BODY_KIB", "1")]).await;
    let big = "x".repeat(4096);
    let res = app
        .client
        .post(app.url("/admin/login"))
        .form(&[("email", big.as_str()), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

#[tokio::test]
async fn openapi_documents_every_v1_route_and_each_documented_route_exists() {
    let app = spawn_app().await;
    let res = app.get("/v1/openapi.json").await;
    assert_eq!(res.status(), 200);
    let doc: serde_json::Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    // Every /v1 route the app serves so far; each issue that adds one adds it here.
    for expected in [
        "/v1/openapi.json",
        "/healthz",
        "/v1/availability",
        "/v1/bookings",
        "/v1/bookings/{booking_ref}",
        "/v1/bookings/{booking_ref}/cancel",
        "/v1/auth/login",
        "/v1/auth/logout",
        "/v1/auth/me",
        "/v1/admin/bookings",
        "/v1/admin/bookings.csv",
        "/v1/admin/bookings/{id}",
        "/v1/admin/bookings/{id}/checkin",
        "/v1/admin/audit",
        "/v1/admin/notifications",
        "/v1/admin/notifications/test",
        "/v1/admin/notifications/{id}/resend",
        "/v1/admin/users",
        "/v1/admin/users/{id}",
        "/v1/vehicles",
        "/v1/vehicles/{id}",
        "/v1/inquiries",
        "/v1/admin/vehicles",
        "/v1/admin/vehicles/{id}",
        "/v1/admin/vehicles/{id}/images",
        "/v1/admin/vehicles/{id}/images/{image_id}",
        "/v1/admin/leads",
        "/v1/admin/leads/{id}",
    ] {
        assert!(
            paths.contains_key(expected),
            "{expected} missing from the OpenAPI document"
        );
    }
    // ... and every documented GET without parameters really answers.
    for (path, item) in paths {
        if item.get("get").is_some() && !path.contains('{') {
            let status = app.get(path).await.status().as_u16();
            assert!(
                status != 404 && status != 405,
                "{path} is documented but answers {status}"
            );
        }
    }
}

#[tokio::test]
async fn graceful_shutdown_finishes_and_releases_the_port() {
    let app = spawn_app().await;
    let addr = app.addr;
    app.stop().await;
    assert!(std::net::TcpStream::connect(addr).is_err());
}

//! The error shape of SPEC §5 under /v1 and HTML error pages elsewhere.

use crate::helpers::*;

async fn json_error(res: reqwest::Response) -> (u16, serde_json::Value) {
    let status = res.status().as_u16();
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("application/json"), "content-type {ct}");
    (status, res.json().await.unwrap())
}

#[tokio::test]
async fn unknown_api_path_is_a_json_404() {
    let app = spawn_app().await;
    let (status, body) = json_error(app.get("/v1/no/such/thing").await).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
    assert!(body["error"]["message"].as_str().unwrap().len() > 5);
    assert!(body["error"].get("fields").is_none());
}

#[tokio::test]
async fn wrong_method_under_v1_is_a_json_405() {
    let app = spawn_app().await;
    let res = app
        .client
        .delete(app.url("/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    let (status, body) = json_error(res).await;
    assert_eq!(status, 405);
    assert_eq!(body["error"]["code"], "method_not_allowed");
}

#[tokio::test]
async fn unknown_page_is_an_html_404_with_the_layout() {
    let app = spawn_app().await;
    let res = app.get("/no-such-page").await;
    assert_eq!(res.status(), 404);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(texts(&html, ".error-code"), ["404"]);
    assert_eq!(texts(&html, "a.btn-book"), ["Book Service"]);
}

#[tokio::test]
async fn errors_never_leak_internals() {
    let app = spawn_app().await;
    for path in [
        "/v1/x'; DROP TABLE users;--",
        "/assets/../../etc/passwd",
        "/admin/setup?token=%00",
    ] {
        let res = app.get(path).await;
        let status = res.status().as_u16();
        let text = res.text().await.unwrap().to_lowercase();
        assert!(status < 500, "{path}: {status}");
        for leak in ["sqlite", "rusqlite", "panicked", "/work/", "src/"] {
            assert!(!text.contains(leak), "{path} leaks {leak}");
        }
    }
}

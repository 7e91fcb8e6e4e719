//! Embedded assets: content-hashed URLs, long-lived caching, ETags.

use crate::helpers::*;

#[tokio::test]
async fn css_is_served_under_a_hashed_url_with_immutable_caching_and_etag() {
    let app = spawn_app().await;
    let (_, html) = app.page("/").await;
    let css = attrs(&html, "link[rel=stylesheet]", "href");
    assert_eq!(css.len(), 1);
    let url = &css[0];
    assert!(
        regex_like_hashed(url),
        "stylesheet URL is not content-hashed: {url}"
    );
    let res = app.get(url).await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert!(res.text().await.unwrap().contains(".btn-book"));

    let again = app
        .client
        .get(app.url(url))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn unknown_or_unhashed_assets_are_404() {
    let app = spawn_app().await;
    assert_eq!(app.get("/assets/app.css").await.status(), 404);
    assert_eq!(app.get("/assets/app.0000000000.css").await.status(), 404);
}

#[tokio::test]
async fn favicon_is_linked_and_served() {
    let app = spawn_app().await;
    let (_, html) = app.page("/").await;
    let icon = attrs(&html, "link[rel=icon]", "href");
    let res = app.get(&icon[0]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/svg+xml");
}

/// `/assets/<stem>.<10 hex>.<ext>`
fn regex_like_hashed(url: &str) -> bool {
    let Some(name) = url.strip_prefix("/assets/") else {
        return false;
    };
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() == 3 && parts[1].len() == 10 && parts[1].chars().all(|c| c.is_ascii_hexdigit())
}

//! The public static pages: real content from the config, the shared layout.

use crate::helpers::*;

const PAGES: &[&str] = &["/", "/about", "/services", "/contact", "/privacy"];

#[tokio::test]
async fn every_static_page_has_the_layout_and_one_h1() {
    let app = spawn_app().await;
    for path in PAGES {
        let (status, html) = app.page(path).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(texts(&html, "h1").len(), 1, "{path} needs exactly one h1");
        assert!(
            texts(&html, "title")[0].ends_with("· Daytona Malawi"),
            "{path}"
        );
        assert_eq!(
            attrs(&html, "header a.btn-book", "href"),
            ["/book"],
            "{path}"
        );
        assert_eq!(
            attrs(&html, "meta[name=viewport]", "content").len(),
            1,
            "{path}"
        );
        // Footer: phone, WhatsApp, address and opening hours.
        let footer = texts(&html, "footer").join(" ");
        assert!(footer.contains("+265 999 000 000"), "{path}");
        assert!(footer.contains("Masauko Chipembere Highway"), "{path}");
        assert!(
            footer.contains("Mon–Fri") && footer.contains("07:30–17:00"),
            "{path}"
        );
        assert!(
            footer.contains("Sun") && footer.contains("Closed"),
            "{path}"
        );
        assert!(
            !attrs(
                &html,
                "footer a[href^='https://wa.me/265999000000']",
                "href"
            )
            .is_empty(),
            "{path}"
        );
        assert!(
            !attrs(&html, "footer a[href='tel:+265999000000']", "href").is_empty(),
            "{path}"
        );
        // No inline script: the CSP would block it anyway.
        assert!(
            texts(&html, "script").iter().all(|s| s.is_empty()),
            "{path}"
        );
    }
}

#[tokio::test]
async fn business_details_come_from_the_config() {
    let app = spawn_app_with(&[
        ("DAYTONA_BUSINESS__NAME", "Zomba Motors"),
        ("DAYTONA_BUSINESS__PHONE", "+265 888 123 456"),
        ("DAYTONA_BOOKING__HOURS__SAT", ""),
    ])
    .await;
    let (_, html) = app.page("/contact").await;
    assert!(texts(&html, "title")[0].ends_with("· Zomba Motors"));
    assert_eq!(texts(&html, ".brand-name"), ["Zomba Motors"]);
    assert!(!attrs(&html, "a[href='tel:+265888123456']", "href").is_empty());
    let hours = texts(&html, "footer dl.hours dt");
    assert_eq!(hours, ["Mon–Fri", "Sat–Sun"]);
}

#[tokio::test]
async fn services_page_describes_all_six_service_types() {
    let app = spawn_app().await;
    let (_, html) = app.page("/services").await;
    let ids = attrs(&html, "article.service", "id");
    assert_eq!(
        ids,
        [
            "oil_change",
            "full_service",
            "tyre_alignment",
            "suspension_check",
            "brake_check",
            "other"
        ]
    );
    for text in texts(&html, "article.service p:not(.service-meta)") {
        assert!(text.len() > 60, "thin description: {text}");
    }
    let book_links = attrs(&html, "article.service a", "href");
    assert_eq!(book_links[0], "/book?service_type=oil_change");
}

#[tokio::test]
async fn contact_page_has_tel_and_whatsapp_links_and_hours() {
    let app = spawn_app().await;
    let (_, html) = app.page("/contact").await;
    assert!(!attrs(&html, "main a[href='tel:+265999000000']", "href").is_empty());
    let wa = attrs(&html, "main a[href^='https://wa.me/265999000000']", "href");
    assert!(wa[0].contains("?text=Hello"), "{wa:?}");
    assert_eq!(
        texts(&html, "main address"),
        ["Masauko Chipembere Highway, Blantyre, Malawi"]
    );
    assert!(!texts(&html, "main dl.hours").is_empty());
}

#[tokio::test]
async fn privacy_page_states_retention_from_the_config() {
    let app = spawn_app_with(&[("DAYTONA_RETENTION__LEADS_DAYS", "400")]).await;
    let (_, html) = app.page("/privacy").await;
    let rows = texts(&html, "table.data tbody tr");
    assert!(
        rows.iter()
            .any(|r| r.contains("Bookings") && r.contains("3 years")),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r.contains("Inquiries") && r.contains("400 days")),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r.contains("messages") && r.contains("180 days")),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r.contains("activity") && r.contains("2 years")),
        "{rows:?}"
    );
}

#[tokio::test]
async fn robots_txt_keeps_crawlers_out_of_admin_and_api() {
    let app = spawn_app().await;
    let res = app.get("/robots.txt").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let body = res.text().await.unwrap();
    assert!(body.contains("Disallow: /admin"));
    assert!(body.contains("Disallow: /v1/"));
    assert!(body.contains(&format!("Sitemap: {}/sitemap.xml", app.base)));
}

#[tokio::test]
async fn pages_stay_small_for_slow_mobile_data() {
    let app = spawn_app().await;
    for path in PAGES {
        let len = app.get(path).await.bytes().await.unwrap().len();
        assert!(len < 30_000, "{path} is {len} bytes of HTML");
    }
}

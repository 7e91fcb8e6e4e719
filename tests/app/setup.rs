//! First run: the setup link creates the first admin; then sign-in and sign-out.

use crate::helpers::*;

#[tokio::test]
async fn a_fresh_install_offers_a_setup_link_that_creates_the_first_admin() {
    let app = spawn_app().await;
    let link = app.setup_link.clone().unwrap();
    assert!(
        link.starts_with(&format!("{}/admin/setup?token=", app.base)),
        "{link}"
    );

    app.create_first_admin("owner@daytona.mw", "a long enough password")
        .await;

    // Signed in straight away: the dashboard shows the admin shell.
    let (status, html) = app.page("/admin").await;
    assert_eq!(status, 200);
    let nav = texts(&html, "aside.admin-nav nav a");
    assert_eq!(
        nav,
        [
            "Dashboard",
            "Today",
            "Bookings",
            "Vehicles",
            "Leads",
            "Reports",
            "Users",
            "Audit log",
            "Notifications",
            "Settings"
        ]
    );
    assert_eq!(texts(&html, "nav a[aria-current=page]"), ["Dashboard"]);
    assert!(texts(&html, ".admin-user span")[0].contains("Chikondi Banda"));
    assert_eq!(texts(&html, ".stat-value").len(), 5);

    // The link is spent: it now leads to sign-in.
    let path = link.strip_prefix(&app.base).unwrap();
    let res = app.get(path).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/admin/login");

    // A restart with a user present prints no new link.
    let db_users: i64 = app
        .state
        .db
        .read(|c| -> anyhow::Result<i64> {
            Ok(
                c.query_row("SELECT COUNT(*) FROM users WHERE role = 'admin'", [], |r| {
                    r.get(0)
                })?,
            )
        })
        .await
        .unwrap();
    assert_eq!(db_users, 1);
}

#[tokio::test]
async fn the_session_cookie_is_httponly_and_samesite_strict() {
    let app = spawn_app().await;
    let link = app.setup_link.clone().unwrap();
    let (_, html) = app.page(link.strip_prefix(&app.base).unwrap()).await;
    let res = app
        .post_form(
            "/admin/setup",
            &[
                ("csrf", &input_value(&html, "csrf")),
                ("token", &input_value(&html, "token")),
                ("name", "Owner"),
                ("email", "owner@daytona.mw"),
                ("password", "a long enough password"),
                ("password_confirm", "a long enough password"),
            ],
        )
        .await;
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("daytona_session="))
        .unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain-HTTP LAN must not get Secure cookies: {cookie}"
    );
}

#[tokio::test]
async fn a_wrong_or_missing_setup_token_is_refused() {
    let app = spawn_app().await;
    for path in ["/admin/setup?token=nope", "/admin/setup"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 403, "{path}");
        let body = res.text().await.unwrap();
        assert!(body.contains("not valid or has expired"), "{path}");
    }
}

#[tokio::test]
async fn setup_form_errors_are_shown_next_to_the_fields_and_input_is_kept() {
    let app = spawn_app().await;
    let link = app.setup_link.clone().unwrap();
    let (_, html) = app.page(link.strip_prefix(&app.base).unwrap()).await;
    let (csrf, token) = (input_value(&html, "csrf"), input_value(&html, "token"));
    let res = app
        .post_form(
            "/admin/setup",
            &[
                ("csrf", &csrf),
                ("token", &token),
                ("name", "Tiwonge Phiri"),
                ("email", "not-an-email"),
                ("password", "short"),
                ("password_confirm", "different"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(input_value(&html, "name"), "Tiwonge Phiri");
    assert_eq!(input_value(&html, "email"), "not-an-email");
    assert_eq!(
        input_value(&html, "password"),
        "",
        "passwords are never echoed back"
    );
    for field in ["email", "password", "password_confirm"] {
        assert_eq!(texts(&html, &format!("#{field}-error")).len(), 1, "{field}");
        assert_eq!(
            attrs(&html, &format!("#{field}"), "aria-invalid"),
            ["true"],
            "{field}"
        );
    }
    assert!(texts(&html, "#name-error").is_empty());
}

#[tokio::test]
async fn setup_without_the_csrf_token_is_forbidden() {
    let app = spawn_app().await;
    let link = app.setup_link.clone().unwrap();
    let (_, html) = app.page(link.strip_prefix(&app.base).unwrap()).await;
    let res = app
        .post_form(
            "/admin/setup",
            &[
                ("csrf", "forged"),
                ("token", &input_value(&html, "token")),
                ("name", "Mallory"),
                ("email", "mallory@example.com"),
                ("password", "a long enough password"),
                ("password_confirm", "a long enough password"),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn admin_pages_send_visitors_without_a_session_to_sign_in() {
    let app = spawn_app().await;
    let res = app.get("/admin").await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/admin/login?next=%2Fadmin");
}

#[tokio::test]
async fn sign_in_and_sign_out() {
    let app = spawn_app().await;
    app.create_first_admin("owner@daytona.mw", "a long enough password")
        .await;

    // A second browser signs in.
    let browser = client();
    let login = |c: &reqwest::Client| c.get(app.url("/admin/login?next=/admin")).send();
    let html = scraper::Html::parse_document(&login(&browser).await.unwrap().text().await.unwrap());
    let csrf = input_value(&html, "csrf");
    assert_eq!(input_value(&html, "next"), "/admin");

    // Wrong password and unknown email get the same answer.
    let mut bodies = Vec::new();
    for (email, password) in [
        ("owner@daytona.mw", "wrong password!"),
        ("nobody@daytona.mw", "a long enough password"),
    ] {
        let res = browser
            .post(app.url("/admin/login"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("email", email),
                ("password", password),
                ("next", "/admin"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
        let html = scraper::Html::parse_document(&res.text().await.unwrap());
        assert_eq!(input_value(&html, "email"), email, "email is kept");
        bodies.push(texts(&html, ".alert-error"));
    }
    assert_eq!(bodies[0], bodies[1]);

    let res = browser
        .post(app.url("/admin/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "Owner@Daytona.mw"),
            ("password", "a long enough password"),
            ("next", "/admin"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/admin");
    let res = browser.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = scraper::Html::parse_document(&res.text().await.unwrap());
    let session_csrf = input_value(&html, "csrf");

    // Sign-out needs the session's CSRF token.
    let res = browser
        .post(app.url("/admin/logout"))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = browser
        .post(app.url("/admin/logout"))
        .form(&[("csrf", session_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        browser
            .get(app.url("/admin"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
}

#[tokio::test]
async fn sign_in_never_redirects_off_site() {
    let app = spawn_app().await;
    app.create_first_admin("owner@daytona.mw", "a long enough password")
        .await;
    let browser = client();
    let html = get_page(&browser, app.url("/admin/login")).await;
    let csrf = input_value(&html, "csrf");
    for next in [
        "https://evil.example/",
        "//evil.example/admin",
        "/\\evil.example",
    ] {
        let res = browser
            .post(app.url("/admin/login"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("email", "owner@daytona.mw"),
                ("password", "a long enough password"),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["location"], "/admin", "{next}");
    }
}

#[tokio::test]
async fn cross_site_form_posts_are_refused() {
    let app = spawn_app().await;
    let html = scraper::Html::parse_document(&app.get("/admin/login").await.text().await.unwrap());
    let csrf = input_value(&html, "csrf");
    let res = app
        .client
        .post(app.url("/admin/login"))
        .header("origin", "https://evil.example")
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "a@b.mw"),
            ("password", "whatever123"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

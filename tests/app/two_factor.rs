//! Two-step sign-in: enrolment by QR code, codes computed here, recovery
//! codes, replay protection and `require_totp`.

use std::sync::Arc;

use daytona::auth::totp::code_at;
use daytona::clock::FixedClock;
use jiff::SignedDuration;
use serde_json::{Value, json};

use crate::admin::{PASSWORD, add_user, browser};
use crate::helpers::*;

async fn app_at(overrides: &[(&str, &str)]) -> (TestApp, FixedClock) {
    let clock = FixedClock::new("2026-11-23T06:00:00Z".parse().unwrap());
    let app = spawn_app_with_clock(overrides, Arc::new(clock.clone())).await;
    (app, clock)
}

fn unix(clock: &FixedClock) -> u64 {
    use daytona::clock::Clock;
    clock.now().as_second() as u64
}

async fn api_login(app: &TestApp, email: &str, totp: Option<&str>) -> (u16, Value) {
    let mut body = json!({"email": email, "password": PASSWORD});
    if let Some(t) = totp {
        body["totp"] = json!(t);
    }
    let res = app
        .client
        .post(app.url("/v1/auth/login"))
        .json(&body)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn enrol_then_sign_in_with_a_code_or_a_recovery_code() {
    let (app, clock) = app_at(&[]).await;
    let (browser, csrf) = browser(&app, "admin").await;
    let res = browser
        .get(app.url("/admin/account/2fa"))
        .send()
        .await
        .unwrap();
    let body = res.text().await.unwrap();
    assert!(
        body.contains("<div class=\"qr\"><svg"),
        "QR code as inline SVG"
    );
    let page = scraper::Html::parse_document(&body);
    let secret = input_value(&page, "secret");

    // A wrong code keeps the form and the same secret.
    let res = browser
        .post(app.url("/admin/account/2fa"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("secret", secret.as_str()),
            ("code", "000000"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let code = code_at(&secret, unix(&clock)).unwrap();
    let res = browser
        .post(app.url("/admin/account/2fa"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("secret", secret.as_str()),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let page = scraper::Html::parse_document(&res.text().await.unwrap());
    let recovery = texts(&page, ".recovery-codes code");
    assert_eq!(recovery.len(), 10);

    let email: String = app
        .state
        .db
        .read(|c| -> anyhow::Result<String> {
            Ok(c.query_row(
                "SELECT email FROM users WHERE totp_secret IS NOT NULL",
                [],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap();

    let (status, body) = api_login(&app, &email, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("totp_required"))
    );
    // The enrolment code was already used in this time step: refused.
    let (status, body) = api_login(&app, &email, Some(&code)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("invalid_totp"))
    );
    clock.advance(SignedDuration::from_secs(30));
    let fresh = code_at(&secret, unix(&clock)).unwrap();
    assert_eq!(api_login(&app, &email, Some(&fresh)).await.0, 200);
    assert_eq!(
        api_login(&app, &email, Some(&fresh)).await.0,
        401,
        "a code works once"
    );
    assert_eq!(api_login(&app, &email, Some(&recovery[0])).await.0, 200);
    assert_eq!(
        api_login(&app, &email, Some(&recovery[0])).await.0,
        401,
        "a recovery code works once"
    );

    // The HTML form takes the code too.
    let other = client();
    let html = get_page(&other, app.url("/admin/login")).await;
    let login_csrf = input_value(&html, "csrf");
    let form = |totp: &str| {
        other
            .post(app.url("/admin/login"))
            .form(&[
                ("csrf", login_csrf.as_str()),
                ("email", email.as_str()),
                ("password", PASSWORD),
                ("totp", totp),
            ])
            .send()
    };
    assert_eq!(form("").await.unwrap().status(), 401);
    clock.advance(SignedDuration::from_secs(30));
    let code = code_at(&secret, unix(&clock)).unwrap();
    assert_eq!(form(&code).await.unwrap().status(), 303);
}

#[tokio::test]
async fn require_totp_sends_everyone_to_enrolment_first() {
    let (app, _clock) = app_at(&[("DAYTONA_SECURITY__REQUIRE_TOTP", "true")]).await;
    let (browser, _) = browser(&app, "manager").await;
    for path in ["/admin", "/admin/bookings", "/admin/today"] {
        let res = browser.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.headers()["location"], "/admin/account/2fa", "{path}");
    }
    assert_eq!(
        browser
            .get(app.url("/admin/account/2fa"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    add_user(&app, "api@daytona.mw", "admin").await;
    let (status, body) = api_login(&app, "api@daytona.mw", None).await;
    assert_eq!(status, 200);
    let token = body["token"].as_str().unwrap();
    let res = app
        .client
        .get(app.url("/v1/admin/bookings"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "totp_enrolment_required"
    );
}

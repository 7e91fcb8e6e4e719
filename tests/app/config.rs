//! Config reaches the running app: file and environment both apply.

use crate::helpers::*;

#[tokio::test]
async fn environment_overrides_reach_the_running_app() {
    let app = spawn_app_with(&[
        ("DAYTONA_BOOKING__CAPACITY_PER_SLOT", "7"),
        (
            "DAYTONA_BUSINESS__STAFF_EMAILS",
            "a@daytona.mw,b@daytona.mw",
        ),
    ])
    .await;
    assert_eq!(app.state.config.booking.capacity_per_slot.0, 7);
    assert_eq!(app.state.config.business.staff_emails.len(), 2);
    // The about page states the bay count from the config.
    let (_, html) = app.page("/about").await;
    assert!(
        texts(&html, ".prose p")
            .iter()
            .any(|p| p.contains("7 service bays"))
    );
}

#[test]
fn a_file_overrides_defaults_and_the_environment_overrides_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("daytona.toml");
    std::fs::write(
        &file,
        "[business]\nname = \"From File\"\nphone = \"+265 1 111 111\"\n[security]\nrequire_totp = true\n",
    )
    .unwrap();
    let config = daytona::config::Config::load(
        Some(&file),
        vec![("DAYTONA_BUSINESS__NAME".to_owned(), "From Env".to_owned())],
    )
    .unwrap();
    assert_eq!(config.business.name, "From Env");
    assert_eq!(config.business.phone, "+265 1 111 111");
    assert!(config.security.require_totp);
    // Untouched keys keep their defaults.
    assert_eq!(config.booking.slot_minutes.0, 60);
}

#[test]
fn the_example_file_is_the_default_config() {
    let example = include_str!("../../config.example.toml");
    let parsed: toml::Table = toml::from_str(example).unwrap();
    let from_file = daytona::config::Config::load(None, Vec::new()).unwrap();
    assert_eq!(from_file, daytona::config::Config::defaults());
    // Every section of SPEC §3 is present.
    for section in [
        "server",
        "storage",
        "business",
        "booking",
        "email",
        "sms",
        "whatsapp",
        "reminders",
        "backup",
        "retention",
        "security",
    ] {
        assert!(parsed.contains_key(section), "[{section}] missing");
    }
}

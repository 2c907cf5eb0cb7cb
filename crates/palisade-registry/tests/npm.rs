//! The npm registry client against a live registry double on 127.0.0.1.

mod common;

use common::{Kind, Server, npm_client, quick_settings, write};
use palisade_registry::{CargoSources, Client, FetchErrorKind, NpmConfig};

#[tokio::test]
async fn abbreviated_packuments_are_asked_with_npms_accept() {
    let npm = Server::start(Kind::Npm).await;
    let client = npm_client(&npm.url);
    let packument = client.npm_packument("left-pad").await.unwrap();
    assert_eq!(packument.name, "left-pad");
    assert_eq!(packument.latest(), Some("1.3.0"));
    assert_eq!(
        packument.modified.as_deref(),
        Some("2022-06-19T17:02:12.345Z")
    );
    let versions: Vec<&str> = packument
        .versions
        .iter()
        .map(|v| v.version.as_str())
        .collect();
    assert_eq!(versions, ["1.0.0", "1.1.0", "1.2.0", "1.3.0"]);
    let latest = packument.version("1.3.0").unwrap();
    assert_eq!(
        latest.deprecated.as_deref(),
        Some("use String.prototype.padStart()")
    );
    assert_eq!(
        packument.version("1.2.0").unwrap().node_engine.as_deref(),
        Some(">=0.10")
    );

    let seen = npm.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/left-pad");
    let accept = seen[0].accept.as_deref().unwrap();
    assert!(
        accept.starts_with("application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8"),
        "{accept}"
    );
    assert_eq!(seen[0].authorization, None);
}

#[tokio::test]
async fn full_packuments_give_repository_and_homepage() {
    let npm = Server::start(Kind::Npm).await;
    let client = npm_client(&npm.url);
    let meta = client.npm_metadata("left-pad").await.unwrap();
    assert_eq!(
        meta.repository.as_deref(),
        Some("https://github.com/stevemao/left-pad")
    );
    assert_eq!(
        meta.homepage.as_deref(),
        Some("https://github.com/stevemao/left-pad#readme")
    );
    let meta = client.npm_metadata("@acme/widget").await.unwrap();
    assert_eq!(
        meta.repository.as_deref(),
        Some("https://github.com/acme/widget")
    );
    assert_eq!(
        meta.homepage.as_deref(),
        Some("https://widget.acme.example")
    );
    for seen in npm.seen() {
        assert_eq!(seen.accept.as_deref(), Some("application/json"), "{seen:?}");
    }
}

/// A scoped registry from the project's `.npmrc`, its token from the environment through
/// `${NPM_TOKEN}`, the default registry from the user's `~/.npmrc`: the token goes to the
/// scoped registry's host only.
#[tokio::test]
async fn npmrc_scopes_and_tokens_reach_only_their_host() {
    let public = Server::start(Kind::Npm).await;
    let private = Server::start(Kind::Npm).await;
    let dir = tempfile::tempdir().unwrap();
    let (project, home) = (dir.path().join("project"), dir.path().join("home"));
    write(
        &home.join(".npmrc"),
        &format!(
            "# user config\nregistry={}\n//127.0.0.1:{}/:_authToken=user-token-for-private\n",
            public.url, private.port
        ),
    );
    write(
        &project.join(".npmrc"),
        &format!(
            "; project config\n@acme:registry=http://127.0.0.1:{}/\n\
             //127.0.0.1:{}/:_authToken=${{NPM_TOKEN}}\n",
            private.port, private.port
        ),
    );
    let env = |name: &str| (name == "NPM_TOKEN").then(|| "s3cret-from-env".to_owned());
    let npm = NpmConfig::load(&project, Some(&home), env).unwrap();
    assert!(!format!("{npm:?}").contains("s3cret"));
    let client = Client::new(quick_settings(), npm, CargoSources::default()).unwrap();

    let widget = client.npm_packument("@acme/widget").await.unwrap();
    assert_eq!(widget.name, "@acme/widget");
    assert_eq!(
        widget.dist_tags.get("next").map(String::as_str),
        Some("2.0.0-beta.1")
    );
    assert!(widget.version("2.0.0-beta.1").unwrap().has_install_script);
    client.npm_packument("left-pad").await.unwrap();

    let private_seen = private.seen();
    assert_eq!(private_seen.len(), 1);
    assert_eq!(private_seen[0].path, "/@acme%2fwidget");
    assert_eq!(
        private_seen[0].authorization.as_deref(),
        Some("Bearer s3cret-from-env"),
        "the project's token overrides the user's"
    );
    let public_seen = public.seen();
    assert_eq!(public_seen.len(), 1);
    assert_eq!(public_seen[0].path, "/left-pad");
    assert_eq!(public_seen[0].authorization, None);
}

#[tokio::test]
async fn npm_config_registry_overrides_the_files() {
    let wanted = Server::start(Kind::Npm).await;
    let project = tempfile::tempdir().unwrap();
    write(
        &project.path().join(".npmrc"),
        "registry=http://127.0.0.1:9/never-asked/\n",
    );
    let url = wanted.url.clone();
    let env = move |name: &str| (name == "npm_config_registry").then(|| url.clone());
    let npm = NpmConfig::load(project.path(), None, env).unwrap();
    assert_eq!(npm.registry().as_str(), wanted.url);
    let client = Client::new(quick_settings(), npm, CargoSources::default()).unwrap();
    client.npm_packument("left-pad").await.unwrap();
    assert_eq!(wanted.requests_for("/left-pad"), 1);
}

#[tokio::test]
async fn missing_packages_are_not_found_at_once() {
    let npm = Server::start(Kind::Npm).await;
    let client = npm_client(&npm.url);
    let error = client.npm_packument("no-such-package").await.unwrap_err();
    assert!(error.is_not_found() && !error.is_registry_down(), "{error}");
    assert_eq!(
        npm.requests_for("/no-such-package"),
        1,
        "404 is not retried"
    );
    let text = error.to_string();
    assert!(
        text.contains(&format!("{}no-such-package", npm.url)),
        "{text}"
    );
}

#[tokio::test]
async fn server_errors_are_retried_until_the_registry_answers() {
    let npm = Server::start(Kind::Npm).await;
    npm.fail("/left-pad", 500, 2, None);
    let client = npm_client(&npm.url);
    let packument = client.npm_packument("left-pad").await.unwrap();
    assert_eq!(packument.latest(), Some("1.3.0"));
    assert_eq!(npm.requests_for("/left-pad"), 3);
}

#[tokio::test]
async fn denied_and_malformed_answers_are_errors_not_retries() {
    let npm = Server::start(Kind::Npm).await;
    npm.fail("/@acme%2fwidget", 401, 5, None);
    let client = npm_client(&npm.url);
    let error = client.npm_packument("@acme/widget").await.unwrap_err();
    assert!(
        matches!(
            &error,
            palisade_registry::Error::Fetch {
                kind: FetchErrorKind::Denied { status: 401 },
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(npm.requests_for("/@acme%2fwidget"), 1);

    let error = client.npm_packument("broken-json").await.unwrap_err();
    assert!(
        matches!(
            &error,
            palisade_registry::Error::Fetch {
                kind: FetchErrorKind::Malformed(_),
                ..
            }
        ),
        "{error}"
    );

    let error = client.npm_packument("../etc/passwd").await.unwrap_err();
    assert!(
        matches!(error, palisade_registry::Error::InvalidName { .. }),
        "{error}"
    );
    assert_eq!(
        npm.seen().len(),
        2,
        "an invalid name never reaches the registry"
    );
}

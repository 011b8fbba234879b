//! `#[lifespan]` end to end: the shapes it accepts and the runtime's guarantees through it.

use std::sync::{Arc, Mutex};

use lifespan::{ErrorKind, Lifespan, Origin, Scope, lifespan, yield_app};

type Journal = Arc<Mutex<Vec<String>>>;

fn log(journal: &Journal, entry: impl Into<String>) {
    journal.lock().unwrap().push(entry.into());
}

#[derive(Debug, PartialEq)]
enum DbError {
    Refused,
    Io(String),
}

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for DbError {}

impl From<std::io::Error> for DbError {
    fn from(error: std::io::Error) -> Self {
        DbError::Io(error.to_string())
    }
}

fn io_ok() -> std::io::Result<u32> {
    Ok(7)
}

/// A fallible lifespan with a custom error: `?` converts in both halves.
#[lifespan(startup_timeout = "10s", shutdown_timeout = "500ms")]
async fn database(journal: Journal, refuse: bool) -> Result<u32, DbError> {
    let connections = io_ok()?;
    if refuse {
        return Err(DbError::Refused);
    }
    log(&journal, "start database");
    yield_app!(connections);
    io_ok()?;
    log(&journal, "stop database");
    Ok(())
}

/// An anyhow-style alias: the error is read through the alias.
#[lifespan(name = "http-client")]
async fn client(journal: Journal) -> std::io::Result<&'static str> {
    io_ok()?;
    log(&journal, "start http-client");
    yield_app!("client");
    log(&journal, "stop http-client");
    Ok(())
}

/// Infallible, yielding `()`, with the yield as the tail.
#[lifespan]
async fn marker(journal: Journal) {
    log(&journal, "start marker");
    yield_app!()
}

/// Infallible, yielding a value; nests another lifespan.
#[lifespan]
async fn app(journal: Journal) -> (u32, &'static str) {
    let db = database(journal.clone(), false).enter().await.unwrap();
    let http = client(journal.clone()).enter().await.unwrap();
    yield_app!((db, http));
    log(&journal, "stop app");
}

struct Service {
    prefix: &'static str,
}

impl Service {
    /// `&self`, generics, `impl Trait` and a where clause.
    #[lifespan]
    async fn labelled<T>(&self, label: impl Into<String>, extra: T) -> String
    where
        T: std::fmt::Display + Send + 'static,
    {
        let text = format!("{}-{}-{extra}", self.prefix, label.into());
        yield_app!(text);
    }
}

#[tokio::test]
async fn nested_lifespans_start_in_order_and_stop_in_reverse() {
    let journal = Journal::default();
    let scope = Scope::new();
    assert_eq!(
        scope.enter(app(journal.clone())).await.unwrap(),
        (7, "client")
    );
    scope.enter(marker(journal.clone())).await.unwrap();
    scope.shutdown().await.unwrap();
    assert_eq!(
        *journal.lock().unwrap(),
        [
            "start database",
            "start http-client",
            "start marker",
            "stop app",
            "stop http-client",
            "stop database",
        ]
    );
}

#[tokio::test]
async fn return_err_fails_startup_with_the_users_error() {
    let journal = Journal::default();
    let error = database(journal.clone(), true).start().await.unwrap_err();
    assert_eq!(
        (error.name(), error.origin(), error.kind()),
        ("database", Origin::Startup, ErrorKind::Failed)
    );
    assert_eq!(error.downcast_ref::<DbError>(), Some(&DbError::Refused));
    assert!(journal.lock().unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn attribute_timeouts_apply_and_methods_override_them() {
    #[lifespan(startup_timeout = "2s")]
    async fn stuck() {
        std::future::pending::<()>().await;
        yield_app!();
    }
    let error = stuck().start().await.unwrap_err();
    assert_eq!(error.timeout(), Some(std::time::Duration::from_secs(2)));
    let error = stuck()
        .startup_timeout(std::time::Duration::from_millis(250))
        .start()
        .await
        .unwrap_err();
    assert_eq!(error.timeout(), Some(std::time::Duration::from_millis(250)));
}

#[tokio::test]
async fn names_default_to_the_fn_and_follow_the_attribute() {
    let journal = Journal::default();
    let running = client(journal.clone()).start().await.unwrap();
    assert_eq!(running.name(), "http-client");
    running.stop().await.unwrap();
    let running = marker(journal).start().await.unwrap();
    assert_eq!(running.name(), "marker");
    running.stop().await.unwrap();
}

#[tokio::test]
async fn methods_with_self_generics_and_impl_trait_arguments() {
    let service = Service { prefix: "svc" };
    let running = service.labelled("a", 1).start().await.unwrap();
    assert_eq!(*running, "svc-a-1");
    running.stop().await.unwrap();
}

#[tokio::test]
async fn a_panicking_shutdown_half_is_caught_and_named() {
    #[lifespan]
    async fn fragile() -> Result<(), std::io::Error> {
        yield_app!(());
        panic!("socket already closed");
    }
    let error = fragile().start().await.unwrap().stop().await.unwrap_err();
    assert_eq!(error.panic_message(), Some("socket already closed"));
}

/// `restart = ".."`: the lifespan is supervised, made again from clones of its
/// arguments for each instance, and handed out as a `Follow` of its value.
mod restart {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    use lifespan::{Follow, Restart, Scope, lifespan, yield_app};

    #[lifespan(restart = "on_failure")]
    async fn consumer(mut topic: String, opened: Arc<AtomicU32>) -> Result<String, std::io::Error> {
        let number = opened.fetch_add(1, Ordering::SeqCst) + 1;
        topic.push_str(&format!("#{number}"));
        if number == 1 {
            lifespan::spawn("poll", async { Err::<(), _>("broker gone") });
        }
        yield_app!(topic);
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn a_restarting_lifespan_is_made_again_from_its_arguments_and_followed() {
        let scope = Scope::new();
        let opened = Arc::new(AtomicU32::new(0));
        let topic: Follow<String> = scope
            .enter(consumer("orders".to_owned(), opened.clone()))
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        // Each instance got its own copy of `topic`: the second is not `orders#1#2`.
        assert_eq!(topic.get().as_deref(), Some("orders#2"));
        assert_eq!(opened.load(Ordering::SeqCst), 2);
        scope.shutdown().await.unwrap();
    }

    /// `restart = <expression>`: a whole policy, evaluated when the fn is called, which
    /// may read the fn's arguments.
    #[lifespan(restart = Restart::always().delay(backoff).limit(1, Duration::from_secs(60)))]
    async fn flaky(backoff: Duration, opened: Arc<AtomicU32>) -> Result<(), std::io::Error> {
        opened.fetch_add(1, Ordering::SeqCst);
        lifespan::spawn("poll", async { Err::<(), _>("broker gone") });
        yield_app!(());
        Ok(())
    }

    /// A policy handed in whole, as an argument the expression moves: it reads a
    /// clone, as each instance does.
    #[lifespan(restart = policy)]
    async fn configured(policy: Restart, opened: Arc<AtomicU32>) -> Result<(), std::io::Error> {
        opened.fetch_add(1, Ordering::SeqCst);
        lifespan::spawn("poll", async { Err::<(), _>("broker gone") });
        yield_app!(());
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn a_policy_may_be_an_argument_moved_by_the_expression() {
        let scope = Scope::new();
        let opened = Arc::new(AtomicU32::new(0));
        let policy = Restart::on_failure()
            .delay(Duration::from_secs(1))
            .limit(2, Duration::from_secs(60));
        scope
            .enter(configured(policy, opened.clone()))
            .await
            .unwrap();
        let error = scope.shutdown_requested();
        tokio::time::timeout(Duration::from_secs(60), error)
            .await
            .expect("gave up past its limit of 2");
        assert_eq!(opened.load(Ordering::SeqCst), 3);
        let error = scope.shutdown().await.unwrap_err();
        assert_eq!(error.gave_up().map(|gave_up| gave_up.restarts()), Some(2));
    }

    #[tokio::test(start_paused = true)]
    async fn an_expression_gives_the_whole_policy_and_may_read_the_arguments() {
        let scope = Scope::new();
        let opened = Arc::new(AtomicU32::new(0));
        scope
            .enter(flaky(Duration::from_secs(5), opened.clone()))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(4_999)).await;
        assert_eq!(
            opened.load(Ordering::SeqCst),
            1,
            "the delay is the argument's"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
        assert_eq!(opened.load(Ordering::SeqCst), 2);
        // The second instance's failure is past the limit of one restart.
        let error = scope.shutdown().await.unwrap_err();
        let gave_up = error.gave_up().expect("gave up past the limit");
        assert_eq!(gave_up.restarts(), 1);
        assert_eq!(opened.load(Ordering::SeqCst), 2);
    }
}

/// A `ConfigError` passed through `anyhow` with a bare `?` is still found: the mark is a
/// link of the chain that anyhow's wrapper keeps.
#[tokio::test]
async fn a_config_error_is_found_through_a_bare_anyhow_question_mark() {
    #[lifespan::lifespan]
    async fn settings() -> anyhow::Result<u16> {
        let port: u16 = "eighty".parse().map_err(lifespan::ConfigError::new)?;
        lifespan::yield_app!(port);
        Ok(())
    }
    use lifespan::Lifespan;
    let error = settings().start().await.unwrap_err();
    assert!(error.is_config(), "{error:#?}");
    assert_eq!(
        error.to_string(),
        "lifespan `settings` failed during startup: invalid digit found in string"
    );
}

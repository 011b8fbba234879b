//! Many start/stop cycles of `lifespan::process`, through every way a cycle can end,
//! then a scan of `/proc`: no process this test started (grandchildren included) may
//! be left alive. `PROCESS_CYCLES=100` runs the long version.

use std::time::{Duration, Instant};

use lifespan::Scope;
use lifespan::process::Process;

/// Marks this run's processes on their command lines.
fn tag() -> String {
    format!("cycles-{}", std::process::id())
}

/// Live processes whose command line carries this run's tag.
fn tagged_alive() -> Vec<u32> {
    lifespan_service_tests::tagged_alive(&tag())
}

fn fake(flags: &[&str]) -> Process {
    Process::new("cycled", env!("CARGO_BIN_EXE_fake-service"))
        .args(flags)
        .args(["--tag", &tag()])
        .ready_on_line(r"listening on (?<address>\S+)")
        .ready_timeout(Duration::from_secs(5))
        .grace(Duration::from_millis(200))
}

#[lifespan::test]
async fn no_cycle_leaves_a_process_behind() {
    let cycles: usize = std::env::var("PROCESS_CYCLES")
        .ok()
        .and_then(|cycles| cycles.parse().ok())
        .unwrap_or(25);
    for cycle in 0..cycles {
        match cycle % 5 {
            // Started and stopped.
            0 => {
                let running = fake(&["--grandchild"]).lifespan().start().await.unwrap();
                running.stop().await.unwrap();
            }
            // Never ready: the startup timeout kills it.
            1 => {
                let error = fake(&["--grandchild", "--never-ready"])
                    .ready_timeout(Duration::from_millis(100))
                    .lifespan()
                    .start()
                    .await
                    .unwrap_err();
                assert!(error.to_string().contains("was not ready"), "{error}");
            }
            // The owning lifespan panics after starting it.
            2 => {
                let owner = lifespan::from_fn("owner", |yielder| async move {
                    fake(&["--grandchild"]).lifespan().enter().await?;
                    if cycle < usize::MAX {
                        panic!("the owner broke");
                    }
                    yielder.yield_app(()).await;
                    Ok::<(), lifespan::Error>(())
                });
                assert!(owner.start().await.is_err());
            }
            // It exits by itself while running: shutdown is requested, the stop fails.
            3 => {
                let scope = Scope::new();
                scope
                    .enter(fake(&["--grandchild", "--exit-after-ms", "20"]).lifespan())
                    .await
                    .unwrap();
                scope.shutdown_requested().await;
                assert!(scope.shutdown().await.is_err());
            }
            // It ignores SIGTERM: SIGKILL after the grace period.
            _ => {
                let running = fake(&["--grandchild", "--ignore-term"])
                    .lifespan()
                    .start()
                    .await
                    .unwrap();
                running.stop().await.unwrap();
            }
        }
    }
    // SIGKILL is delivered asynchronously; give the last ones a moment to go.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !tagged_alive().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        tagged_alive(),
        Vec::<u32>::new(),
        "left alive after {cycles} cycles"
    );
}

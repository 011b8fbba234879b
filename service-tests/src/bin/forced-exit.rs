//! A service that runs a `lifespan::process` child and then cannot finish its
//! teardown, for the force paths' tests: the watchdog must exit (130 when the 200 ms
//! `second_signal_timeout` of a hurried shutdown passes, 1 when the one-second shutdown
//! deadline passes) and take the child's whole process group with it.
//!
//! It runs `$FAKE_SERVICE --grandchild --tag $CHILD_TAG` as the part `child`, prints
//! `child PID` and then `ready`. In teardown, the part `hang`, entered after the child
//! and so stopped before it, prints `stopping hang` and blocks its thread for a minute.
//! The tag comes in the environment, so that only the child and the grandchild carry it
//! on their command lines.

#![forbid(unsafe_code)]

use std::time::Duration;

use lifespan::process::Process;
use lifespan::{lifespan, yield_app};

#[lifespan]
async fn hang() {
    yield_app!();
    println!("stopping hang");
    std::thread::sleep(Duration::from_secs(60));
}

#[lifespan::main(shutdown_timeout = "1s", second_signal_timeout = "200ms")]
async fn main() -> Result<(), lifespan::Error> {
    let program =
        std::env::var("FAKE_SERVICE").expect("FAKE_SERVICE names the fake-service binary");
    let tag = std::env::var("CHILD_TAG").expect("CHILD_TAG marks the child's processes");
    let child = Process::new("child", program)
        .args(["--grandchild", "--tag", &tag])
        .ready_on_line(r"listening on")
        .ready_timeout(Duration::from_secs(10))
        .lifespan()
        .enter()
        .await?;
    println!("child {}", child.pid());
    hang().enter().await?;
    println!("ready");
    yield_app!();
    Ok(())
}

//! What serving HTTP through `lifespan::axum::Server` costs against plain `axum::serve`,
//! on loopback, and what the task tracking behind each connection costs against
//! `tokio_util::task::TaskTracker::spawn` and `tokio::spawn`, all in one run so that the
//! ratios compare like with like (issue 14).
//!
//! ```text
//! cargo bench --bench http   # the numbers in BENCHMARKS.md
//! cargo test --bench http    # a smoke run: a few requests and tasks of each kind
//! cargo bench --bench http -- --spawn   # the spawn tables only
//! cargo bench --bench http -- --profile integration   # one server only, for `perf`
//! ```
//!
//! Both servers serve the same router (`GET /` answers "ok") on one multi-thread runtime
//! with 2 workers, both listening for the whole run. The load comes from a hand-written
//! HTTP/1.1 client whose connections are tasks of the same runtime: two threads on the
//! machine's two cores (a client thread of its own made three, and about doubled the
//! spread from round to round). Each round loads one server, then the other, in
//! alternating order; the tables give the median of the rounds, and the ratios are the
//! medians of each round's ratio (the two servers measured back to back), so that the
//! machine's drift cancels.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use lifespan::Scope;
use lifespan::axum::Server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio_util::task::TaskTracker;

/// How much to measure: `cargo bench` passes `--bench`; `cargo test` does not.
struct Plan {
    /// Kept-alive connections, each sending requests back to back.
    connections: usize,
    /// Requests per kept-alive connection in one round.
    requests: usize,
    /// Clients that each connect, send one request and close, over and over.
    openers: usize,
    /// New connections per client in one round.
    opened: usize,
    /// Rounds, each loading both servers once, after one warm-up round.
    rounds: usize,
    /// How many trivial tasks each spawn measurement spawns.
    tasks: &'static [usize],
    /// Timed runs of each way of spawning, in `BLOCKS` blocks that each begin with a
    /// warm-up.
    task_runs: usize,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let full = args.iter().any(|arg| arg == "--bench");
    // `--profile plain|integration [new]`: only that server, under 200,000 kept-alive
    // requests (or 20,000 new connections), for `perf`.
    let profile = args.iter().position(|arg| arg == "--profile").map(|at| {
        (
            args.get(at + 1).is_some_and(|which| which == "integration"),
            args.get(at + 2).is_some_and(|how| how == "new"),
        )
    });
    let plan = if full {
        Plan {
            connections: 8,
            requests: 2_500,
            openers: 8,
            opened: 250,
            rounds: 31,
            tasks: &[10_000, 100_000],
            task_runs: 15,
        }
    } else {
        Plan {
            connections: 2,
            requests: 10,
            openers: 2,
            opened: 2,
            rounds: 1,
            tasks: &[100],
            task_runs: 1,
        }
    };
    let server_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    if args.iter().any(|arg| arg == "--spawn") {
        spawn_tables(&server_runtime, &plan);
        return;
    }
    let load = |client: Pin<Box<dyn Future<Output = Load> + Send>>| {
        server_runtime
            .block_on(server_runtime.spawn(client))
            .unwrap()
    };

    let plain_listener = server_runtime
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let plain = plain_listener.local_addr().unwrap();
    let plain_server = server_runtime.spawn(axum::serve(plain_listener, router()).into_future());
    let scope = Scope::new();
    let serving = server_runtime
        .block_on(scope.enter(Server::new(([127, 0, 0, 1], 0).into(), router()).lifespan()))
        .unwrap();
    let integration = serving.local_addr();

    let servers = [
        ("plain `axum::serve`", plain),
        ("`lifespan::axum::Server`", integration),
    ];
    if let Some((integration, new)) = profile {
        let address = servers[usize::from(integration)].1;
        let load = if new {
            load(Box::pin(new_connections(address, 8, 2_500)))
        } else {
            load(Box::pin(kept_alive(address, 8, 25_000)))
        };
        let measured = load.measured();
        println!(
            "{}: {:.0}/s, p50 {}, p99 {}",
            servers[usize::from(integration)].0,
            measured.rate,
            micros(measured.p50.as_secs_f64()),
            micros(measured.p99.as_secs_f64())
        );
        return;
    }
    let kept = rounds(&plan, servers, |address| {
        load(Box::pin(kept_alive(
            address,
            plan.connections,
            plan.requests,
        )))
    });
    let opened = rounds(&plan, servers, |address| {
        load(Box::pin(new_connections(
            address,
            plan.openers,
            plan.opened,
        )))
    });

    println!(
        "## `GET /` on {} kept-alive HTTP/1.1 connections, {} requests each per round \
         (median of {} rounds)\n",
        plan.connections, plan.requests, plan.rounds
    );
    kept.print("requests/s");
    println!(
        "\n## new connections: {} clients that each connect, send `GET /` with \
         `connection: close` and read the answer, {} times per round (median of {} rounds)\n",
        plan.openers, plan.opened, plan.rounds
    );
    opened.print("connections/s");

    server_runtime.block_on(scope.shutdown()).unwrap();
    plain_server.abort();

    println!();
    spawn_tables(&server_runtime, &plan);
}

/// The spawn table on the server's multi-thread runtime, then on a current-thread one.
fn spawn_tables(multi_thread: &Runtime, plan: &Plan) {
    spawn_table("multi-thread runtime, 2 workers", multi_thread, plan, true);
    let current_thread = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    spawn_table("current-thread runtime", &current_thread, plan, false);
}

fn router() -> Router {
    Router::new().route("/", get(|| async { "ok" }))
}

/// One load of one server: how long it took, and each exchange's time.
struct Load {
    done: usize,
    wall: Duration,
    latencies: Vec<Duration>,
}

/// One round's numbers for one server.
#[derive(Clone, Copy)]
struct Measured {
    rate: f64,
    p50: Duration,
    p99: Duration,
}

impl Load {
    fn measured(mut self) -> Measured {
        self.latencies.sort_unstable();
        let at = |share: usize| {
            self.latencies[(self.latencies.len() * share / 100).min(self.latencies.len() - 1)]
        };
        Measured {
            rate: self.done as f64 / self.wall.as_secs_f64(),
            p50: at(50),
            p99: at(99),
        }
    }
}

/// Every round's numbers for both servers: `[plain, integration]`.
struct Rounds {
    names: [&'static str; 2],
    each: Vec<[Measured; 2]>,
}

/// One warm-up round, then `plan.rounds` rounds that each load both servers with
/// `load`, the first server first in even rounds and last in odd ones.
fn rounds(
    plan: &Plan,
    servers: [(&'static str, SocketAddr); 2],
    mut load: impl FnMut(SocketAddr) -> Load,
) -> Rounds {
    for (_, address) in servers {
        load(address);
    }
    let each = (0..plan.rounds)
        .map(|round| {
            let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
            let mut measured = [None, None];
            for which in order {
                measured[which] = Some(load(servers[which].1).measured());
            }
            measured.map(Option::unwrap)
        })
        .collect();
    Rounds {
        names: servers.map(|(name, _)| name),
        each,
    }
}

impl Rounds {
    fn print(&self, rate: &str) {
        let spread = |values: &[f64]| {
            let low = values.iter().copied().fold(f64::INFINITY, f64::min);
            let high = values.iter().copied().fold(0.0, f64::max);
            format!("{low:.3} to {high:.3}")
        };
        println!("| server | {rate} | p50 | p99 |");
        println!("| --- | ---: | ---: | ---: |");
        for (which, name) in self.names.iter().enumerate() {
            let rate = median_of(self.each.iter().map(|r| r[which].rate).collect());
            let p50 = median_of(
                self.each
                    .iter()
                    .map(|r| r[which].p50.as_secs_f64())
                    .collect(),
            );
            let p99 = median_of(
                self.each
                    .iter()
                    .map(|r| r[which].p99.as_secs_f64())
                    .collect(),
            );
            println!("| {name} | {rate:.0} | {} | {} |", micros(p50), micros(p99));
        }
        let ratios = |of: fn(&Measured) -> f64| -> Vec<f64> {
            self.each.iter().map(|r| of(&r[1]) / of(&r[0])).collect()
        };
        let rate = ratios(|m| m.rate);
        let p50 = ratios(|m| m.p50.as_secs_f64());
        let p99 = ratios(|m| m.p99.as_secs_f64());
        println!(
            "| integration / plain, median of the rounds | {:.3} | {:.3} | {:.3} |",
            median_of(rate.clone()),
            median_of(p50.clone()),
            median_of(p99.clone())
        );
        println!(
            "| integration / plain, lowest to highest round | {} | {} | {} |",
            spread(&rate),
            spread(&p50),
            spread(&p99)
        );
    }
}

fn micros(seconds: f64) -> String {
    format!("{:.1} µs", seconds * 1e6)
}

const KEEP_ALIVE: &[u8] = b"GET / HTTP/1.1\r\nhost: bench\r\n\r\n";
const CLOSE: &[u8] = b"GET / HTTP/1.1\r\nhost: bench\r\nconnection: close\r\n\r\n";

async fn connect(address: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(address).await.unwrap();
    stream.set_nodelay(true).unwrap();
    stream
}

/// Sends `request` and reads the whole answer, which must be a 200 with body "ok".
async fn exchange(stream: &mut TcpStream, request: &[u8], buffer: &mut Vec<u8>) {
    stream.write_all(request).await.unwrap();
    buffer.clear();
    let mut chunk = [0; 1024];
    loop {
        let read = stream.read(&mut chunk).await.unwrap();
        assert!(read > 0, "the server closed before answering");
        buffer.extend_from_slice(&chunk[..read]);
        let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = std::str::from_utf8(&buffer[..end]).unwrap();
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        let length: usize = head
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().unwrap())
            })
            .expect("a content-length");
        let body = end + 4;
        if buffer.len() >= body + length {
            assert_eq!(&buffer[body..body + length], b"ok");
            return;
        }
    }
}

/// `connections` kept-alive connections, opened first, then each sending `requests`
/// requests back to back; timed from the first request to the last answer.
async fn kept_alive(address: SocketAddr, connections: usize, requests: usize) -> Load {
    let mut streams = Vec::with_capacity(connections);
    for _ in 0..connections {
        streams.push(connect(address).await);
    }
    let began = Instant::now();
    let clients: Vec<_> = streams
        .into_iter()
        .map(|mut stream| {
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(requests);
                let mut buffer = Vec::with_capacity(1024);
                for _ in 0..requests {
                    let sent = Instant::now();
                    exchange(&mut stream, KEEP_ALIVE, &mut buffer).await;
                    latencies.push(sent.elapsed());
                }
                latencies
            })
        })
        .collect();
    collect(clients, began, connections * requests).await
}

/// `clients` clients, each opening `each` connections one after another: connect, one
/// request with `connection: close`, its answer, close. Each latency is the whole of it.
async fn new_connections(address: SocketAddr, clients: usize, each: usize) -> Load {
    let began = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|_| {
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(each);
                let mut buffer = Vec::with_capacity(1024);
                for _ in 0..each {
                    let sent = Instant::now();
                    let mut stream = connect(address).await;
                    exchange(&mut stream, CLOSE, &mut buffer).await;
                    drop(stream);
                    latencies.push(sent.elapsed());
                }
                latencies
            })
        })
        .collect();
    collect(handles, began, clients * each).await
}

async fn collect(
    clients: Vec<tokio::task::JoinHandle<Vec<Duration>>>,
    began: Instant,
    done: usize,
) -> Load {
    let mut latencies = Vec::with_capacity(done);
    for client in clients {
        latencies.extend(client.await.unwrap());
    }
    Load {
        done,
        wall: began.elapsed(),
        latencies,
    }
}

/// Per-task cost of spawning N trivial tasks and waiting for all of them, each way.
/// On the multi-thread runtime the spawning runs in a task, as the server's accept loop
/// does, so that tasks go to a worker's own queue. The table gives each way's median,
/// and the ratios are the medians of each run's ratio.
fn spawn_table(flavor: &str, runtime: &Runtime, plan: &Plan, in_task: bool) {
    println!(
        "## spawn and finish N trivial tasks, per task ({flavor}, median of {} runs)\n",
        plan.task_runs.div_ceil(BLOCKS) * BLOCKS
    );
    println!(
        "| N | `tokio::spawn` | `TaskTracker::spawn` | `Scope::spawn_isolated` | `Scope::spawn` | \
         per connection: `spawn_isolated(tracker.track_future(..))` | isolated / tracker | \
         spawn / tracker | per connection / tracker | tracker / `tokio::spawn` |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let ways: [fn(usize) -> Timed; 5] = [
        |n| Box::pin(with_tokio_spawn(n)),
        |n| Box::pin(with_tracker(n)),
        |n| Box::pin(with_scope(n, Way::Isolated)),
        |n| Box::pin(with_scope(n, Way::Spawn)),
        |n| Box::pin(with_scope(n, Way::Connection)),
    ];
    for &n in plan.tasks {
        let time = |work: fn(usize) -> Timed| {
            let began = Instant::now();
            if in_task {
                runtime.block_on(runtime.spawn(work(n))).unwrap();
            } else {
                runtime.block_on(work(n));
            }
            began.elapsed().as_secs_f64()
        };
        // Each way is timed in a block of runs after a warm-up of its own, so that it
        // finds the allocator as the way itself left it (a way timed right after
        // another measured that one's heap instead: 1.6x off on the current-thread
        // runtime at N = 100,000). Blocks of
        // the ways alternate, in an order that rotates, so that the machine's drift
        // reaches every way alike; the i-th run of each block makes one run of the table.
        let per_block = plan.task_runs.div_ceil(BLOCKS);
        let mut runs = vec![[0.0; 5]; BLOCKS * per_block];
        for block in 0..BLOCKS {
            for at in 0..ways.len() {
                let which = (at + block) % ways.len();
                time(ways[which]);
                for run in 0..per_block {
                    runs[block * per_block + run][which] = time(ways[which]);
                }
            }
        }
        let each = |which: usize| median_of(runs.iter().map(|run| run[which]).collect());
        let ratio =
            |a: usize, b: usize| median_of(runs.iter().map(|run| run[a] / run[b]).collect());
        println!(
            "| {n} | {} | {} | {} | {} | {} | {:.2}x | {:.2}x | {:.2}x | {:.2}x |",
            per_task(each(0), n),
            per_task(each(1), n),
            per_task(each(2), n),
            per_task(each(3), n),
            per_task(each(4), n),
            ratio(2, 1),
            ratio(3, 1),
            ratio(4, 1),
            ratio(1, 0),
        );
    }
    println!();
}

/// How many blocks of runs each way of the spawn table is timed in.
const BLOCKS: usize = 3;

type Timed = Pin<Box<dyn Future<Output = ()> + Send>>;

fn median_of(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn per_task(seconds: f64, n: usize) -> String {
    format!("{:.0} ns", seconds * 1e9 / n as f64)
}

/// `tokio::spawn`, every handle awaited: what nothing tracks.
async fn with_tokio_spawn(n: usize) {
    let handles: Vec<_> = (0..n).map(|_| tokio::spawn(async {})).collect();
    for handle in handles {
        handle.await.unwrap();
    }
}

/// `TaskTracker::spawn`, handles dropped, then `close` and `wait`.
async fn with_tracker(n: usize) {
    let tracker = TaskTracker::new();
    for _ in 0..n {
        drop(tracker.spawn(async {}));
    }
    tracker.close();
    tracker.wait().await;
}

#[derive(Clone, Copy)]
enum Way {
    /// `Scope::spawn_isolated`
    Isolated,
    /// `Scope::spawn`
    Spawn,
    /// What the server does per accepted connection: the connection's future tracked by
    /// the server's own `TaskTracker` (which its drain waits on), spawned with
    /// `spawn_isolated` in its scope.
    Connection,
}

/// Spawns through a fresh scope, handles dropped, then the scope's teardown, which
/// waits for every task.
async fn with_scope(n: usize, way: Way) {
    let scope = Scope::new();
    let tracker = TaskTracker::new();
    for _ in 0..n {
        drop(match way {
            Way::Isolated => scope.spawn_isolated("task", async {}),
            Way::Spawn => scope.spawn("task", async {}),
            Way::Connection => scope.spawn_isolated("connection", tracker.track_future(async {})),
        });
    }
    scope.shutdown().await.unwrap();
    tracker.close();
    tracker.wait().await;
}

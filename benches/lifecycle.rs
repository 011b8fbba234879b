//! What `lifespan` costs per part, measured against the same work written by hand and
//! against tokio-graceful-shutdown, in one run so that the ratios compare like with like.
//!
//! ```text
//! cargo bench --bench lifecycle            # the numbers in BENCHMARKS.md
//! cargo test --bench lifecycle             # a smoke run: one tiny iteration of each
//! cargo bench --bench lifecycle -- --stack # stack per nesting level only, release
//! cargo bench --bench lifecycle -- --timeline # a recorded timeline against none only
//! cargo bench --bench lifecycle -- --restart  # one restart beside start+stop only
//! cargo test --bench lifecycle -- --stack  # the same in the debug build
//! ```
//!
//! Each measurement is warmed up, then repeated; the median is reported. Memory is
//! counted by a global allocator that tracks live bytes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use lifespan::{Lifespan, Running, Scope, from_fn};
use tokio_graceful_shutdown::{SubsystemBuilder, SubsystemHandle, Toplevel};

/// The system allocator, counting the bytes currently allocated.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// A global allocator needs `unsafe impl`: this bench target, which is not published,
// is the one place with unsafe code; the crates forbid it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// How much to measure: `cargo bench` passes `--bench`; `cargo test` does not.
struct Plan {
    sizes: &'static [usize],
    runs: usize,
}

fn main() {
    // `--profile N [start]`: only `Scope::enter` (or `start`/`stop`) of N parts, repeated
    // until a million parts have started and stopped, for `perf` or callgrind.
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|arg| arg == "--profile") {
        let n = args
            .get(at + 1)
            .and_then(|n| n.parse().ok())
            .unwrap_or(10_000);
        let start = args.get(at + 2).is_some_and(|how| how == "start");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            for _ in 0..(1_000_000 / n).max(1) {
                if start {
                    with_start(n).await;
                } else {
                    with_scope(n).await;
                }
            }
        });
        return;
    }
    // `--fits HOW LEVELS`: nests LEVELS lifespans on a 2 MiB thread; the stack table
    // runs this binary again with it, and a stack overflow aborts only that run.
    if let Some(at) = args.iter().position(|arg| arg == "--fits") {
        let how = Nesting::parse(&args[at + 1]);
        let levels = args[at + 2].parse().unwrap();
        on_thread(SMALL_STACK, move || how.deepest_address(levels));
        return;
    }
    let build = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    if args.iter().any(|arg| arg == "--stack") {
        stack_table(build);
        return;
    }
    let full = args.iter().any(|arg| arg == "--bench");
    if args.iter().any(|arg| arg == "--timeline") {
        timeline_table(full);
        return;
    }
    if args.iter().any(|arg| arg == "--restart") {
        // The restart's cost beside the per-part figure, alone: 1,000 of each.
        let plan = Plan {
            sizes: if full { &[1_000] } else { &[10] },
            runs: if full { 11 } else { 1 },
        };
        for (flavor, runtime) in runtimes() {
            start_stop_table(flavor, &runtime, &plan);
            restart_table(flavor, &runtime, &plan);
        }
        return;
    }
    let plan = if full {
        Plan {
            sizes: &[1_000, 10_000, 100_000],
            runs: 11,
        }
    } else {
        Plan {
            sizes: &[10],
            runs: 1,
        }
    };
    let [(_, current_thread), multi_thread] = runtimes();
    for (flavor, runtime) in [
        ("current-thread runtime", &current_thread),
        (multi_thread.0, &multi_thread.1),
    ] {
        start_stop_table(flavor, runtime, &plan);
        restart_table(flavor, runtime, &plan);
    }
    let runtime = current_thread;
    machine_costs(if full { 5_000_000 } else { 10 });

    let n = *plan.sizes.last().unwrap();
    println!("\n## memory per running part (N = {n}, live bytes while all run)\n");
    println!("| how | bytes per part |");
    println!("| --- | ---: |");
    runtime.block_on(async {
        let bytes = live_bytes_per_part(n, |scope| async move {
            scope.enter(no_op()).await.unwrap();
        })
        .await;
        println!("| `Scope::enter` | {bytes} |");
        let mut kept: Vec<Running<()>> = Vec::with_capacity(n);
        let before = LIVE.load(Ordering::SeqCst);
        for _ in 0..n {
            kept.push(no_op().start().await.unwrap().erased());
        }
        let bytes = (LIVE.load(Ordering::SeqCst) - before) / n as isize;
        println!("| `start` (a `Running` kept in a `Vec`) | {bytes} |");
        while let Some(running) = kept.pop() {
            running.stop().await.unwrap();
        }
    });
    println!(
        "\nThe user's own future here is {} bytes; the numbers above include it.",
        user_future_size()
    );

    let (parts, startup) = if full {
        (20, Duration::from_millis(50))
    } else {
        (2, Duration::from_millis(1))
    };
    println!("\n## {parts} independent parts with {startup:?} startups each (wall time)\n");
    println!("| how | wall time |");
    println!("| --- | ---: |");
    let sequential = median(&runtime, plan.runs.min(5), || {
        sequential_enter(parts, startup)
    });
    let concurrent = median(&runtime, plan.runs.min(5), || {
        concurrent_enter(parts, startup)
    });
    println!("| sequential `enter().await` | {sequential:.1?} |");
    println!("| `try_join_all` of `enter()` | {concurrent:.1?} |");

    println!(
        "\n## {parts} independent parts with {startup:?} shutdown halves each (teardown wall time)\n"
    );
    println!("| how they were entered | teardown |");
    println!("| --- | ---: |");
    let serial = median_of(&runtime, plan.runs.min(5), || {
        teardown(parts, startup, false)
    });
    let together = median_of(&runtime, plan.runs.min(5), || {
        teardown(parts, startup, true)
    });
    println!("| one after another: stopped in exact reverse order | {serial:.1?} |");
    println!("| with `try_join_all`: startups overlapped, stopped together | {together:.1?} |");

    stack_table(build);
}

/// Per-part cost of starting and stopping N parts, each way, on `runtime`.
/// The two runtimes every table is measured on.
fn runtimes() -> [(&'static str, tokio::runtime::Runtime); 2] {
    let current_thread = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let multi_thread = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    [
        ("current-thread runtime", current_thread),
        ("multi-thread runtime, 2 workers", multi_thread),
    ]
}

fn start_stop_table(flavor: &str, runtime: &tokio::runtime::Runtime, plan: &Plan) {
    println!(
        "## start+stop of N no-op parts, per part ({flavor}, median of {} runs)\n",
        plan.runs
    );
    println!(
        "| N | hand-written | hand-written exit stack | lifespan `Scope::enter` | lifespan `start`/`stop` | tokio-graceful-shutdown | enter / hand | enter / exit stack | TGS / enter |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for &n in plan.sizes {
        let hand = median(runtime, plan.runs, || hand_written(n));
        let stack = median(runtime, plan.runs, || hand_written_exit_stack(n));
        let enter = median(runtime, plan.runs, || with_scope(n));
        let start = median(runtime, plan.runs, || with_start(n));
        let tgs = median(runtime, plan.runs, || with_tgs(n));
        let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
        println!(
            "| {n} | {} | {} | {} | {} | {} | {:.0}x | {:.1}x | {:.1}x |",
            per_part(hand, n),
            per_part(stack, n),
            per_part(enter, n),
            per_part(start, n),
            per_part(tgs, n),
            ratio(enter, hand),
            ratio(enter, stack),
            ratio(tgs, enter),
        );
    }
    println!();
}

/// One restart of a no-op part, in the same run as the start+stop table: what the
/// supervisor adds to the stop and start a restart is made of.
fn restart_table(flavor: &str, runtime: &tokio::runtime::Runtime, plan: &Plan) {
    let restarts = *plan.sizes.first().unwrap();
    println!(
        "## one restart of a no-op part ({flavor}, {restarts} restarts, median of {} runs)\n",
        plan.runs
    );
    println!(
        "| hand-written stop + start | lifespan `supervised` (a subtree) | lifespan `spawn_supervised` (a task) | tokio-graceful-shutdown nested subsystem | supervised / hand | TGS / spawn_supervised |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: |");
    let hand = median(runtime, plan.runs, || hand_restarts(restarts));
    let subtree = median(runtime, plan.runs, || supervised_restarts(restarts));
    let task = median(runtime, plan.runs, || task_restarts(restarts));
    let tgs = median(runtime, plan.runs, || tgs_restarts(restarts));
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    println!(
        "| {} | {} | {} | {} | {:.1}x | {:.1}x |\n",
        per_part(hand, restarts),
        per_part(subtree, restarts),
        per_part(task, restarts),
        per_part(tgs, restarts),
        ratio(subtree, hand),
        ratio(tgs, task),
    );
}

/// What a restart does without a supervisor: stop the instance, start another.
async fn hand_restarts(restarts: usize) {
    let mut running = no_op().start().await.unwrap();
    for _ in 0..restarts {
        running.stop().await.unwrap();
        running = no_op().start().await.unwrap();
    }
    running.stop().await.unwrap();
}

/// A supervised no-op part whose task fails at once, `restarts` times, with no delay.
async fn supervised_restarts(restarts: usize) {
    let scope = Scope::new();
    let (up, last_is_up) = tokio::sync::oneshot::channel();
    let up = std::sync::Mutex::new(Some(up));
    let started = AtomicUsize::new(0);
    let policy = lifespan::Restart::on_failure()
        .delay(Duration::ZERO)
        .unlimited();
    let part = lifespan::supervised(policy, move || {
        let last = started.fetch_add(1, Ordering::Relaxed) == restarts;
        let up = if last {
            up.lock().unwrap().take()
        } else {
            None
        };
        from_fn("part", move |yielder| async move {
            match up {
                Some(up) => drop(up.send(())),
                None => drop(lifespan::spawn("fails", async { Err::<(), _>("down") })),
            }
            yielder.yield_app(()).await;
        })
    });
    scope.enter(part).await.unwrap();
    last_is_up.await.unwrap();
    scope.shutdown().await.unwrap();
}

/// A supervised task that fails at once, `restarts` times, with no delay.
async fn task_restarts(restarts: usize) {
    let scope = Scope::new();
    let started = Arc::new(AtomicUsize::new(0));
    let counted = started.clone();
    let policy = lifespan::Restart::on_failure()
        .delay(Duration::ZERO)
        .unlimited();
    let task = scope.spawn_supervised("fails", policy, move || {
        let instance = counted.fetch_add(1, Ordering::Relaxed);
        async move {
            if instance < restarts {
                return Err("down");
            }
            Ok(())
        }
    });
    task.await.unwrap();
    scope.shutdown().await.unwrap();
}

/// tokio-graceful-shutdown's way to restart (its example 12): a subsystem that starts
/// a nested one, joins it, and starts it again when it failed.
async fn tgs_restarts(restarts: usize) {
    async fn fails(_: SubsystemHandle) -> Result<(), &'static str> {
        Err("down")
    }
    Toplevel::new(move |toplevel| async move {
        toplevel.start(SubsystemBuilder::new(
            "supervisor",
            move |subsystem: SubsystemHandle| async move {
                for _ in 0..restarts {
                    let nested =
                        subsystem.start(SubsystemBuilder::new("part", fails).on_failure(
                            tokio_graceful_shutdown::ErrorAction::CatchAndLocalShutdown,
                        ));
                    let _ = nested.join().await;
                }
                subsystem.request_shutdown();
                Ok::<(), Infallible>(())
            },
        ));
    })
    .handle_shutdown_requests(Duration::from_secs(600))
    .await
    .unwrap();
}

/// The lifespan every variant starts: nothing in either half.
fn no_op() -> impl Lifespan<Value = (), Error = Infallible> + Send + 'static {
    from_fn("part", |yielder| yielder.yield_app(()))
}

fn user_future_size() -> usize {
    fn size_of_body<F: FnOnce(lifespan::Yielder<()>) -> Fut, Fut>(_: &F) -> usize {
        std::mem::size_of::<Fut>()
    }
    size_of_body(&|yielder: lifespan::Yielder<()>| yielder.yield_app(()))
}

async fn hand_start(index: usize) -> usize {
    std::hint::black_box(index)
}

async fn hand_stop(value: usize) {
    std::hint::black_box(value);
}

/// The same work by hand: start each in order, stop each in reverse. The compiler sees
/// every part, so this is a `Vec` of integers and nothing else.
async fn hand_written(n: usize) {
    let mut started = Vec::with_capacity(n);
    for index in 0..n {
        started.push(hand_start(index).await);
    }
    while let Some(value) = started.pop() {
        hand_stop(value).await;
    }
}

/// What a hand-written service needs as soon as its parts are not all known to one
/// function: an exit stack of boxed shutdown futures, popped in reverse. No names,
/// limits, panic containment, tasks or nesting.
async fn hand_written_exit_stack(n: usize) {
    let mut stack: Vec<Pin<Box<dyn Future<Output = ()> + Send>>> = Vec::with_capacity(n);
    for index in 0..n {
        let value = hand_start(index).await;
        stack.push(Box::pin(hand_stop(value)));
    }
    while let Some(stop) = stack.pop() {
        stop.await;
    }
}

/// What recording a timeline costs per part: `Scope::new` as above (no timeline, what
/// every app has unless asked), against the same with `record_timeline()`.
fn timeline_table(full: bool) {
    let (sizes, runs): (&[usize], usize) = if full {
        (&[1_000, 10_000, 100_000], 11)
    } else {
        (&[10], 1)
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    println!(
        "## start+stop of N no-op parts, per part, timeline off and recorded (current-thread runtime, median of {runs} runs)\n"
    );
    println!("| N | `Scope::new` | with `record_timeline()` | recorded / off |");
    println!("| ---: | ---: | ---: | ---: |");
    for &n in sizes {
        let off = median(&runtime, runs, || with_scope(n));
        let on = median(&runtime, runs, || with_recorded_scope(n));
        println!(
            "| {n} | {} | {} | {:.2}x |",
            per_part(off, n),
            per_part(on, n),
            on.as_secs_f64() / off.as_secs_f64()
        );
    }
    println!();
}

/// As `with_scope`, in an app that records its timeline, taken at the end.
async fn with_recorded_scope(n: usize) {
    let scope = Scope::new();
    scope.record_timeline();
    for _ in 0..n {
        scope.enter(no_op()).await.unwrap();
    }
    scope.shutdown().await.unwrap();
    std::hint::black_box(scope.timeline());
}

async fn with_scope(n: usize) {
    let scope = Scope::new();
    for _ in 0..n {
        scope.enter(no_op()).await.unwrap();
    }
    scope.shutdown().await.unwrap();
}

async fn with_start(n: usize) {
    let mut running = Vec::with_capacity(n);
    for _ in 0..n {
        running.push(no_op().start().await.unwrap());
    }
    while let Some(part) = running.pop() {
        part.stop().await.unwrap();
    }
}

async fn tgs_part(subsystem: SubsystemHandle) -> Result<(), Infallible> {
    subsystem.on_shutdown_requested().await;
    Ok(())
}

async fn with_tgs(n: usize) {
    Toplevel::new(move |toplevel| async move {
        for _ in 0..n {
            toplevel.start(SubsystemBuilder::new("part", tgs_part));
        }
        toplevel.request_shutdown();
    })
    .handle_shutdown_requests(Duration::from_secs(600))
    .await
    .unwrap();
}

async fn live_bytes_per_part<F, Fut>(n: usize, enter: F) -> isize
where
    F: Fn(Scope) -> Fut,
    Fut: Future<Output = ()>,
{
    let scope = Scope::new();
    // The first entry grows the scope's own vector; measure the steady state.
    enter(scope.clone()).await;
    let before = LIVE.load(Ordering::SeqCst);
    for _ in 0..n {
        enter(scope.clone()).await;
    }
    let bytes = (LIVE.load(Ordering::SeqCst) - before) / n as isize;
    scope.shutdown().await.unwrap();
    bytes
}

fn slow_part(startup: Duration) -> impl Lifespan<Value = (), Error = Infallible> + Send + 'static {
    from_fn("slow", move |yielder| async move {
        tokio::time::sleep(startup).await;
        yielder.yield_app(()).await;
    })
}

/// A part whose shutdown half sleeps `shutdown`, and whose startup awaits once, so that
/// startups begun together overlap.
fn slow_to_stop(
    shutdown: Duration,
) -> impl Lifespan<Value = (), Error = Infallible> + Send + 'static {
    from_fn("slow-stop", move |yielder| async move {
        tokio::task::yield_now().await;
        yielder.yield_app(()).await;
        tokio::time::sleep(shutdown).await;
    })
}

/// How long the teardown alone of `parts` such parts takes, entered together or not.
async fn teardown(parts: usize, shutdown: Duration, together: bool) -> Duration {
    let scope = Scope::new();
    if together {
        futures_util::future::try_join_all((0..parts).map(|_| scope.enter(slow_to_stop(shutdown))))
            .await
            .unwrap();
    } else {
        for _ in 0..parts {
            scope.enter(slow_to_stop(shutdown)).await.unwrap();
        }
    }
    let began = std::time::Instant::now();
    scope.shutdown().await.unwrap();
    began.elapsed()
}

async fn sequential_enter(parts: usize, startup: Duration) {
    let scope = Scope::new();
    for _ in 0..parts {
        scope.enter(slow_part(startup)).await.unwrap();
    }
    scope.shutdown().await.unwrap();
}

async fn concurrent_enter(parts: usize, startup: Duration) {
    let scope = Scope::new();
    futures_util::future::try_join_all((0..parts).map(|_| scope.enter(slow_part(startup))))
        .await
        .unwrap();
    scope.shutdown().await.unwrap();
}

/// What the primitives a part is made of cost on this machine, so that a part's cost
/// can be read as a sum of them.
fn machine_costs(repeat: u32) {
    use std::hint::black_box;
    use std::sync::{Arc, Mutex};

    fn each(repeat: u32, mut operation: impl FnMut(u32)) -> String {
        (0..repeat / 10).for_each(&mut operation);
        let started = Instant::now();
        (0..repeat).for_each(operation);
        per_part(started.elapsed(), repeat as usize)
    }
    println!("\n## what the building blocks cost here (each, single thread)\n");
    println!("| operation | cost |");
    println!("| --- | ---: |");
    let shared = Arc::new(0_u64);
    let arc = each(repeat, |_| drop(black_box(shared.clone())));
    println!("| `Arc` clone and drop (two atomic read-modify-writes) | {arc} |");
    let mutex = Mutex::new(0_u64);
    let lock = each(repeat, |i| *mutex.lock().unwrap() += u64::from(i));
    println!("| uncontended `Mutex` lock and unlock | {lock} |");
    let boxed = each(repeat, |i| drop(black_box(Box::new([u64::from(i); 8]))));
    println!("| 64-byte `Box` allocation and free | {boxed} |");
    let clock = each(repeat, |_| {
        black_box(Instant::now());
    });
    println!("| `Instant::now()` | {clock} |");
}

/// Warms up once, then returns the median of `runs` timings of `work`.
fn median<F, Fut>(runtime: &tokio::runtime::Runtime, runs: usize, work: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    runtime.block_on(work());
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            runtime.block_on(work());
            started.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn per_part(total: Duration, n: usize) -> String {
    let nanos = total.as_nanos() as f64 / n as f64;
    if nanos < 1_000.0 {
        format!("{nanos:.0} ns")
    } else {
        format!("{:.2} µs", nanos / 1_000.0)
    }
}

/// The median of `runs` measurements that each run makes of itself.
fn median_of<F, Fut>(runtime: &tokio::runtime::Runtime, runs: usize, measure: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Duration>,
{
    let mut times: Vec<Duration> = (0..runs.max(1))
        .map(|_| runtime.block_on(measure()))
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// The stack of a thread that tokio or a user would spawn: tokio's workers get 2 MiB.
const SMALL_STACK: usize = 2 << 20;

/// What the stack table compares, each one level after another through a box, as a
/// recursive async fn must be.
#[derive(Clone, Copy, Debug)]
enum Nesting {
    /// `Box::pin(async move { next(level - 1).await })`
    Plain,
    /// A lifespan whose body enters the next with `next.enter().await`.
    Method,
    /// The same with `lifespan::enter(next).await`.
    Free,
}

type Boxed<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Where the stack stands: the address of a local of a frame of its own.
#[inline(never)]
fn stack_address() -> usize {
    let marker = 0_u8;
    std::ptr::from_ref(std::hint::black_box(&marker)) as usize
}

fn plain_level(level: usize) -> Boxed<usize> {
    Box::pin(async move {
        if level == 0 {
            stack_address()
        } else {
            plain_level(level - 1).await
        }
    })
}

fn nested_level(
    level: usize,
    how: Nesting,
    deepest: Arc<AtomicUsize>,
) -> impl Lifespan<Value = (), Error = lifespan::Error> + Send + 'static {
    from_fn("level", move |yielder| async move {
        if level == 0 {
            deepest.store(stack_address(), Ordering::Relaxed);
        } else {
            enter_level(level - 1, how, deepest).await?;
        }
        yielder.yield_app(()).await;
        Ok(())
    })
}

fn enter_level(
    level: usize,
    how: Nesting,
    deepest: Arc<AtomicUsize>,
) -> Boxed<Result<(), lifespan::Error>> {
    let next = nested_level(level, how, deepest);
    match how {
        Nesting::Free => Box::pin(lifespan::enter(next)),
        _ => Box::pin(next.enter()),
    }
}

impl Nesting {
    fn parse(name: &str) -> Nesting {
        match name {
            "plain" => Nesting::Plain,
            "method" => Nesting::Method,
            "free" => Nesting::Free,
            _ => panic!("unknown nesting {name}"),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Nesting::Plain => "plain",
            Nesting::Method => "method",
            Nesting::Free => "free",
        }
    }

    /// Starts (and stops) `levels` nested levels in a scope on a current-thread runtime;
    /// the stack address at the innermost level.
    fn deepest_address(self, levels: usize) -> usize {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            if let Nesting::Plain = self {
                return plain_level(levels - 1).await;
            }
            let deepest = Arc::new(AtomicUsize::new(0));
            let scope = Scope::new();
            scope
                .enter(nested_level(levels - 1, self, deepest.clone()))
                .await
                .unwrap();
            scope.shutdown().await.unwrap();
            deepest.load(Ordering::Relaxed)
        })
    }

    /// Stack bytes per level: how much deeper the innermost level is at 400 levels than
    /// at 200, over 200.
    fn bytes_per_level(self) -> usize {
        let (shallow, deep) = (200, 400);
        on_thread(256 << 20, move || {
            let shallow_address = self.deepest_address(shallow);
            let deep_address = self.deepest_address(deep);
            (shallow_address - deep_address) / (deep - shallow)
        })
    }

    /// The most levels that start on a 2 MiB thread, up to `cap`: a binary search over
    /// runs of this binary with `--fits`.
    fn most_levels(self, cap: usize) -> usize {
        let fits = |levels: usize| {
            std::process::Command::new(std::env::current_exe().unwrap())
                .args(["--fits", self.name(), &levels.to_string()])
                .stderr(std::process::Stdio::null())
                .status()
                .unwrap()
                .success()
        };
        if fits(cap) {
            return cap;
        }
        let (mut low, mut high) = (1, cap);
        while high - low > 1 {
            let middle = low + (high - low) / 2;
            if fits(middle) {
                low = middle;
            } else {
                high = middle;
            }
        }
        low
    }
}

fn on_thread<T: Send + 'static>(stack: usize, work: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(work)
        .unwrap()
        .join()
        .unwrap()
}

/// Startup's stack use per nesting level, against a plain boxed async fn per level.
fn stack_table(build: &str) {
    const CAP: usize = 50_000;
    println!("\n## stack per nesting level at startup ({build} build)\n");
    println!("| each level | stack per level | / plain | levels that start on a 2 MiB thread |");
    println!("| --- | ---: | ---: | ---: |");
    let plain = Nesting::Plain.bytes_per_level();
    for (how, label) in [
        (
            Nesting::Plain,
            "plain: `Box::pin(async move { next(level - 1).await })`",
        ),
        (Nesting::Method, "lifespan whose body awaits `next.enter()`"),
        (
            Nesting::Free,
            "lifespan whose body awaits `lifespan::enter(next)`",
        ),
    ] {
        let bytes = how.bytes_per_level();
        let most = how.most_levels(CAP);
        let most = if most == CAP {
            format!("more than {CAP}")
        } else {
            most.to_string()
        };
        println!(
            "| {label} | {bytes} B | {:.1}x | {most} |",
            bytes as f64 / plain as f64
        );
    }
}

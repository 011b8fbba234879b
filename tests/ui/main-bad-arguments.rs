// The runtime's arguments, checked at compile time.
mod unknown_flavor {
    #[lifespan::main(flavor = "single")]
    async fn main() {
        lifespan::yield_app!();
    }
}

mod threads_without_workers {
    #[lifespan::main(flavor = "current_thread", worker_threads = 2)]
    async fn main() {
        lifespan::yield_app!();
    }
}

mod zero_threads {
    #[lifespan::main(worker_threads = 0)]
    async fn main() {
        lifespan::yield_app!();
    }
}

mod lifespan_argument {
    #[lifespan::main(name = "service")]
    async fn main() {
        lifespan::yield_app!();
    }
}

fn main() {}

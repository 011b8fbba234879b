// `#[lifespan::main]` on what cannot be a service's main: one error each.
mod not_named_main {
    #[lifespan::main]
    async fn serve() {
        lifespan::yield_app!();
    }
}

mod with_parameters {
    #[lifespan::main]
    async fn main(port: u16) {
        let _ = port;
        lifespan::yield_app!();
    }
}

mod yields_a_value {
    #[lifespan::main]
    async fn main() {
        lifespan::yield_app!(8080);
    }
}

mod no_yield {
    #[lifespan::main]
    async fn main() {}
}

mod not_async {
    #[lifespan::main]
    fn main() {
        lifespan::yield_app!();
    }
}

mod constant {
    #[lifespan::main]
    const async fn main() {
        lifespan::yield_app!();
    }
}

mod dangerous {
    #[lifespan::main]
    async unsafe fn main() {
        lifespan::yield_app!();
    }
}

mod foreign {
    #[lifespan::main]
    async extern "C" fn main() {
        lifespan::yield_app!();
    }
}

mod generic {
    #[lifespan::main]
    async fn main<T>() {
        lifespan::yield_app!();
    }
}

fn main() {}

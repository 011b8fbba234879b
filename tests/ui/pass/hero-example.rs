//! DESIGN.md section 2, word for word, with its one import: `.enter()` works in every
//! body without importing `Lifespan`. The stand-ins for the database, the HTTP client
//! and the server follow it; the server asks for shutdown, so that the service ends.
use lifespan::{lifespan, yield_app};

/// The app's database pool.
#[lifespan(startup_timeout = "10s", shutdown_timeout = "5s")]
pub async fn database(url: String) -> Result<Pool, DbError> {
    let pool = Pool::connect(&url).await?;      // startup half
    pool.execute("SELECT 1").await?;            // fail fast
    yield_app!(pool.clone());                   // the app runs here
    pool.close().await?;                        // shutdown half
    Ok(())
}

#[lifespan::main(shutdown_timeout = "30s")]
async fn main() -> anyhow::Result<()> {
    let pool = database(url()).enter().await?;  // started now, stopped after main's own shutdown code
    let http = http_client().enter().await?;
    lifespan::spawn("http-server", serve(pool, http));   // tracked, cancelled on shutdown
    yield_app!();                               // serve until SIGINT/SIGTERM or request_shutdown()
    tracing::info!("draining");
    Ok(())
}                                               // then: http, pool stopped in reverse order

#[derive(Clone)]
pub struct Pool;

impl Pool {
    async fn connect(_url: &str) -> Result<Pool, DbError> {
        Ok(Pool)
    }

    async fn execute(&self, _sql: &str) -> Result<(), DbError> {
        Ok(())
    }

    async fn close(&self) -> Result<(), DbError> {
        Ok(())
    }
}

#[derive(Debug)]
pub struct DbError;

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("database error")
    }
}

impl std::error::Error for DbError {}

fn url() -> String {
    "postgres://localhost/app".to_owned()
}

pub struct Client;

#[lifespan]
async fn http_client() -> Client {
    yield_app!(Client);
}

async fn serve(_pool: Pool, _http: Client) -> Result<(), DbError> {
    lifespan::request_shutdown();
    Ok(())
}

mod tracing {
    macro_rules! info {
        ($($message:tt)*) => {
            println!($($message)*)
        };
    }
    pub(crate) use info;
}

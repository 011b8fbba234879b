use lifespan::{lifespan, yield_app};

/// A consumer that is restarted when a task below it fails; made again from clones of
/// its arguments each time, and handed out as a `Follow<Consumer>`.
#[lifespan(restart = "on_failure", shutdown_timeout = "5s")]
pub async fn consumer(mut url: String, group: Arc<str>) -> Result<Consumer, BrokerError> {
    url.push_str("/consume");
    let consumer = Consumer::connect(&url, &group).await?;
    yield_app!(consumer.clone());
    consumer.close().await?;
    Ok(())
}

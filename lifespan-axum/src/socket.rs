//! The connection's socket as hyper sees it: a `TcpStream` that the server can still cut
//! after hyper has handed it to an upgrade (a WebSocket).
//!
//! Once a handler answers `101 Switching Protocols`, hyper gives the socket to the
//! upgrade, and axum's `on_upgrade` runs it on a task of its own: the server no longer
//! owns it. So when the response is a 101, [`Socket`] keeps a duplicate of its own
//! descriptor as hyper writes that response; at the drain timeout, the server shuts the
//! socket down through the duplicate (the peer sees the connection close, the handler's
//! reads end), and it hears when the handler lets go of the socket. Connections that
//! are never upgraded pay one atomic load per write, and no descriptor.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

/// A connection's `TcpStream`, watched for an upgrade.
pub(crate) struct Socket {
    stream: TcpStream,
    upgrade: Arc<Upgrade>,
}

/// What the connection's task, its service and its socket share about an upgrade.
#[derive(Default)]
pub(crate) struct Upgrade {
    /// The service answered `101 Switching Protocols`: keep a way to cut the socket.
    answered: AtomicBool,
    /// The duplicate, taken as the 101 is written.
    duplicate: Mutex<Option<std::net::TcpStream>>,
    /// The socket was dropped: its upgrade (or hyper) is done with it.
    released: CancellationToken,
}

impl Socket {
    pub(crate) fn new(stream: TcpStream) -> (Socket, Arc<Upgrade>) {
        let upgrade = Arc::new(Upgrade::default());
        let socket = Socket {
            stream,
            upgrade: upgrade.clone(),
        };
        (socket, upgrade)
    }

    /// Before a write: if the service answered 101, the bytes going out are that
    /// answer, and the socket is about to leave hyper's hands: duplicate it once.
    fn before_write(&self) {
        if self.upgrade.answered.load(Ordering::Acquire) {
            let mut duplicate = self
                .upgrade
                .duplicate
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if duplicate.is_none() {
                match duplicate_of(&self.stream) {
                    Ok(stream) => *duplicate = Some(stream),
                    Err(error) => {
                        tracing::warn!(%error, "could not keep an upgraded socket, which the drain will not cut");
                    }
                }
                // Once: a failure is not retried on every write.
                self.upgrade.answered.store(false, Ordering::Release);
            }
        }
    }
}

impl Upgrade {
    /// The service answered 101 on this connection.
    pub(crate) fn answered(&self) {
        self.answered.store(true, Ordering::Release);
    }

    /// Whether the connection was handed to an upgrade that the server can cut.
    pub(crate) fn is_upgraded(&self) -> bool {
        self.duplicate
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// Resolves when the upgrade lets go of the socket.
    pub(crate) async fn released(&self) {
        self.released.cancelled().await;
    }

    /// Shuts the socket down both ways: the peer sees it close, the upgrade's reads end.
    pub(crate) fn cut(&self) {
        let duplicate = self
            .duplicate
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(stream) = duplicate {
            // Already closed by the peer, or by the upgrade: nothing left to cut.
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.upgrade.released.cancel();
    }
}

/// A second descriptor for the socket of `stream`, which outlives neither.
#[cfg(unix)]
fn duplicate_of(stream: &TcpStream) -> io::Result<std::net::TcpStream> {
    use std::os::fd::AsFd;
    Ok(std::net::TcpStream::from(
        stream.as_fd().try_clone_to_owned()?,
    ))
}

/// A second handle for the socket of `stream`.
#[cfg(windows)]
fn duplicate_of(stream: &TcpStream) -> io::Result<std::net::TcpStream> {
    use std::os::windows::io::AsSocket;
    Ok(std::net::TcpStream::from(
        stream.as_socket().try_clone_to_owned()?,
    ))
}

impl AsyncRead for Socket {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Socket {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.before_write();
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.before_write();
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

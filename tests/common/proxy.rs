//! `DbProxy`: a TCP proxy on loopback between the processes under test and the test's
//! PostgreSQL, so a test can take "the database" away and bring it back without touching the
//! shared server: [`DbProxy::down`] closes the port and cuts every open connection (what a
//! crash or `pg_ctl stop -m immediate` looks like to a client); [`DbProxy::up`] listens again.

use std::net::SocketAddr;
use std::sync::Mutex;

use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use super::TestDb;
use super::procs::free_addr;

pub struct DbProxy {
    pub addr: SocketAddr,
    upstream: SocketAddr,
    database_url: String,
    running: Mutex<Option<CancellationToken>>,
}

impl DbProxy {
    /// A proxy to `db`'s server on a free port, down until [`DbProxy::up`].
    pub fn new(db: &TestDb) -> Self {
        let o = db.pool.connect_options();
        let upstream: SocketAddr = format!("{}:{}", o.get_host(), o.get_port())
            .parse()
            .expect("the test server is on an IP address");
        let addr = free_addr();
        let database_url = db.url.replace(&upstream.to_string(), &addr.to_string());
        assert_ne!(database_url, db.url, "the proxy URL names the proxy");
        Self {
            addr,
            upstream,
            database_url,
            running: Mutex::new(None),
        }
    }

    /// `DATABASE_URL` of the test's database through the proxy.
    pub fn url(&self) -> &str {
        &self.database_url
    }

    /// Listens and forwards every connection until [`DbProxy::down`].
    pub async fn up(&self) {
        let listener = TcpListener::bind(self.addr).await.unwrap();
        let stop = CancellationToken::new();
        let old = self.running.lock().unwrap().replace(stop.clone());
        assert!(old.is_none(), "proxy already up");
        let upstream = self.upstream;
        tokio::spawn(async move {
            loop {
                let client = tokio::select! {
                    _ = stop.cancelled() => return,
                    accepted = listener.accept() => match accepted {
                        Ok((client, _)) => client,
                        Err(_) => continue,
                    },
                };
                tokio::spawn(forward(client, upstream, stop.clone()));
            }
        });
    }

    /// Stops listening and cuts every connection it forwards.
    pub fn down(&self) {
        if let Some(stop) = self.running.lock().unwrap().take() {
            stop.cancel();
        }
    }
}

impl Drop for DbProxy {
    fn drop(&mut self) {
        self.down();
    }
}

async fn forward(mut client: TcpStream, upstream: SocketAddr, stop: CancellationToken) {
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    tokio::select! {
        _ = stop.cancelled() => {}
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
    }
    // Dropping both sockets here is the cut: the client sees its connection reset or closed.
}

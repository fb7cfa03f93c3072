//! Failover under a real redis-sentinel (issue 11): three thredis servers, a master and two
//! replicas, watched by three sentinels on loopback. The master is killed with SIGKILL; the
//! sentinels promote a replica, re-point the other, clients write again through the new
//! master, and the old master, restarted, rejoins as a replica. No write both replicas had
//! acknowledged (`WAIT 2`) is lost. Needs `redis-sentinel`, so it is ignored in a plain
//! `cargo test` and run by `.ci/run`, which installs it.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{Raw, ScratchDir, TestServer, free_port, scratch_dir, wait_until};

const MASTER_NAME: &str = "mymaster";

/// A redis-sentinel process with its own (writable) configuration file, stopped when dropped.
struct Sentinel {
    child: Child,
    port: u16,
    _dir: ScratchDir,
}

impl Sentinel {
    fn start(master_port: u16) -> Sentinel {
        let dir = scratch_dir("sentinel");
        let port = free_port();
        let config = format!(
            "port {port}\nbind 127.0.0.1\ndir {}\n\
             sentinel monitor {MASTER_NAME} 127.0.0.1 {master_port} 2\n\
             sentinel down-after-milliseconds {MASTER_NAME} 1000\n\
             sentinel failover-timeout {MASTER_NAME} 10000\n\
             sentinel parallel-syncs {MASTER_NAME} 1\n",
            dir.display()
        );
        std::fs::write(dir.join("sentinel.conf"), config).unwrap();
        let child = Command::new("redis-sentinel")
            .arg(dir.join("sentinel.conf"))
            .current_dir(&*dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-sentinel is installed (run through .ci/run)");
        let sentinel = Sentinel {
            child,
            port,
            _dir: dir,
        };
        assert!(
            wait_until(Duration::from_secs(10), || {
                std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            }),
            "redis-sentinel did not start"
        );
        sentinel
    }

    fn client(&self) -> redis::Connection {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port))
            .unwrap()
            .get_connection()
            .unwrap()
    }

    /// The port of the master this sentinel names now.
    fn master_port(&self) -> u16 {
        let address: Vec<String> = redis::cmd("SENTINEL")
            .arg("get-master-addr-by-name")
            .arg(MASTER_NAME)
            .query(&mut self.client())
            .unwrap();
        address[1].parse().unwrap()
    }

    /// How many replicas and other sentinels this sentinel knows of.
    fn known(&self, what: &str) -> usize {
        let list: Vec<redis::Value> = redis::cmd("SENTINEL")
            .arg(what)
            .arg(MASTER_NAME)
            .query(&mut self.client())
            .unwrap();
        list.len()
    }
}

impl Drop for Sentinel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A thredis server with a configuration file of its own (sentinels send `CONFIG REWRITE`).
fn server(dir: &Path, extra: &[&str]) -> TestServer {
    let config = dir.join("thredis.conf");
    if !config.exists() {
        std::fs::write(&config, "").unwrap();
    }
    let mut args = vec!["thredis.conf", "--save", ""];
    args.extend_from_slice(extra);
    TestServer::in_dir(dir, &args)
}

/// `ROLE`'s first element, and for a replica the port of its master and the link's state.
fn role(port: u16) -> String {
    Raw::connect(port).cmd(&["ROLE"])
}

#[test]
#[ignore = "needs redis-sentinel: a failover of thredis servers under three real sentinels"]
fn sentinels_fail_a_killed_master_over_to_a_replica() {
    let dirs: Vec<ScratchDir> = (0..3).map(|_| scratch_dir("failover")).collect();
    let mut master = server(&dirs[0], &[]);
    let master_port = master.port;
    let of_master = format!("127.0.0.1 {master_port}");
    let replicas: Vec<TestServer> = (1..3)
        .map(|i| server(&dirs[i], &["--replicaof", &of_master]))
        .collect();
    let mut writer = master.raw();
    assert!(wait_until(Duration::from_secs(10), || {
        writer
            .cmd(&["INFO", "replication"])
            .matches("state=online")
            .count()
            == 2
    }));
    let sentinels: Vec<Sentinel> = (0..3).map(|_| Sentinel::start(master_port)).collect();
    assert!(
        wait_until(Duration::from_secs(30), || {
            sentinels
                .iter()
                .all(|s| s.known("replicas") == 2 && s.known("sentinels") == 2)
        }),
        "the sentinels never found the replicas and each other"
    );

    // Writes both replicas acknowledged must survive whatever comes next.
    for i in 0..100 {
        assert_eq!(
            writer.cmd(&["SET", &format!("k{i}"), &i.to_string()]),
            "+OK\r\n"
        );
    }
    assert_eq!(writer.cmd(&["WAIT", "2", "5000"]), ":2\r\n");
    master.kill();

    assert!(
        wait_until(Duration::from_secs(60), || {
            sentinels.iter().all(|s| s.master_port() != master_port)
        }),
        "no failover happened"
    );
    let new_port = sentinels[0].master_port();
    let promoted = replicas
        .iter()
        .find(|r| r.port == new_port)
        .expect("a replica");
    let other = replicas.iter().find(|r| r.port != new_port).unwrap();
    assert!(role(promoted.port).starts_with("*3\r\n$6\r\nmaster\r\n"));
    let following =
        format!("*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:{new_port}\r\n$9\r\nconnected");
    assert!(
        wait_until(Duration::from_secs(30), || role(other.port)
            .starts_with(&following)),
        "the other replica was not re-pointed: {}",
        role(other.port)
    );
    let mut writer = promoted.raw();
    for i in 0..100 {
        let value = i.to_string();
        assert_eq!(
            writer.cmd(&["GET", &format!("k{i}")]),
            format!("${}\r\n{value}\r\n", value.len())
        );
    }
    assert_eq!(writer.cmd(&["SET", "after", "failover"]), "+OK\r\n");
    assert_eq!(writer.cmd(&["WAIT", "1", "5000"]), ":1\r\n");
    assert_eq!(other.raw().cmd(&["GET", "after"]), "$8\r\nfailover\r\n");

    // The old master comes back (on its port, with its own file) and is made a replica.
    let port = master_port.to_string();
    let old = server(&dirs[0], &["--port", &port]);
    assert!(
        wait_until(Duration::from_secs(60), || role(old.port)
            .starts_with(&following)),
        "the old master did not rejoin as a replica: {}",
        role(old.port)
    );
    assert!(wait_until(Duration::from_secs(10), || {
        old.raw().cmd(&["GET", "after"]) == "$8\r\nfailover\r\n"
    }));
}

//! Stage 2 from the client's side: PING as raw bytes over a plain `TcpStream`, no client library.
//!
//! Start the server with `cargo run --release`, then: `cargo run --example raw_ping [port]`.
//!
//! A Redis request is a RESP array of bulk strings: `*1` (one element), `$4` (four bytes),
//! `PING`, each line ending in `\r\n`. The reply `+PONG\r\n` is a RESP simple string.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;

fn main() -> std::io::Result<()> {
    let port = std::env::args().nth(1).unwrap_or_else(|| "6379".into());
    let mut stream = TcpStream::connect(format!("127.0.0.1:{port}"))?;
    stream.write_all(b"*1\r\n$4\r\nPING\r\n")?;

    let mut reply = String::new();
    BufReader::new(&stream).read_line(&mut reply)?;
    println!("sent *1\\r\\n$4\\r\\nPING\\r\\n, got {reply:?}");
    assert_eq!(reply, "+PONG\r\n");
    Ok(())
}

//! A session with the `redis` crate, the way an application talks to thredis.
//!
//! Start the server with `cargo run --release`, then: `cargo run --example session [port]`.

use redis::Commands;

fn main() -> redis::RedisResult<()> {
    let port = std::env::args().nth(1).unwrap_or_else(|| "6379".into());
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/"))?;
    let mut con = client.get_connection()?;

    // Stage 6: SET and GET.
    let () = con.set("greeting", "hello")?;
    let greeting: String = con.get("greeting")?;
    println!("GET greeting -> {greeting}");

    // Stage 7: a key that expires. PX 100 means "gone after 100 milliseconds".
    let () = redis::cmd("SET")
        .arg("flash")
        .arg("now you see me")
        .arg("PX")
        .arg(100)
        .query(&mut con)?;
    let ttl: i64 = con.pttl("flash")?;
    println!("PTTL flash -> {ttl} ms");
    std::thread::sleep(std::time::Duration::from_millis(150));
    let gone: Option<String> = con.get("flash")?;
    println!("GET flash after 150 ms -> {gone:?}");

    // Counters are strings that hold integers.
    let visits: i64 = con.incr("visits", 1)?;
    println!("INCR visits -> {visits}");

    // Many commands in one round trip.
    let (a, b): (i64, i64) = redis::pipe().incr("a", 1).incr("b", 2).query(&mut con)?;
    println!("pipelined INCR a, INCRBY b 2 -> {a}, {b}");
    Ok(())
}

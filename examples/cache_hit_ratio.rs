//! A cache workload against a server with `maxmemory` set, to compare eviction policies (and
//! thredis with redis-server): clients read keys drawn from a Zipf distribution, and on a miss
//! store the value (cache-aside), with more distinct data than fits under the limit. Prints the
//! hit ratio of the measured phase (after a warm-up) and where used memory ended.
//!
//! ```text
//! cargo run --release --example cache_hit_ratio -- 127.0.0.1:6379 [keys] [ops] [zipf-exponent]
//! ```
//! Defaults: 2,000,000 distinct keys of ~100-byte values (about 230 MB of data, for a
//! `maxmemory 100mb` server), 4,000,000 reads of which the first quarter warms the cache, Zipf
//! exponent 0.9. The server's policy is whatever it was started with (`--maxmemory-policy`).
//! Requests go in pipelined batches over one connection, with the standard library only.

use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Instant;

/// Reads per pipelined batch.
const BATCH: usize = 100;
/// Bytes per value, about what a small cached object takes.
const VALUE_SIZE: usize = 100;

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let address = args.first().map_or("127.0.0.1:6379", String::as_str);
    let number = |index: usize, default: f64| {
        args.get(index)
            .and_then(|text| text.parse::<f64>().ok())
            .unwrap_or(default)
    };
    let keys = number(1, 2_000_000.0) as usize;
    let ops = number(2, 4_000_000.0) as usize;
    let exponent = number(3, 0.9);

    let mut client = Client::connect(address)?;
    client.call(&[b"FLUSHALL".as_slice()])?;
    client.call(&[b"CONFIG".as_slice(), b"RESETSTAT"])?;
    let zipf = Zipf::new(keys, exponent);
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    let warmup = ops / 4;
    let (mut reads, mut hits) = (0u64, 0u64);
    let started = Instant::now();
    let mut done = 0;
    while done < ops {
        let batch: Vec<usize> = (0..BATCH.min(ops - done))
            .map(|_| zipf.sample(&mut rng))
            .collect();
        let names: Vec<Vec<u8>> = batch.iter().map(|&k| key_name(k)).collect();
        for name in &names {
            client.send(&[b"GET".as_slice(), name])?;
        }
        let mut missed = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let hit = client.read_reply()?.is_some();
            if done + i >= warmup {
                reads += 1;
                hits += u64::from(hit);
            }
            if !hit {
                missed.push(name);
            }
        }
        for name in &missed {
            client.send(&[b"SET".as_slice(), name, &value_of(name)])?;
        }
        for _ in &missed {
            client.read_reply()?;
        }
        done += batch.len();
    }
    let elapsed = started.elapsed();

    let info = client.info()?;
    let field = |name: &str| -> u64 {
        info.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(0)
    };
    let (used, maxmemory) = (field("used_memory"), field("maxmemory"));
    let policy = info
        .lines()
        .find_map(|line| line.strip_prefix("maxmemory_policy:"))
        .unwrap_or("?")
        .trim()
        .to_string();
    let stored = client.call(&[b"DBSIZE".as_slice()])?.unwrap_or_default();
    println!(
        "{address} policy={policy} keys={keys} ops={ops} zipf={exponent}: hit ratio {:.4} \
         ({hits}/{reads} after {warmup} warm-up reads), used_memory {used} / maxmemory \
         {maxmemory} ({}), evicted_keys {}, dbsize {}, {:.1}s",
        hits as f64 / reads.max(1) as f64,
        if maxmemory == 0 || used <= maxmemory {
            "within".to_string()
        } else {
            // The reply to INFO itself is in memory as it is measured.
            let over = used - maxmemory;
            format!(
                "over by {over} B, {:.3}%",
                over as f64 * 100.0 / maxmemory as f64
            )
        },
        field("evicted_keys"),
        String::from_utf8_lossy(&stored),
        elapsed.as_secs_f64(),
    );
    Ok(())
}

fn key_name(key: usize) -> Vec<u8> {
    format!("key:{key:010}").into_bytes()
}

/// A value of [`VALUE_SIZE`] bytes derived from the key (content does not matter, size does).
fn value_of(name: &[u8]) -> Vec<u8> {
    name.iter().copied().cycle().take(VALUE_SIZE).collect()
}

/// Ranks `0..n` drawn with probability proportional to `1 / (rank + 1)^s`, by binary search in
/// the cumulative distribution.
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize, exponent: f64) -> Zipf {
        let mut total = 0.0;
        let mut cumulative = Vec::with_capacity(n);
        for rank in 0..n {
            total += 1.0 / ((rank + 1) as f64).powf(exponent);
            cumulative.push(total);
        }
        cumulative.iter_mut().for_each(|c| *c /= total);
        Zipf { cumulative }
    }

    fn sample(&self, rng: &mut XorShift) -> usize {
        let u = rng.unit();
        self.cumulative
            .partition_point(|&c| c < u)
            .min(self.cumulative.len() - 1)
    }
}

/// xorshift64*: plenty for a workload generator.
struct XorShift(u64);

impl XorShift {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A minimal RESP client: requests out as arrays of bulk strings, replies read back whole.
struct Client {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
    pending: Vec<u8>,
}

impl Client {
    fn connect(address: &str) -> io::Result<Client> {
        let stream = TcpStream::connect(address)?;
        stream.set_nodelay(true)?;
        Ok(Client {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
            pending: Vec::new(),
        })
    }

    /// Queues a request; it goes out with the first read.
    fn send(&mut self, args: &[&[u8]]) -> io::Result<()> {
        let _ = write!(self.pending, "*{}\r\n", args.len());
        for arg in args {
            let _ = write!(self.pending, "${}\r\n", arg.len());
            self.pending.extend_from_slice(arg);
            self.pending.extend_from_slice(b"\r\n");
        }
        Ok(())
    }

    fn call(&mut self, args: &[&[u8]]) -> io::Result<Option<Vec<u8>>> {
        self.send(args)?;
        self.read_reply()
    }

    fn info(&mut self) -> io::Result<String> {
        let text = self
            .call(&[b"INFO".as_slice(), b"everything"])?
            .unwrap_or_default();
        Ok(String::from_utf8_lossy(&text).into_owned())
    }

    /// The next reply: a bulk string's content, a status or integer line, `None` for a null
    /// (a miss) or an error. Arrays are not expected here.
    fn read_reply(&mut self) -> io::Result<Option<Vec<u8>>> {
        if !self.pending.is_empty() {
            self.writer.write_all(&self.pending)?;
            self.pending.clear();
        }
        let mut line = Vec::new();
        self.reader.read_until(b'\n', &mut line)?;
        let text = String::from_utf8_lossy(&line).trim_end().to_string();
        match text.as_bytes().first() {
            Some(b'$' | b'=') => {
                let Ok(len) = text[1..].parse::<i64>() else {
                    return Err(io::Error::other(format!("bad reply {text}")));
                };
                if len < 0 {
                    return Ok(None);
                }
                let mut body = vec![0; len as usize + 2];
                io::Read::read_exact(&mut self.reader, &mut body)?;
                body.truncate(len as usize);
                Ok(Some(body))
            }
            // A null, or an error (a SET refused under `noeviction`): nothing stored.
            Some(b'_' | b'-') => Ok(None),
            Some(b'+' | b':') => Ok(Some(text.as_bytes()[1..].to_vec())),
            _ => Err(io::Error::other(format!("unexpected reply {text}"))),
        }
    }
}

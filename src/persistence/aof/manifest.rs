//! The AOF manifest: which files make up the append-only file, in Redis 7.0's format (aof.c), so
//! redis-server and thredis can each start from the other's directory. One line per file:
//!
//! ```text
//! file appendonly.aof.2.base.rdb seq 2 type b
//! file appendonly.aof.1.incr.aof seq 1 type h
//! file appendonly.aof.2.incr.aof seq 2 type i
//! ```
//!
//! `b` is the base (at most one, first), `h` a history file left by a rewrite (deleted soon
//! after), `i` an incremental file (in replay order, sequence numbers increasing). A name that
//! needs quoting is written the way `sdscatrepr` quotes. Loading is strict, as Redis's is: any
//! error is fatal, reported with the offending line.

use crate::protocol::split::{needs_repr, repr, split_args};

/// Longest manifest line Redis reads (`MANIFEST_MAX_LINE`).
const MAX_LINE: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Base,
    History,
    Incr,
}

impl FileKind {
    fn letter(self) -> char {
        match self {
            FileKind::Base => 'b',
            FileKind::History => 'h',
            FileKind::Incr => 'i',
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    pub name: String,
    pub seq: u64,
    pub kind: FileKind,
}

/// The files of an append-only file, and the sequence numbers the next ones get.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    pub base: Option<FileInfo>,
    pub history: Vec<FileInfo>,
    pub incrs: Vec<FileInfo>,
    pub base_seq: u64,
    pub incr_seq: u64,
}

/// A manifest that cannot be read: the line (1-based) and its text, if the problem is in one,
/// and Redis's description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    pub line: Option<(usize, String)>,
    pub reason: &'static str,
}

impl ManifestError {
    /// The report Redis logs before exiting.
    pub fn log(&self) {
        crate::log!(Warning, "\n*** FATAL AOF MANIFEST FILE ERROR ***\n");
        if let Some((number, text)) = &self.line {
            crate::log!(Warning, "Reading the manifest file, at line {number}\n");
            crate::log!(Warning, ">>> '{text}'\n");
        }
        crate::log!(Warning, "{}\n", self.reason);
    }
}

impl Manifest {
    /// Parses a manifest file's contents as Redis's `aofLoadManifestFromFile` does.
    pub fn parse(text: &[u8]) -> Result<Manifest, ManifestError> {
        let mut manifest = Manifest::default();
        let mut lines = 0;
        let mut rest = text;
        while !rest.is_empty() {
            // Redis reads with fgets into a 1025-byte buffer: a longer line is an error.
            let end = rest.iter().position(|&b| b == b'\n');
            let (raw, after) = match end {
                Some(end) => (&rest[..end + 1], &rest[end + 1..]),
                None => (rest, &b""[..]),
            };
            rest = after;
            lines += 1;
            if raw.first() == Some(&b'#') {
                continue;
            }
            let trimmed = trim(raw);
            let text = String::from_utf8_lossy(trimmed).into_owned();
            let fail = |reason| ManifestError {
                line: Some((lines, text.clone())),
                reason,
            };
            if raw.len() > MAX_LINE || end.is_none() {
                return Err(fail("The AOF manifest file contains too long line"));
            }
            if trimmed.is_empty() {
                return Err(fail("Invalid AOF manifest file format"));
            }
            let words =
                split_args(trimmed).map_err(|_| fail("Invalid AOF manifest file format"))?;
            if words.len() < 6 || words.len() % 2 != 0 {
                return Err(fail("Invalid AOF manifest file format"));
            }
            let (mut name, mut seq, mut kind) = (None, 0u64, None);
            for pair in words.chunks(2) {
                let key = &pair[0];
                if key.eq_ignore_ascii_case(b"file") {
                    let value = String::from_utf8_lossy(&pair[1]).into_owned();
                    if value.contains('/') {
                        return Err(fail("File can't be a path, just a filename"));
                    }
                    name = Some(value);
                } else if key.eq_ignore_ascii_case(b"seq") {
                    seq = atoll(&pair[1]);
                } else if key.eq_ignore_ascii_case(b"type") {
                    kind = pair[1].first().copied();
                }
                // Other keys are ignored, for forward compatibility.
            }
            let (Some(name), Some(kind)) = (name, kind) else {
                return Err(fail("Invalid AOF manifest file format"));
            };
            if seq == 0 {
                return Err(fail("Invalid AOF manifest file format"));
            }
            match kind {
                b'b' => {
                    if manifest.base.is_some() {
                        return Err(fail("Found duplicate base file information"));
                    }
                    manifest.base_seq = seq;
                    manifest.base = Some(FileInfo {
                        name,
                        seq,
                        kind: FileKind::Base,
                    });
                }
                b'h' => manifest.history.push(FileInfo {
                    name,
                    seq,
                    kind: FileKind::History,
                }),
                b'i' => {
                    if seq <= manifest.incr_seq {
                        return Err(fail("Found a non-monotonic sequence number"));
                    }
                    manifest.incr_seq = seq;
                    manifest.incrs.push(FileInfo {
                        name,
                        seq,
                        kind: FileKind::Incr,
                    });
                }
                _ => return Err(fail("Unknown AOF file type")),
            }
        }
        if lines == 0 {
            return Err(ManifestError {
                line: None,
                reason: "Found an empty AOF manifest",
            });
        }
        Ok(manifest)
    }

    /// The manifest as Redis writes it: the base, then history files, then incr files.
    pub fn format(&self) -> String {
        let mut text = String::new();
        for file in self.base.iter().chain(&self.history).chain(&self.incrs) {
            let name = if needs_repr(file.name.as_bytes()) {
                repr(file.name.as_bytes())
            } else {
                file.name.clone()
            };
            text.push_str(&format!(
                "file {name} seq {} type {}\n",
                file.seq,
                file.kind.letter()
            ));
        }
        text
    }

    /// Whether the manifest names no file to load.
    pub fn is_empty(&self) -> bool {
        self.base.is_none() && self.incrs.is_empty()
    }

    /// The files to replay, in order: the base, then the incr files.
    pub fn replay_order(&self) -> impl Iterator<Item = &FileInfo> {
        self.base.iter().chain(&self.incrs)
    }

    /// Names a new base (`<appendfilename>.<seq>.base.rdb`, or `.aof` without the RDB preamble)
    /// and turns the previous one into history.
    pub fn new_base(&mut self, appendfilename: &str, rdb_preamble: bool) -> String {
        if let Some(mut old) = self.base.take() {
            old.kind = FileKind::History;
            self.history.insert(0, old);
        }
        self.base_seq += 1;
        let format = if rdb_preamble { "rdb" } else { "aof" };
        let name = format!("{appendfilename}.{}.base.{format}", self.base_seq);
        self.base = Some(FileInfo {
            name: name.clone(),
            seq: self.base_seq,
            kind: FileKind::Base,
        });
        name
    }

    /// Names a new incr file (`<appendfilename>.<seq>.incr.aof`), appended to the list.
    pub fn new_incr(&mut self, appendfilename: &str) -> String {
        self.incr_seq += 1;
        let name = format!("{appendfilename}.{}.incr.aof", self.incr_seq);
        self.incrs.push(FileInfo {
            name: name.clone(),
            seq: self.incr_seq,
            kind: FileKind::Incr,
        });
        name
    }

    /// After a rewrite: every incr file but the last (the one being written, if `keep_last`)
    /// becomes history, as Redis's `markRewrittenIncrAofAsHistory`.
    pub fn retire_incrs(&mut self, keep_last: bool) {
        let keep = if keep_last {
            self.incrs.len().min(1)
        } else {
            0
        };
        let retired: Vec<FileInfo> = self.incrs.drain(..self.incrs.len() - keep).collect();
        for (position, mut file) in retired.into_iter().enumerate() {
            file.kind = FileKind::History;
            self.history.insert(position, file);
        }
    }
}

/// C's `atoll`: leading digits (after an optional sign), 0 if there are none.
fn atoll(text: &[u8]) -> u64 {
    let digits = text.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&text[..digits])
        .ok()
        .and_then(|digits| digits.parse().ok())
        .unwrap_or(0)
}

fn trim(line: &[u8]) -> &[u8] {
    let blank = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let start = line.iter().position(|b| !blank(b)).unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|b| !blank(b))
        .map_or(start, |i| i + 1);
    &line[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_manifests_parse_and_format_back_identically() {
        let text = "file appendonly.aof.2.base.rdb seq 2 type b\n\
                    file appendonly.aof.1.incr.aof seq 1 type h\n\
                    file appendonly.aof.2.incr.aof seq 2 type i\n\
                    file appendonly.aof.3.incr.aof seq 3 type i\n";
        let manifest = Manifest::parse(text.as_bytes()).unwrap();
        assert_eq!(
            manifest.base.as_ref().unwrap().name,
            "appendonly.aof.2.base.rdb"
        );
        assert_eq!((manifest.base_seq, manifest.incr_seq), (2, 3));
        assert_eq!(manifest.incrs.len(), 2);
        assert_eq!(manifest.format(), text);
    }

    #[test]
    fn the_course_manifest_with_only_an_incr_file_parses() {
        let manifest = Manifest::parse(b"file Z.aof.1.incr.aof seq 1 type i\n").unwrap();
        assert!(manifest.base.is_none());
        assert_eq!(
            manifest
                .replay_order()
                .map(|f| &f.name[..])
                .collect::<Vec<_>>(),
            ["Z.aof.1.incr.aof"]
        );
    }

    #[test]
    fn a_rewrite_names_new_files_and_retires_old_ones() {
        let mut manifest = Manifest::default();
        assert_eq!(manifest.new_base("a.aof", true), "a.aof.1.base.rdb");
        assert_eq!(manifest.new_incr("a.aof"), "a.aof.1.incr.aof");
        // A rewrite: a new incr file at the start, a new base at the end.
        assert_eq!(manifest.new_incr("a.aof"), "a.aof.2.incr.aof");
        assert_eq!(manifest.new_base("a.aof", false), "a.aof.2.base.aof");
        manifest.retire_incrs(true);
        // Redis's order: each file turned into history goes to the head of the list, the old
        // base first, then the incr files (the last one first).
        assert_eq!(
            manifest.format(),
            "file a.aof.2.base.aof seq 2 type b\n\
             file a.aof.1.incr.aof seq 1 type h\n\
             file a.aof.1.base.rdb seq 1 type h\n\
             file a.aof.2.incr.aof seq 2 type i\n"
        );
    }

    #[test]
    fn names_that_need_quoting_are_quoted_and_read_back() {
        let mut manifest = Manifest::default();
        manifest.new_incr("my file.aof");
        let text = manifest.format();
        assert_eq!(text, "file \"my file.aof.1.incr.aof\" seq 1 type i\n");
        assert_eq!(Manifest::parse(text.as_bytes()).unwrap(), manifest);
    }

    #[test]
    fn bad_manifests_are_refused_with_redis_reasons() {
        let reason = |text: &str| Manifest::parse(text.as_bytes()).unwrap_err().reason;
        assert_eq!(reason(""), "Found an empty AOF manifest");
        assert_eq!(reason("file a seq 1\n"), "Invalid AOF manifest file format");
        assert_eq!(reason("\n"), "Invalid AOF manifest file format");
        assert_eq!(
            reason("file a/b seq 1 type i\n"),
            "File can't be a path, just a filename"
        );
        assert_eq!(reason("file a seq 1 type x\n"), "Unknown AOF file type");
        assert_eq!(
            reason("file a seq 2 type i\nfile b seq 1 type i\n"),
            "Found a non-monotonic sequence number"
        );
        assert_eq!(
            reason("file a seq 1 type b\nfile b seq 2 type b\n"),
            "Found duplicate base file information"
        );
        assert_eq!(
            reason(&format!("file {} seq 1 type i\n", "x".repeat(2000))),
            "The AOF manifest file contains too long line"
        );
        let error = Manifest::parse(b"# comment\nfile a seq 0 type i\n").unwrap_err();
        assert_eq!(error.line, Some((2, "file a seq 0 type i".to_string())));
    }
}

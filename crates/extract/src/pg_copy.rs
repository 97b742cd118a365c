//! Reading PostgreSQL's binary `COPY … TO STDOUT` stream: the fastest way to take a whole result out of PostgreSQL
//! (no row objects, no per-value type lookups; half the client CPU of the query protocol, see docs/PERFORMANCE.md).
//! Used for extractions without an ID list (a `COPY` cannot take bind parameters). The stream is a header, then
//! one tuple after another — a field count, and per field a length (−1 for NULL) and the value in the same binary
//! form a prepared statement returns — then a trailer of −1. Messages may split tuples anywhere; a tuple split
//! across two messages is put together before it is read.

use bytes::Bytes;

use super::{cell::Cell, decode::Kind, pg_binary};

/// The binary COPY signature.
const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// Why the stream could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The stream does not follow the binary COPY format.
    #[error("PostgreSQL's COPY stream is malformed: {0}")]
    Format(String),
    /// A value does not have its type's form.
    #[error(transparent)]
    Value(#[from] pg_binary::Malformed),
}

/// Tuples out of the messages of one binary COPY stream.
#[derive(Debug, Default)]
pub struct CopyReader {
    buf: Bytes,
    pos: usize,
    header_read: bool,
    ended: bool,
}

impl CopyReader {
    /// A reader waiting for the stream's first message.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add the next message of the stream.
    pub fn feed(&mut self, msg: Bytes) {
        if self.pos >= self.buf.len() {
            self.buf = msg;
        } else {
            // A tuple continues in this message: join the rest of the last one with it (rare; PostgreSQL sends a
            // message per tuple).
            let mut joined = Vec::with_capacity(self.buf.len() - self.pos + msg.len());
            joined.extend_from_slice(&self.buf[self.pos..]);
            joined.extend_from_slice(&msg);
            self.buf = Bytes::from(joined);
        }
        self.pos = 0;
    }

    /// Whether the trailer has been read.
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// Whether bytes are left that do not make a whole tuple.
    pub fn has_partial(&self) -> bool {
        self.pos < self.buf.len()
    }

    /// Read the next whole tuple into `cells` (one per kind). `Ok(false)` when the buffered bytes hold no whole
    /// tuple (feed more) or the trailer was reached (see [`CopyReader::ended`]).
    pub fn next_row(&mut self, kinds: &[Kind], cells: &mut [Cell]) -> Result<bool, CopyError> {
        if self.ended {
            return Ok(false);
        }
        let b = &self.buf[self.pos..];
        if !self.header_read {
            let Some(len) = header_len(b)? else {
                return Ok(false);
            };
            self.pos += len;
            self.header_read = true;
            return self.next_row(kinds, cells);
        }
        let Some(count) = b.get(..2).map(|c| i16::from_be_bytes([c[0], c[1]])) else {
            return Ok(false);
        };
        if count == -1 {
            self.ended = true;
            self.pos += 2;
            if self.pos != self.buf.len() {
                return Err(CopyError::Format("bytes after the trailer".into()));
            }
            return Ok(false);
        }
        if usize::try_from(count).ok() != Some(kinds.len()) {
            return Err(CopyError::Format(format!(
                "a tuple has {count} fields, the query {}",
                kinds.len()
            )));
        }
        // Check the whole tuple is here before touching any cell.
        let mut at = 2;
        for _ in 0..kinds.len() {
            let Some(len) = field_len(b, at)? else {
                return Ok(false);
            };
            at += 4 + len.unwrap_or(0);
            if at > b.len() {
                return Ok(false);
            }
        }
        let mut at = 2;
        for (slot, kind) in cells.iter_mut().zip(kinds) {
            match field_len(b, at)? {
                Some(Some(len)) => {
                    pg_binary::fill(slot, *kind, &b[at + 4..at + 4 + len])?;
                    at += 4 + len;
                }
                _ => {
                    *slot = Cell::Null;
                    at += 4;
                }
            }
        }
        self.pos += at;
        Ok(true)
    }
}

/// The length of the stream header, `None` if it is not all here yet.
fn header_len(b: &[u8]) -> Result<Option<usize>, CopyError> {
    if b.len() < 19 {
        return Ok(None);
    }
    if &b[..11] != SIGNATURE {
        return Err(CopyError::Format("no binary COPY signature".into()));
    }
    let ext = u32::from_be_bytes([b[15], b[16], b[17], b[18]]) as usize;
    Ok((b.len() >= 19 + ext).then_some(19 + ext))
}

/// The length of the field at `at`: `None` if its length word is not all here, `Some(None)` for NULL.
fn field_len(b: &[u8], at: usize) -> Result<Option<Option<usize>>, CopyError> {
    let Some(w) = b.get(at..at + 4) else {
        return Ok(None);
    };
    match i32::from_be_bytes([w[0], w[1], w[2], w[3]]) {
        -1 => Ok(Some(None)),
        n => usize::try_from(n)
            .map(|n| Some(Some(n)))
            .map_err(|_| CopyError::Format(format!("a field length of {n}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(tuples: &[&[Option<&[u8]>]]) -> Vec<u8> {
        let mut s = SIGNATURE.to_vec();
        s.extend_from_slice(&0u32.to_be_bytes());
        s.extend_from_slice(&0u32.to_be_bytes());
        for t in tuples {
            s.extend_from_slice(&(t.len() as i16).to_be_bytes());
            for f in *t {
                match f {
                    Some(v) => {
                        s.extend_from_slice(&(v.len() as i32).to_be_bytes());
                        s.extend_from_slice(v);
                    }
                    None => s.extend_from_slice(&(-1i32).to_be_bytes()),
                }
            }
        }
        s.extend_from_slice(&(-1i16).to_be_bytes());
        s
    }

    fn read_all(
        messages: Vec<Vec<u8>>,
        kinds: &[Kind],
    ) -> Result<(Vec<Vec<Cell>>, bool), CopyError> {
        let mut r = CopyReader::new();
        let mut cells = vec![Cell::Null; kinds.len()];
        let mut rows = Vec::new();
        for m in messages {
            r.feed(Bytes::from(m));
            while r.next_row(kinds, &mut cells)? {
                rows.push(cells.clone());
            }
        }
        Ok((rows, r.ended() && !r.has_partial()))
    }

    #[test]
    fn tuples_are_read_wherever_messages_split_them() -> Result<(), CopyError> {
        let kinds = [Kind::I32, Kind::Text];
        let s = stream(&[
            &[Some(&7i32.to_be_bytes()), Some(b"ana")],
            &[Some(&8i32.to_be_bytes()), None],
        ]);
        let expected = vec![
            vec![Cell::Int(7), Cell::Text("ana".into())],
            vec![Cell::Int(8), Cell::Null],
        ];
        // Every split point, and one message per byte.
        for cut in 0..s.len() {
            let (rows, done) = read_all(vec![s[..cut].to_vec(), s[cut..].to_vec()], &kinds)?;
            assert_eq!((rows, done), (expected.clone(), true), "cut at {cut}");
        }
        let bytes: Vec<Vec<u8>> = s.iter().map(|b| vec![*b]).collect();
        assert_eq!(read_all(bytes, &kinds)?, (expected, true));
        Ok(())
    }

    #[test]
    fn malformed_streams_are_refused() {
        let kinds = [Kind::I32];
        let wrong_count = stream(&[&[Some(&1i32.to_be_bytes()), None]]);
        assert!(matches!(
            read_all(vec![wrong_count], &kinds),
            Err(CopyError::Format(m)) if m.contains("2 fields")
        ));
        let bad_value = stream(&[&[Some(b"xy")]]);
        assert!(matches!(
            read_all(vec![bad_value], &kinds),
            Err(CopyError::Value(_))
        ));
        assert!(read_all(vec![b"PGCOPY\nnot it at all".to_vec()], &kinds).is_err());
        let mut after = stream(&[]);
        after.push(0);
        assert!(read_all(vec![after], &kinds).is_err());
        let mut negative = stream(&[]);
        negative.truncate(negative.len() - 2);
        negative.extend_from_slice(&1i16.to_be_bytes());
        negative.extend_from_slice(&(-5i32).to_be_bytes());
        assert!(read_all(vec![negative], &kinds).is_err());
    }

    #[test]
    fn a_truncated_stream_is_not_complete() -> Result<(), CopyError> {
        let s = stream(&[&[Some(&1i32.to_be_bytes())]]);
        let (rows, done) = read_all(vec![s[..s.len() - 1].to_vec()], &[Kind::I32])?;
        assert_eq!(rows.len(), 1);
        assert!(!done);
        Ok(())
    }
}

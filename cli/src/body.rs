//! Message bodies as streams: never read whole, fed to the guard in fixed chunks.

use std::io::{self, Read};
use std::ops::ControlFlow;

/// Size of each chunk handed to `Guard::feed`.
pub const CHUNK: usize = 64 * 1024;

/// Where a body comes from.
pub enum Body<'a> {
    /// No body (zero bytes).
    Empty,
    /// Bytes already in memory (inline corpus bodies).
    Bytes(&'a [u8]),
    /// A stream (file or stdin), read in [`CHUNK`]-byte pieces.
    Reader(Box<dyn Read + 'a>),
}

impl Body<'_> {
    /// Calls `sink` with every chunk of the body, in order, each at most [`CHUNK`] bytes
    /// (an empty body produces no chunk), until the body ends or `sink` breaks: the
    /// rest is then not read (an endless stream ends there). Memory stays bounded by
    /// one chunk.
    pub fn for_each_chunk(self, mut sink: impl FnMut(&[u8]) -> ControlFlow<()>) -> io::Result<()> {
        match self {
            Body::Empty => Ok(()),
            Body::Bytes(b) => {
                let _ = b.chunks(CHUNK).try_for_each(sink);
                Ok(())
            }
            Body::Reader(mut r) => {
                let mut buf = vec![0u8; CHUNK];
                loop {
                    match r.read(&mut buf) {
                        Ok(0) => return Ok(()),
                        Ok(n) => {
                            if sink(&buf[..n]).is_break() {
                                return Ok(());
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_is_cut_into_bounded_chunks_in_order() {
        let data: Vec<u8> = (0..(CHUNK * 2 + 17)).map(|i| i as u8).collect();
        let mut got = Vec::new();
        let mut max = 0;
        Body::Reader(Box::new(&data[..]))
            .for_each_chunk(|c| {
                max = max.max(c.len());
                got.extend_from_slice(c);
                ControlFlow::Continue(())
            })
            .unwrap();
        assert_eq!(got, data);
        assert!(max <= CHUNK);
    }

    #[test]
    fn empty_body_has_no_chunk() {
        let mut n = 0;
        let mut count = |_: &[u8]| {
            n += 1;
            ControlFlow::Continue(())
        };
        Body::Empty.for_each_chunk(&mut count).unwrap();
        Body::Bytes(b"").for_each_chunk(&mut count).unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn an_endless_stream_stops_when_the_sink_breaks() {
        let mut n = 0;
        Body::Reader(Box::new(io::repeat(b'x')))
            .for_each_chunk(|_| {
                n += 1;
                if n == 3 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            })
            .unwrap();
        assert_eq!(n, 3);
    }
}

//! Compression detected by magic bytes (not by file name), and a bound on how
//! much a compressed input may expand to.

use std::io::{self, BufRead, Read};

/// The compression of an input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// Not compressed.
    None,
    /// gzip, including concatenated members (`MultiGzDecoder`).
    Gzip,
    /// Zstandard.
    Zstd,
    /// xz.
    Xz,
    /// bzip2, including concatenated streams.
    Bzip2,
}

impl Compression {
    /// Recognizes a compressed stream from its first bytes.
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Compression::Xz
        } else if head.starts_with(b"BZh") && head.get(3).is_some_and(|d| (b'1'..=b'9').contains(d))
        {
            Compression::Bzip2
        } else {
            Compression::None
        }
    }

    /// Wraps `input` in the matching decoder.
    pub fn decoder<'r, R: BufRead + Send + 'r>(
        self,
        input: R,
    ) -> io::Result<Box<dyn Read + Send + 'r>> {
        Ok(match self {
            Compression::None => Box::new(input),
            Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(input)),
            Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(input)?),
            Compression::Xz => Box::new(liblzma::bufread::XzDecoder::new_multi_decoder(input)),
            Compression::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(input)),
        })
    }
}

/// Stops a decompressed stream with an error once it passes `limit` bytes,
/// so that a decompression bomb ends as a reported error, not a full disk of
/// work.
pub struct Limited<R> {
    inner: R,
    remaining: u64,
    limit: u64,
    /// The flag that set the limit, named in the error.
    flag: &'static str,
}

impl<R> Limited<R> {
    /// Allows at most `limit` bytes through; `flag` is the option that set it.
    pub fn new(inner: R, limit: u64, flag: &'static str) -> Limited<R> {
        Limited {
            inner,
            remaining: limit,
            limit,
            flag,
        }
    }
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 {
            return Err(io::Error::other(format!(
                "decompressed size exceeds the limit of {} bytes ({}); the rest of this input was not read",
                self.limit, self.flag
            )));
        }
        let cap = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..cap])?;
        self.remaining -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn round_trip(compression: Compression, data: &[u8]) -> Vec<u8> {
        let compressed = match compression {
            Compression::Gzip => {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            Compression::Zstd => zstd::encode_all(data, 1).unwrap(),
            Compression::Xz => {
                let mut e = liblzma::write::XzEncoder::new(Vec::new(), 1);
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            Compression::Bzip2 => {
                let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            Compression::None => data.to_vec(),
        };
        assert_eq!(Compression::sniff(&compressed), compression);
        let mut out = Vec::new();
        compression
            .decoder(&compressed[..])
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn every_codec_round_trips_and_is_recognized_by_content() {
        let data = b"Nov 28 22:39:29 auth: Info: hello\n".repeat(100);
        for c in [
            Compression::None,
            Compression::Gzip,
            Compression::Zstd,
            Compression::Xz,
            Compression::Bzip2,
        ] {
            assert_eq!(round_trip(c, &data), data, "{c:?}");
        }
    }

    #[test]
    fn the_limit_turns_a_bomb_into_an_error() {
        let mut limited = Limited::new(io::repeat(0), 1000, "--max-decompressed");
        let mut out = Vec::new();
        let err = limited.read_to_end(&mut out).unwrap_err();
        assert!(err.to_string().contains("limit"));
        assert_eq!(out.len(), 1000);
    }
}

//! Detect a compression format by its magic bytes (never by file name) and decompress with a
//! hard bound on the output size, so a hostile input cannot exhaust memory.

use std::io::Read;

/// A container format recognised by its leading bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Plain,
    Gzip,
    Xz,
    Zstd,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Plain => "plain",
            Format::Gzip => "gzip",
            Format::Xz => "xz",
            Format::Zstd => "zstd",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{format} data is corrupt or truncated: {source}")]
    Corrupt {
        format: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("decompressed {format} data exceeds the limit of {limit} bytes")]
    TooLarge { format: &'static str, limit: u64 },
}

/// Sniff the format from the first bytes of `data`.
pub fn detect(data: &[u8]) -> Format {
    if data.starts_with(&[0x1f, 0x8b]) {
        Format::Gzip
    } else if data.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
        Format::Xz
    } else if data.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Format::Zstd
    } else {
        Format::Plain
    }
}

/// Decompress `data` (whatever its detected format) into a buffer of at most `limit` bytes.
/// Plain data is returned as is (copied) when it fits the limit.
pub fn decompress(data: &[u8], limit: u64) -> Result<(Format, Vec<u8>), Error> {
    let format = detect(data);
    let out = match format {
        Format::Plain => {
            if data.len() as u64 > limit {
                return Err(Error::TooLarge {
                    format: format.name(),
                    limit,
                });
            }
            data.to_vec()
        }
        Format::Gzip => read_bounded(flate2::read::MultiGzDecoder::new(data), format, limit)?,
        Format::Xz => read_bounded(liblzma::read::XzDecoder::new_multi_decoder(data), format, limit)?,
        Format::Zstd => {
            let dec = zstd::stream::read::Decoder::with_buffer(data).map_err(|source| {
                Error::Corrupt {
                    format: format.name(),
                    source,
                }
            })?;
            read_bounded(dec, format, limit)?
        }
    };
    Ok((format, out))
}

fn read_bounded<R: Read>(reader: R, format: Format, limit: u64) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    // Read one byte past the limit so that "exactly the limit" and "more" can be told apart.
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|source| Error::Corrupt {
            format: format.name(),
            source,
        })?;
    if out.len() as u64 > limit {
        return Err(Error::TooLarge {
            format: format.name(),
            limit,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn detects_by_content_and_round_trips() {
        let text = b"CONFIG_MODULES=y\n".repeat(100);
        let gz = gzip(&text);
        let xz = {
            let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
            e.write_all(&text).unwrap();
            e.finish().unwrap()
        };
        let zst = zstd::encode_all(&text[..], 3).unwrap();
        for (bytes, fmt) in [
            (&text[..], Format::Plain),
            (&gz[..], Format::Gzip),
            (&xz[..], Format::Xz),
            (&zst[..], Format::Zstd),
        ] {
            let (got, out) = decompress(bytes, 1 << 20).unwrap();
            assert_eq!(got, fmt);
            assert_eq!(out, text);
        }
    }

    #[test]
    fn truncated_gzip_is_an_error() {
        let gz = gzip(&b"CONFIG_X=y\n".repeat(1000));
        let err = decompress(&gz[..gz.len() / 2], 1 << 20).unwrap_err();
        assert!(matches!(err, Error::Corrupt { format: "gzip", .. }), "{err}");
    }

    #[test]
    fn output_is_bounded() {
        let gz = gzip(&vec![b'a'; 10_000]);
        let err = decompress(&gz, 9_999).unwrap_err();
        assert!(matches!(err, Error::TooLarge { limit: 9_999, .. }));
        assert_eq!(decompress(&gz, 10_000).unwrap().1.len(), 10_000);
    }
}

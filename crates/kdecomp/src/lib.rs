//! Detect a compression format by its magic bytes (never by file name) and decompress with a
//! hard bound on the output size, so a hostile input cannot exhaust memory. Also compress, the
//! way the kernel's `modules_install` compresses modules, so a signed module can be put back in
//! the format it came in.

use std::io::{Read, Write};

mod lz4legacy;

/// A container format recognised by its leading bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Plain,
    Gzip,
    Xz,
    Zstd,
    /// The legacy `.lzma` ("LZMA alone") format, as in `CONFIG_KERNEL_LZMA` images.
    Lzma,
    /// LZ4, either the frame format or the legacy format `lz4 -l` writes for kernel images.
    Lz4,
    Bzip2,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Plain => "plain",
            Format::Gzip => "gzip",
            Format::Xz => "xz",
            Format::Zstd => "zstd",
            Format::Lzma => "lzma",
            Format::Lz4 => "lz4",
            Format::Bzip2 => "bzip2",
        }
    }

    /// Every compressed format, in the order a magic-number scan should try them.
    pub const COMPRESSED: [Format; 6] = [
        Format::Gzip,
        Format::Xz,
        Format::Zstd,
        Format::Lzma,
        Format::Lz4,
        Format::Bzip2,
    ];

    /// Leading bytes that identify the format (one of several for LZ4).
    pub fn magics(self) -> &'static [&'static [u8]] {
        match self {
            Format::Plain => &[],
            Format::Gzip => &[&[0x1f, 0x8b, 0x08]],
            Format::Xz => &[&[0xfd, b'7', b'z', b'X', b'Z', 0x00]],
            Format::Zstd => &[&[0x28, 0xb5, 0x2f, 0xfd]],
            // Properties byte 0x5d (lc=3 lp=0 pb=2, what every lzma(1) writes) and a dictionary
            // size whose low two bytes are zero (a power of two of at least 64 KiB).
            Format::Lzma => &[&[0x5d, 0x00, 0x00]],
            Format::Lz4 => &[&lz4legacy::FRAME_MAGIC, &lz4legacy::LEGACY_MAGIC],
            Format::Bzip2 => &[b"BZh"],
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
    #[error("compressing to {format} is not supported")]
    CompressUnsupported { format: &'static str },
    #[error("{format} compression failed: {source}")]
    Compress {
        format: &'static str,
        #[source]
        source: std::io::Error,
    },
}

/// The most memory an xz or lzma decoder may take for its dictionary and state. The header of
/// the data sets the dictionary size (up to 4 GiB for lzma), and liblzma allocates it before
/// reading anything (address space: the pages it never writes are never resident). Kernels
/// ask for up to 128 MiB: `scripts/xz_wrap.sh` writes `--lzma2=dict=32MiB` in Linux 6.1 and
/// `dict=128MiB` in 7.x (every arch; the kernel's own decompressor never allocates it, it
/// writes straight into the output); `lzma -9` 64 MiB, module compression 1 MiB. 128 MiB of
/// dictionary plus liblzma's state fits; data that needs more is refused as corrupt ("memory
/// usage limit reached").
pub const DECODER_MEMORY: u64 = 136 << 20;

/// Sniff the format from the first bytes of `data`.
pub fn detect(data: &[u8]) -> Format {
    for format in Format::COMPRESSED {
        if format.magics().iter().any(|m| data.starts_with(m)) {
            // "BZh" alone is too weak: the block size digit must follow.
            if format == Format::Bzip2 && !matches!(data.get(3), Some(b'1'..=b'9')) {
                continue;
            }
            return format;
        }
    }
    Format::Plain
}

/// Decompress `data` (whatever its detected format) into a buffer of at most `limit` bytes.
/// Plain data is returned as is (copied) when it fits the limit. Concatenated gzip, xz and
/// bzip2 members are all read.
pub fn decompress(data: &[u8], limit: u64) -> Result<(Format, Vec<u8>), Error> {
    let format = detect(data);
    let hint = size_hint(data).unwrap_or(0);
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
        Format::Gzip => {
            read_bounded_sized(flate2::read::MultiGzDecoder::new(data), format, limit, hint)?
        }
        Format::Xz => xz_whole(data, limit, hint)?,
        Format::Bzip2 => read_bounded(bzip2::read::MultiBzDecoder::new(data), format, limit)?,
        Format::Zstd | Format::Lzma | Format::Lz4 => {
            read_bounded_sized(stream_decoder(format, data)?, format, limit, hint)?
        }
    };
    Ok((format, out))
}

/// A reader over the decompressed bytes of the single stream (member, frame) at the start of
/// `data`. It stops at the end of that stream and ignores what follows, such as the 4-byte
/// length the kernel build appends to a compressed kernel payload. The caller bounds how much
/// it reads (`Read::take`).
pub fn reader(data: &[u8]) -> Result<(Format, Box<dyn Read + Send + '_>), Error> {
    let format = detect(data);
    let r: Box<dyn Read + Send + '_> = match format {
        Format::Plain => Box::new(data),
        Format::Gzip => Box::new(flate2::read::GzDecoder::new(data)),
        Format::Xz => Box::new(liblzma::read::XzDecoder::new_stream(
            data,
            liblzma::stream::Stream::new_stream_decoder(DECODER_MEMORY, 0)
                .map_err(|e| corrupt(format, e.into()))?,
        )),
        Format::Bzip2 => Box::new(bzip2::read::BzDecoder::new(data)),
        Format::Zstd => Box::new(
            zstd::stream::read::Decoder::with_buffer(data)
                .map_err(|source| corrupt(format, source))?
                .single_frame(),
        ),
        Format::Lzma | Format::Lz4 => stream_decoder(format, data)?,
    };
    Ok((format, r))
}

fn stream_decoder(format: Format, data: &[u8]) -> Result<Box<dyn Read + Send + '_>, Error> {
    Ok(match format {
        Format::Zstd => Box::new(
            zstd::stream::read::Decoder::with_buffer(data)
                .map_err(|source| corrupt(format, source))?,
        ),
        Format::Lzma => {
            let stream = liblzma::stream::Stream::new_lzma_decoder(DECODER_MEMORY)
                .map_err(|e| corrupt(format, e.into()))?;
            Box::new(liblzma::read::XzDecoder::new_stream(data, stream))
        }
        Format::Lz4 => {
            if data.starts_with(&lz4legacy::LEGACY_MAGIC) {
                Box::new(lz4legacy::LegacyReader::new(data))
            } else {
                Box::new(lz4_flex::frame::FrameDecoder::new(data))
            }
        }
        other => {
            return reader(data).map(|(_, r)| r).map_err(|e| match e {
                Error::Corrupt { source, .. } => corrupt(other, source),
                e => e,
            })
        }
    })
}

fn corrupt(format: Format, source: std::io::Error) -> Error {
    Error::Corrupt {
        format: format.name(),
        source,
    }
}

/// The decompressed size the container itself declares, when it does: the gzip trailer's
/// ISIZE (single member), the xz index, the zstd frame header. Only a hint for sizing buffers:
/// a hostile file can lie, and the output limit still applies.
pub fn size_hint(data: &[u8]) -> Option<u64> {
    match detect(data) {
        Format::Plain => Some(data.len() as u64),
        Format::Gzip => {
            let t: [u8; 4] = data.get(data.len().checked_sub(4)?..)?.try_into().ok()?;
            Some(u32::from_le_bytes(t) as u64)
        }
        Format::Xz => xz_index_size(data),
        Format::Zstd => zstd::zstd_safe::get_frame_content_size(data).ok().flatten(),
        _ => None,
    }
}

/// Sum of the uncompressed sizes in the index of the last xz stream (xz file format 1.0.4,
/// sections 2.1.2 and 4).
fn xz_index_size(data: &[u8]) -> Option<u64> {
    let footer = data.get(data.len().checked_sub(12)?..)?;
    if &footer[10..12] != b"YZ" {
        return None;
    }
    let backward = u32::from_le_bytes(footer[4..8].try_into().ok()?) as usize;
    let index_len = backward.checked_add(1)?.checked_mul(4)?;
    let start = data.len().checked_sub(12)?.checked_sub(index_len)?;
    let index = data.get(start..start + index_len)?;
    if index.first() != Some(&0) {
        return None;
    }
    let mut pos = 1;
    let mut vli = || -> Option<u64> {
        let mut v: u64 = 0;
        for i in 0..9 {
            let b = *index.get(pos)?;
            pos += 1;
            v |= ((b & 0x7f) as u64) << (7 * i);
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    };
    let records = vli()?;
    let mut total: u64 = 0;
    for _ in 0..records.min(1 << 20) {
        let _unpadded = vli()?;
        total = total.checked_add(vli()?)?;
    }
    Some(total)
}

/// xz in one pass of liblzma over the whole input, straight into the output buffer: the
/// `Read` adapter's extra copies cost about a quarter of the time on modules.
fn xz_whole(data: &[u8], limit: u64, hint: u64) -> Result<Vec<u8>, Error> {
    use liblzma::stream::{Action, Status, Stream, CONCATENATED};
    let fail = |e: liblzma::stream::Error| corrupt(Format::Xz, e.into());
    let mut stream = Stream::new_stream_decoder(DECODER_MEMORY, CONCATENATED).map_err(fail)?;
    let mut out: Vec<u8> = Vec::with_capacity(hint.min(limit).max(4096) as usize);
    loop {
        let consumed = stream.total_in() as usize;
        let status = stream
            .process_vec(&data[consumed..], &mut out, Action::Finish)
            .map_err(fail)?;
        if out.len() as u64 > limit {
            return Err(Error::TooLarge {
                format: Format::Xz.name(),
                limit,
            });
        }
        match status {
            Status::StreamEnd => return Ok(out),
            _ if out.len() < out.capacity() && stream.total_in() as usize == data.len() => {
                // All input consumed, room left, and no end of stream: truncated.
                return Err(corrupt(
                    Format::Xz,
                    std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "xz stream is truncated",
                    ),
                ));
            }
            _ => {
                if out.len() == out.capacity() {
                    let grow = out.capacity().max(1 << 16);
                    // reserve_exact: reserve() may double past the limit.
                    out.reserve_exact(
                        grow.min((limit + 1).saturating_sub(out.len() as u64) as usize)
                            .max(1),
                    );
                }
            }
        }
    }
}

fn read_bounded<R: Read>(reader: R, format: Format, limit: u64) -> Result<Vec<u8>, Error> {
    read_bounded_sized(reader, format, limit, 0)
}

fn read_bounded_sized<R: Read>(
    reader: R,
    format: Format,
    limit: u64,
    hint: u64,
) -> Result<Vec<u8>, Error> {
    // At most limit + 1 bytes are ever allocated: `read_to_end` would double the buffer past
    // the limit (a 512 MiB limit could cost 1 GiB), so the buffer grows here, exactly. One
    // byte past the limit tells "exactly the limit" from "more".
    let max = usize::try_from(limit.saturating_add(1)).unwrap_or(usize::MAX);
    let mut out: Vec<u8> = Vec::with_capacity(usize::try_from(hint).unwrap_or(max).min(max));
    let mut reader = reader.take(max as u64);
    loop {
        if out.len() == out.capacity() {
            let grow = out.capacity().max(1 << 16).min(max - out.len());
            if grow == 0 {
                break;
            }
            out.reserve_exact(grow);
        }
        // Zero at most 1 MiB ahead: zeroing all the spare room for every small read would
        // make the whole loop quadratic.
        let len = out.len();
        out.resize((len + (1 << 20)).min(out.capacity()), 0);
        match reader.read(&mut out[len..]) {
            Ok(0) => {
                out.truncate(len);
                break;
            }
            Ok(n) => out.truncate(len + n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => out.truncate(len),
            Err(source) => return Err(corrupt(format, source)),
        }
    }
    if out.len() as u64 > limit {
        return Err(Error::TooLarge {
            format: format.name(),
            limit,
        });
    }
    Ok(out)
}

/// Compress `data` the way linux-6.1 `scripts/Makefile.modinst` compresses modules:
/// `gzip -n` (level 6, no name, no time stamp), `xz --check=crc32 --lzma2=dict=1MiB` (the
/// in-kernel xz decoder only knows CRC32) and `zstd` at its default level 3. `Plain` returns a
/// copy. LZMA, LZ4 and bzip2 are decompression-only here: modules are never shipped in them.
pub fn compress(format: Format, data: &[u8]) -> Result<Vec<u8>, Error> {
    let fail = |source: std::io::Error| Error::Compress {
        format: format.name(),
        source,
    };
    match format {
        Format::Plain => Ok(data.to_vec()),
        Format::Gzip => {
            let mut e = flate2::GzBuilder::new()
                .mtime(0)
                .operating_system(3)
                .write(Vec::new(), flate2::Compression::new(6));
            e.write_all(data).map_err(fail)?;
            e.finish().map_err(fail)
        }
        Format::Xz => {
            let mut opts =
                liblzma::stream::LzmaOptions::new_preset(6).map_err(|e| fail(e.into()))?;
            opts.dict_size(1 << 20);
            let mut filters = liblzma::stream::Filters::new();
            filters.lzma2(&opts);
            let stream = liblzma::stream::Stream::new_stream_encoder(
                &filters,
                liblzma::stream::Check::Crc32,
            )
            .map_err(|e| fail(e.into()))?;
            let mut e = liblzma::write::XzEncoder::new_stream(Vec::new(), stream);
            e.write_all(data).map_err(fail)?;
            e.finish().map_err(fail)
        }
        Format::Zstd => zstd::stream::encode_all(data, 3).map_err(fail),
        Format::Lzma | Format::Lz4 | Format::Bzip2 => Err(Error::CompressUnsupported {
            format: format.name(),
        }),
    }
}

#[cfg(test)]
mod tests;

//! The legacy LZ4 format (`lz4 -l`), which the kernel uses for `CONFIG_KERNEL_LZ4` images:
//! a magic number, then blocks each preceded by their compressed size (u32, little endian),
//! each decompressing to at most 8 MiB. lz4_flex reads only the frame format, so the framing
//! is done here and lz4_flex decodes the blocks.

use std::io::{self, Read};

pub const LEGACY_MAGIC: [u8; 4] = [0x02, 0x21, 0x4c, 0x18];
pub const FRAME_MAGIC: [u8; 4] = [0x04, 0x22, 0x4d, 0x18];
const BLOCK_MAX: usize = 8 << 20;

pub struct LegacyReader<'a> {
    input: &'a [u8],
    block: Vec<u8>,
    pos: usize,
    blocks_read: usize,
}

impl<'a> LegacyReader<'a> {
    pub fn new(input: &'a [u8]) -> Self {
        LegacyReader {
            input: &input[LEGACY_MAGIC.len().min(input.len())..],
            block: Vec::new(),
            pos: 0,
            blocks_read: 0,
        }
    }

    /// Decode the next block into `self.block`; false at the end of the stream.
    fn next_block(&mut self) -> io::Result<bool> {
        loop {
            if self.input.len() < 4 {
                return self.end();
            }
            let size =
                u32::from_le_bytes([self.input[0], self.input[1], self.input[2], self.input[3]]);
            if size.to_le_bytes() == LEGACY_MAGIC {
                // A concatenated legacy stream starts again.
                self.input = &self.input[4..];
                continue;
            }
            let size = size as usize;
            if size > self.input.len() - 4 {
                // The kernel build appends the uncompressed size (4 bytes) after the stream; it
                // reads as an impossible block size. Anything else is a truncated block.
                if self.input.len() == 4 {
                    return self.end();
                }
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "legacy lz4 block is truncated",
                ));
            }
            let compressed = &self.input[4..4 + size];
            self.input = &self.input[4 + size..];
            self.block.resize(BLOCK_MAX, 0);
            let n = lz4_flex::block::decompress_into(compressed, &mut self.block)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
            self.block.truncate(n);
            self.pos = 0;
            self.blocks_read += 1;
            return Ok(true);
        }
    }

    fn end(&mut self) -> io::Result<bool> {
        if self.blocks_read == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "legacy lz4 stream holds no complete block",
            ));
        }
        self.input = &[];
        Ok(false)
    }
}

impl Read for LegacyReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.block.len() {
            if !self.next_block()? {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.block.len() - self.pos);
        buf[..n].copy_from_slice(&self.block[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

//! zstd layers (`application/vnd.oci.image.layer.v1.tar+zstd`), decoded
//! by ruzstd in pure Rust so the binary stays static. A stream may hold
//! several frames (`zstd -T0` and pzstd write them) and skippable frames;
//! ruzstd's streaming decoder reads one frame, so frames are chained here.

use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};
use std::io::{self, BufRead, BufReader, Read};

/// The decoder's window limit: a frame that asks for more is refused
/// rather than allowed to allocate without bound (zstd's own default
/// limit for decoding is 128 MiB as well).
const MAX_WINDOW: u64 = 128 << 20;

/// The decompressed bytes of every frame of a zstd stream, in order.
pub struct ZstdReader<R: Read> {
    source: BufReader<R>,
    decoder: FrameDecoder,
    /// Whether a frame is being decoded (else the next one starts here).
    in_frame: bool,
}

impl<R: Read> ZstdReader<R> {
    pub fn new(source: R) -> ZstdReader<R> {
        let mut decoder = FrameDecoder::new();
        decoder.set_max_window_size(MAX_WINDOW);
        ZstdReader {
            source: BufReader::with_capacity(128 << 10, source),
            decoder,
            in_frame: false,
        }
    }

    /// Starts the next data frame, skipping skippable ones; false at the
    /// end of the stream.
    fn next_frame(&mut self) -> io::Result<bool> {
        loop {
            if self.source.fill_buf()?.is_empty() {
                return Ok(false);
            }
            match self.decoder.reset(&mut self.source) {
                Ok(()) => return Ok(true),
                Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                    length,
                    ..
                })) => {
                    let skipped = io::copy(
                        &mut (&mut self.source).take(u64::from(length)),
                        &mut io::sink(),
                    )?;
                    if skipped != u64::from(length) {
                        return Err(invalid("zstd: truncated skippable frame"));
                    }
                }
                Err(error) => return Err(invalid(&format!("zstd: {error}"))),
            }
        }
    }
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_string())
}

impl<R: Read> Read for ZstdReader<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        if buffer.is_empty() {
            return Ok(0);
        }
        loop {
            if !self.in_frame {
                if !self.next_frame()? {
                    return Ok(0);
                }
                self.in_frame = true;
            }
            while self.decoder.can_collect() == 0 && !self.decoder.is_finished() {
                self.decoder
                    .decode_blocks(&mut self.source, BlockDecodingStrategy::UptoBlocks(1))
                    .map_err(|e| invalid(&format!("zstd: {e}")))?;
            }
            let n = self.decoder.read(buffer)?;
            if n > 0 {
                return Ok(n);
            }
            // This frame is done and drained: on to the next one.
            self.in_frame = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `printf 'hello ' | zstd -c` and `printf 'world' | zstd -c`, made
    /// with the zstd CLI (a checksum, no content size).
    const HELLO: &[u8] = &[
        0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x58, 0x31, 0x00, 0x00, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x20,
        0xd2, 0x3b, 0xe1, 0xa9,
    ];
    const WORLD: &[u8] = &[
        0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x58, 0x29, 0x00, 0x00, 0x77, 0x6f, 0x72, 0x6c, 0x64, 0xef,
        0x51, 0xee, 0x66,
    ];

    fn decode(bytes: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        ZstdReader::new(bytes).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn frames_are_chained_and_skippable_frames_skipped() {
        assert_eq!(decode(HELLO).unwrap(), b"hello ");
        let mut stream = HELLO.to_vec();
        // A skippable frame: magic 0x184D2A50, length 3, three bytes.
        stream.extend_from_slice(&[0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
        stream.extend_from_slice(WORLD);
        assert_eq!(decode(&stream).unwrap(), b"hello world");
        assert_eq!(decode(&[]).unwrap(), b"");
    }

    #[test]
    fn truncated_or_foreign_streams_are_errors() {
        assert!(decode(&HELLO[..10]).is_err());
        assert!(decode(b"not zstd at all").is_err());
        let mut skippable = vec![0x50, 0x2a, 0x4d, 0x18, 9, 0, 0, 0, 1];
        assert!(decode(&skippable).is_err());
        skippable.truncate(4);
        assert!(decode(&skippable).is_err());
    }
}

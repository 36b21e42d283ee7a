//! The shim's socket protocol: frames of `[kind u8][length u32 BE][payload]`
//! both ways. A client first sends `Hello` (payload `[1]` to receive the
//! output, `[0]` not to) and waits for the shim's `Hello`: from then on it
//! is registered and misses no output.

use std::io::{self, Read, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    Stdin = 0,
    Stdout = 1,
    Stderr = 2,
    /// Shim to client: the container's final [`super::ShimState`] as JSON.
    Exit = 3,
    Hello = 4,
    CloseStdin = 5,
    /// `[height u16 BE][width u16 BE]`.
    Resize = 6,
    /// `[signal i32 BE]`.
    Signal = 7,
    /// Client to shim: let the created container run. Shim to client:
    /// `Started` with the pid as i32 BE, or `Failed` with the message.
    Start = 8,
    Started = 9,
    Failed = 10,
}

impl Kind {
    fn from_byte(byte: u8) -> Option<Kind> {
        use Kind::*;
        [
            Stdin, Stdout, Stderr, Exit, Hello, CloseStdin, Resize, Signal, Start, Started, Failed,
        ]
        .into_iter()
        .find(|kind| *kind as u8 == byte)
    }
}

/// The largest payload either side accepts.
pub const MAX_PAYLOAD: usize = 1 << 20;

pub fn encode(kind: Kind, payload: &[u8]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(5 + payload.len());
    frame.push(kind as u8);
    frame.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    frame.extend_from_slice(payload);
    frame
}

pub fn write_frame(writer: &mut impl Write, kind: Kind, payload: &[u8]) -> io::Result<()> {
    writer.write_all(&encode(kind, payload))
}

/// The next frame, or `None` at a clean end of stream.
pub fn read_frame(reader: &mut impl Read) -> io::Result<Option<(Kind, Vec<u8>)>> {
    let mut head = [0u8; 5];
    let mut filled = 0;
    while filled < head.len() {
        match reader.read(&mut head[filled..]) {
            Ok(0) if filled == 0 => return Ok(None),
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let kind = Kind::from_byte(head[0]).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("shim frame of unknown kind {}", head[0]),
        )
    })?;
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if len > MAX_PAYLOAD {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("shim frame of {len} bytes is too large"),
        ));
    }
    let mut payload = vec![0u8; len];
    reader.read_exact(&mut payload)?;
    Ok(Some((kind, payload)))
}

pub fn be_i32(payload: &[u8]) -> Option<i32> {
    Some(i32::from_be_bytes(payload.get(..4)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_end_cleanly() {
        let mut wire = encode(Kind::Stdout, b"hi\n");
        wire.extend(encode(Kind::Signal, &15i32.to_be_bytes()));
        let mut reader = &wire[..];
        assert_eq!(
            read_frame(&mut reader).unwrap(),
            Some((Kind::Stdout, b"hi\n".to_vec()))
        );
        let (kind, payload) = read_frame(&mut reader).unwrap().unwrap();
        assert_eq!((kind, be_i32(&payload)), (Kind::Signal, Some(15)));
        assert_eq!(read_frame(&mut reader).unwrap(), None);
    }

    #[test]
    fn truncated_and_unknown_frames_are_errors() {
        let wire = encode(Kind::Stdout, b"hello");
        assert!(read_frame(&mut &wire[..7]).is_err());
        assert!(read_frame(&mut &[99u8, 0, 0, 0, 0][..]).is_err());
    }
}

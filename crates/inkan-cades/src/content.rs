//! The signed content, in memory or as a file read in chunks: a detached
//! document of any size is hashed without being held whole, so verifying
//! or signing a 1 GB attachment costs about one chunk of memory.

use std::io::Read;
use std::path::Path;

use der::asn1::ObjectIdentifier;
use sha2::Digest;

use crate::{oids, CadesError};

/// Bytes read at a time from a file.
pub const CHUNK: usize = 1 << 20;

/// Content that is signed or verified.
#[derive(Debug, Clone, Copy)]
pub enum Content<'a> {
    /// Already in memory.
    Bytes(&'a [u8]),
    /// A file, read in [`CHUNK`]s each time it is hashed.
    File(&'a Path),
}

impl<'a> From<&'a [u8]> for Content<'a> {
    fn from(b: &'a [u8]) -> Self {
        Content::Bytes(b)
    }
}

impl<'a> From<&'a Vec<u8>> for Content<'a> {
    fn from(b: &'a Vec<u8>) -> Self {
        Content::Bytes(b)
    }
}

/// A SHA-2 hash being computed.
enum Running {
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

impl Running {
    fn new(alg: &ObjectIdentifier) -> Result<Running, CadesError> {
        Ok(match *alg {
            oids::SHA256 => Running::Sha256(sha2::Sha256::new()),
            oids::SHA384 => Running::Sha384(sha2::Sha384::new()),
            oids::SHA512 => Running::Sha512(sha2::Sha512::new()),
            _ => {
                return Err(CadesError::UnsupportedDigest {
                    oid: alg.to_string(),
                })
            }
        })
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Running::Sha256(h) => h.update(data),
            Running::Sha384(h) => h.update(data),
            Running::Sha512(h) => h.update(data),
        }
    }

    fn finish(self) -> Vec<u8> {
        match self {
            Running::Sha256(h) => h.finalize().to_vec(),
            Running::Sha384(h) => h.finalize().to_vec(),
            Running::Sha512(h) => h.finalize().to_vec(),
        }
    }
}

impl Content<'_> {
    /// Calls `f` with the content, chunk by chunk; returns its length.
    pub fn for_each_chunk(&self, f: &mut dyn FnMut(&[u8])) -> Result<u64, CadesError> {
        match self {
            Content::Bytes(b) => {
                f(b);
                Ok(b.len() as u64)
            }
            Content::File(path) => {
                let io = |e: std::io::Error| CadesError::ContentRead {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                };
                let mut file = std::fs::File::open(path).map_err(io)?;
                let mut buf = vec![0u8; CHUNK];
                let mut total = 0u64;
                loop {
                    let n = match file.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(io(e)),
                    };
                    total += n as u64;
                    f(&buf[..n]);
                }
                Ok(total)
            }
        }
    }

    /// The digest of the content with the hash algorithm `alg` (SHA-256,
    /// SHA-384 or SHA-512).
    pub fn digest(&self, alg: &ObjectIdentifier) -> Result<Vec<u8>, CadesError> {
        let mut h = Running::new(alg)?;
        self.for_each_chunk(&mut |c| h.update(c))?;
        Ok(h.finish())
    }

    /// The content in memory (a file is read whole: only for the rare
    /// structures that concatenate raw content, such as an ATSv2 imprint).
    pub fn to_vec(&self) -> Result<Vec<u8>, CadesError> {
        let mut out = Vec::new();
        self.for_each_chunk(&mut |c| out.extend_from_slice(c))?;
        Ok(out)
    }

    /// Whether the content is exactly `other`, compared chunk by chunk.
    pub fn equals(&self, other: &[u8]) -> Result<bool, CadesError> {
        let mut offset = 0usize;
        let mut same = true;
        let len = self.for_each_chunk(&mut |c| {
            if same {
                same = other.get(offset..offset + c.len()) == Some(c);
            }
            offset += c.len();
        })?;
        Ok(same && len == other.len() as u64)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_file_hashes_like_its_bytes_across_chunks() {
        let data: Vec<u8> = (0..(CHUNK * 2 + 17)).map(|i| (i % 251) as u8).collect();
        let path = std::env::temp_dir().join(format!("inkan-content-{}", std::process::id()));
        std::fs::write(&path, &data).unwrap();
        for alg in [oids::SHA256, oids::SHA384, oids::SHA512] {
            assert_eq!(
                Content::File(&path).digest(&alg).unwrap(),
                Content::Bytes(&data).digest(&alg).unwrap()
            );
        }
        assert!(Content::File(&path).equals(&data).unwrap());
        assert!(!Content::File(&path).equals(&data[1..]).unwrap());
        let mut other = data.clone();
        other[CHUNK + 3] ^= 1;
        assert!(!Content::File(&path).equals(&other).unwrap());
        assert_eq!(Content::File(&path).to_vec().unwrap(), data);
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_missing_file_is_a_clear_error() {
        let e = Content::File(Path::new("/nonexistent/inkan-letter.xml"))
            .digest(&oids::SHA256)
            .unwrap_err();
        assert!(matches!(e, CadesError::ContentRead { .. }), "{e}");
    }
}

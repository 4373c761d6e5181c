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

/// The largest document read from a file: 4 GiB (scans and imaging reports
/// are hundreds of megabytes; a sparse or endless file is refused rather
/// than hashed for hours).
pub const MAX_FILE_BYTES: u64 = 4 << 30;

/// Content that is signed or verified.
#[derive(Debug, Clone, Copy)]
pub enum Content<'a> {
    /// Already in memory.
    Bytes(&'a [u8]),
    /// A regular file, read in [`CHUNK`]s each time it is hashed. A
    /// verification reads it once ([`Digests::of_file`]) so that every
    /// check sees the same bytes.
    File(&'a Path),
    /// The digests of a document read once.
    Digested(&'a Digests),
}

/// The SHA-2 digests of one document, computed in a single pass: what a
/// signature's message-digest and an ATSv3's content hash need, without the
/// document changing between one check and the next.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Digests {
    len: u64,
    sha256: Option<Vec<u8>>,
    sha384: Option<Vec<u8>>,
    sha512: Option<Vec<u8>>,
}

impl Digests {
    /// Reads `path` once and computes the digests named in `algorithms`
    /// (unsupported ones are left out). The file must be a regular file of
    /// at most [`MAX_FILE_BYTES`] that does not change while it is read.
    pub fn of_file(path: &Path, algorithms: &[ObjectIdentifier]) -> Result<Digests, CadesError> {
        let mut running: Vec<(ObjectIdentifier, Running)> = Vec::new();
        for a in algorithms {
            if !running.iter().any(|(o, _)| o == a) {
                if let Ok(r) = Running::new(a) {
                    running.push((*a, r));
                }
            }
        }
        let len = Content::File(path).for_each_chunk(&mut |c| {
            for (_, r) in running.iter_mut() {
                r.update(c);
            }
        })?;
        let mut d = Digests {
            len,
            ..Digests::default()
        };
        for (oid, r) in running {
            let v = Some(r.finish());
            match oid {
                oids::SHA256 => d.sha256 = v,
                oids::SHA384 => d.sha384 = v,
                _ => d.sha512 = v,
            }
        }
        Ok(d)
    }

    /// The document's length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the document is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn get(&self, alg: &ObjectIdentifier) -> Option<&Vec<u8>> {
        match *alg {
            oids::SHA256 => self.sha256.as_ref(),
            oids::SHA384 => self.sha384.as_ref(),
            oids::SHA512 => self.sha512.as_ref(),
            _ => None,
        }
    }
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
                let fail = |reason: String| CadesError::ContentRead {
                    path: path.display().to_string(),
                    reason,
                };
                let io = |e: std::io::Error| fail(e.to_string());
                // Opening a FIFO blocks until a writer comes: look first.
                if !std::fs::metadata(path).map_err(io)?.is_file() {
                    return Err(fail("not a regular file".into()));
                }
                let file = std::fs::File::open(path).map_err(io)?;
                let meta = file.metadata().map_err(io)?;
                // A pipe, a device (/dev/zero) or a directory is not a
                // document: it may never end, or say something else when
                // read again.
                if !meta.is_file() {
                    return Err(fail("not a regular file".into()));
                }
                let expected = meta.len();
                if expected > MAX_FILE_BYTES {
                    return Err(fail(format!(
                        "{expected} bytes, more than the {MAX_FILE_BYTES} Inkan reads"
                    )));
                }
                // Read exactly the length the file had when opened; one byte
                // more means it is being written to.
                let mut limited = file.take(expected + 1);
                let mut buf = vec![0u8; CHUNK];
                let mut total = 0u64;
                loop {
                    let n = match limited.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(io(e)),
                    };
                    total += n as u64;
                    if total > expected {
                        return Err(fail("the file changed while it was read".into()));
                    }
                    f(&buf[..n]);
                }
                if total != expected {
                    return Err(fail("the file changed while it was read".into()));
                }
                Ok(total)
            }
            Content::Digested(_) => Err(CadesError::ContentRead {
                path: "(document)".into(),
                reason: "only its digests were kept".into(),
            }),
        }
    }

    /// The digest of the content with the hash algorithm `alg` (SHA-256,
    /// SHA-384 or SHA-512).
    pub fn digest(&self, alg: &ObjectIdentifier) -> Result<Vec<u8>, CadesError> {
        if let Content::Digested(d) = self {
            Running::new(alg)?;
            return d.get(alg).cloned().ok_or_else(|| CadesError::ContentRead {
                path: "(document)".into(),
                reason: format!("its {alg} digest was not computed"),
            });
        }
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

    /// Whether the content is exactly `other`, compared chunk by chunk (by
    /// length and digests for a [`Content::Digested`] document).
    pub fn equals(&self, other: &[u8]) -> Result<bool, CadesError> {
        if let Content::Digested(d) = self {
            if d.len != other.len() as u64 {
                return Ok(false);
            }
            for alg in [oids::SHA256, oids::SHA384, oids::SHA512] {
                if let Some(v) = d.get(&alg) {
                    return Ok(*v == Content::Bytes(other).digest(&alg)?);
                }
            }
            return Err(CadesError::ContentRead {
                path: "(document)".into(),
                reason: "no digest was computed".into(),
            });
        }
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

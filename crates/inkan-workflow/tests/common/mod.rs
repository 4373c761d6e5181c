//! What the workflow test binaries share.

use inkan_cades::{ExternalSigner, SignerError, SoftwareSigner};

/// A signer that counts the signatures it computes (each one a
/// PIN-guarded card operation in real life).
pub struct Counting(pub SoftwareSigner, pub usize);

impl ExternalSigner for Counting {
    fn certificate(&self) -> &[u8] {
        self.0.certificate()
    }
    fn sign_sha256(&mut self, digest: &[u8; 32]) -> Result<Vec<u8>, SignerError> {
        self.1 += 1;
        self.0.sign_sha256(digest)
    }
}

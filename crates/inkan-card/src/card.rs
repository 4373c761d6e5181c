//! An HPKI card in a PC/SC reader: connection, transactions, reconnection
//! after removal, and the operations the CLI and the app use.

use crate::error::CardError;
use crate::holder::{self, Holder};
use crate::hpki::{self, Apdus, CardLayout, Transport};
use crate::pin::{LastTry, Pin, PinStatus};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::hazmat::PrehashVerifier;
use std::ffi::CString;

/// What was read from a card when it was opened.
#[derive(Debug, Clone)]
pub struct OpenedCard {
    /// The reader.
    pub reader: String,
    /// The card's ATR, hex.
    pub atr: String,
    /// The signing application's layout.
    pub layout: CardLayout,
    /// The signing (end-entity) certificate, DER.
    pub certificate: Vec<u8>,
    /// CA certificates on the card, DER.
    pub ca_certificates: Vec<Vec<u8>>,
    /// Who the card belongs to.
    pub holder: Holder,
    /// RSA modulus length in bytes.
    pub modulus_len: usize,
    /// APDUs used to open the card.
    pub apdus: usize,
}

/// A signature made by the card and checked against its certificate.
#[derive(Debug, Clone)]
pub struct CardSignature {
    /// The RSA PKCS#1 v1.5 signature.
    pub signature: Vec<u8>,
    /// APDUs exchanged for this signature.
    pub apdus: usize,
}

struct Tx<'a>(pcsc::Transaction<'a>);

impl Transport for Tx<'_> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, CardError> {
        let mut buf = vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED];
        let out = self
            .0
            .transmit(apdu, &mut buf)
            .map_err(CardError::pcsc("SCardTransmit"))?;
        Ok(out.to_vec())
    }
}

/// An HPKI card in a named reader. Operations reconnect after a removal.
pub struct PcscCard {
    ctx: pcsc::Context,
    reader: CString,
    card: Option<pcsc::Card>,
    opened: Option<OpenedCard>,
    extended: bool,
}

/// Lets go of a card handle leaving the card as it is. The pcsc crate's own
/// drop resets the card, which would end other programs' sessions (and
/// their verified PINs) every time Inkan looked at the card; a handle that
/// cannot even be disconnected is leaked rather than dropped.
fn release(card: pcsc::Card) {
    if let Err((card, e)) = card.disconnect(pcsc::Disposition::LeaveCard) {
        eprintln!("inkan-card: disconnect failed ({e}); the handle is left to the service");
        std::mem::forget(card);
    }
}

impl Drop for PcscCard {
    fn drop(&mut self) {
        if let Some(card) = self.card.take() {
            release(card);
        }
    }
}

impl std::fmt::Debug for PcscCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcscCard")
            .field("reader", &self.reader)
            .field("connected", &self.card.is_some())
            .finish()
    }
}

impl PcscCard {
    /// Uses the named reader, or the first reader with a card in it.
    pub fn new(reader: Option<&str>) -> Result<PcscCard, CardError> {
        let ctx = pcsc::Context::establish(pcsc::Scope::User)
            .map_err(CardError::pcsc("SCardEstablishContext"))?;
        let readers = crate::pcsc_readers::list_readers().map_err(|e| match e {
            crate::ReaderError::NoService => CardError::NoService,
            crate::ReaderError::Pcsc { operation, source } => CardError::Pcsc { operation, source },
        })?;
        let name = match reader {
            Some(want) => readers
                .iter()
                .find(|r| r.name == want)
                .map(|r| r.name.clone())
                .ok_or_else(|| CardError::NoReader {
                    reader: want.to_string(),
                })?,
            None if readers.is_empty() => {
                return Err(CardError::NoReader {
                    reader: String::new(),
                })
            }
            None => readers
                .iter()
                .find(|r| r.card_present)
                .map(|r| r.name.clone())
                .ok_or(CardError::NoCard)?,
        };
        let reader = CString::new(name).map_err(|_| CardError::NoReader {
            reader: "<invalid name>".into(),
        })?;
        Ok(PcscCard {
            ctx,
            reader,
            card: None,
            opened: None,
            extended: true,
        })
    }

    /// The reader name.
    pub fn reader(&self) -> String {
        self.reader.to_string_lossy().into_owned()
    }

    fn connect(&mut self) -> Result<(), CardError> {
        if self.card.is_none() {
            let card = self
                .ctx
                .connect(&self.reader, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)
                .map_err(|e| match e {
                    pcsc::Error::NoSmartcard | pcsc::Error::RemovedCard => CardError::NoCard,
                    e => CardError::pcsc("SCardConnect")(e),
                })?;
            self.card = Some(card);
            self.opened = None;
        }
        Ok(())
    }

    /// Runs `f` inside one PC/SC transaction, ended with `end`: reads leave
    /// the card as it is (other programs keep their sessions), a signing
    /// transaction resets it so that no verified PIN state outlives it. A
    /// removal drops the connection, so the next operation reconnects,
    /// re-selects and re-reads the card; a reset by another program drops
    /// the connection only (the card is the same).
    fn with_tx<R>(
        &mut self,
        end: pcsc::Disposition,
        f: impl FnOnce(&mut Apdus<'_>, Option<&OpenedCard>) -> Result<R, CardError>,
    ) -> Result<R, CardError> {
        self.connect()?;
        let mut end_failed = false;
        let result = {
            let card = self.card.as_mut().ok_or(CardError::NoCard)?;
            match card.transaction() {
                Ok(tx) => {
                    let mut t = Tx(tx);
                    let r = {
                        let mut a = Apdus::new(&mut t);
                        f(&mut a, self.opened.as_ref())
                    };
                    let Tx(tx) = t;
                    match tx.end(end) {
                        Ok(()) => r,
                        // A signing transaction whose reset did not take:
                        // the card may still hold the verified PIN, so it is
                        // reset through the reconnect below, whatever else.
                        Err((_, e))
                            if end == pcsc::Disposition::ResetCard
                                && !matches!(
                                    CardError::pcsc("SCardEndTransaction")(e),
                                    CardError::CardReset | CardError::CardRemoved
                                ) =>
                        {
                            end_failed = true;
                            r
                        }
                        // The work is done (or failed on its own); a failed
                        // end is reported only when nothing else went wrong.
                        Err((_, e)) => {
                            r.and_then(|v| match CardError::pcsc("SCardEndTransaction")(e) {
                                CardError::CardReset | CardError::CardRemoved
                                    if end == pcsc::Disposition::ResetCard =>
                                {
                                    Ok(v)
                                }
                                e => Err(e),
                            })
                        }
                    }
                }
                Err(e) => Err(CardError::pcsc("SCardBeginTransaction")(e)),
            }
        };
        // After a reset (ours at the end of a signature, or another
        // program's) pcsc-lite reports SCARD_W_RESET_CARD to every handle
        // until it reconnects: acknowledge it now, leaving the card as it is.
        let reset =
            end == pcsc::Disposition::ResetCard || matches!(result, Err(CardError::CardReset));
        if reset {
            let initialization = if end_failed {
                pcsc::Disposition::ResetCard
            } else {
                pcsc::Disposition::LeaveCard
            };
            let reconnected = self.card.as_mut().is_some_and(|c| {
                c.reconnect(
                    pcsc::ShareMode::Shared,
                    pcsc::Protocols::ANY,
                    initialization,
                )
                .is_ok()
            });
            if !reconnected {
                if let Some(c) = self.card.take() {
                    release(c);
                }
            }
        }
        if let Err(e) = &result {
            if e.is_removal() {
                if let Some(c) = self.card.take() {
                    release(c);
                }
                self.opened = None;
            }
        }
        result
    }

    /// Selects the signing application, discovers the layout and reads the
    /// certificates (no PIN). Cached until the card is removed.
    pub fn open(&mut self) -> Result<&OpenedCard, CardError> {
        if self.opened.is_none() {
            let reader = self.reader();
            let mut extended = true;
            let opened = self.with_tx(pcsc::Disposition::LeaveCard, |a, _| {
                let aid = hpki::select_signing_app(a)?;
                let layout = hpki::discover(a, aid)?;
                let certificate = hpki::read_file(a, layout.ee_cert)?;
                let mut ca_certificates = Vec::new();
                for f in &layout.ca_certs {
                    match hpki::read_file(a, *f) {
                        Ok(c) if !c.is_empty() => ca_certificates.push(c),
                        // Optional CA files (e.g. an absent extra CA) are skipped.
                        Ok(_) | Err(CardError::Status { .. }) => {}
                        Err(e) => return Err(e),
                    }
                }
                extended = !a.extended_refused();
                let holder = holder::summarize(&certificate)?;
                let key = holder::rsa_public_key(&certificate)?;
                let modulus_len = rsa::traits::PublicKeyParts::size(&key);
                Ok(OpenedCard {
                    reader,
                    atr: String::new(),
                    layout,
                    certificate,
                    ca_certificates,
                    holder,
                    modulus_len,
                    apdus: a.sent(),
                })
            })?;
            let atr = self
                .card
                .as_ref()
                .and_then(|c| c.status2_owned().ok())
                .map(|st| st.atr().to_vec())
                .unwrap_or_default();
            self.extended = extended;
            self.opened = Some(OpenedCard {
                atr: atr.iter().map(|b| format!("{b:02X}")).collect(),
                ..opened
            });
        }
        self.opened.as_ref().ok_or(CardError::NoCard)
    }

    /// The PIN state (empty VERIFY; spends no try). The card is left as it
    /// is. A reset by another program is read through once more: reading
    /// the counter spends nothing.
    pub fn pin_status(&mut self) -> Result<PinStatus, CardError> {
        self.open()?;
        let read = |card: &mut Self| {
            card.with_tx(pcsc::Disposition::LeaveCard, |a, opened| {
                let layout = &opened.ok_or(CardError::NoCard)?.layout;
                hpki::status_in_tx(a, layout)
            })
        };
        match read(self) {
            Err(CardError::CardReset) => read(self),
            other => other,
        }
    }

    /// Signs a SHA-256 digest with the card's signing key: the PIN is sent once
    /// (never retried), then the signature is checked against the card's
    /// certificate before it is returned.
    pub fn sign_sha256(
        &mut self,
        pin: &Pin,
        last_try: LastTry,
        digest: &[u8; 32],
    ) -> Result<CardSignature, CardError> {
        self.open()?;
        let extended = self.extended;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        holder::check_signing_certificate(
            &self.opened.as_ref().ok_or(CardError::NoCard)?.certificate,
            now,
        )?;
        let sig = self.with_tx(pcsc::Disposition::ResetCard, |a, opened| {
            let opened = opened.ok_or(CardError::NoCard)?;
            let signature = hpki::sign_in_tx(
                a,
                &opened.layout,
                pin,
                last_try,
                digest,
                opened.modulus_len,
                extended,
            )?;
            Ok(CardSignature {
                signature,
                apdus: a.sent(),
            })
        })?;
        let opened = self.opened.as_ref().ok_or(CardError::NoCard)?;
        verify_with_certificate(&opened.certificate, digest, &sig.signature)?;
        Ok(sig)
    }
}

/// Checks an RSA PKCS#1 v1.5 SHA-256 signature against a certificate's key.
pub fn verify_with_certificate(
    cert_der: &[u8],
    digest: &[u8; 32],
    signature: &[u8],
) -> Result<(), CardError> {
    let key = holder::rsa_public_key(cert_der)?;
    let sig = Signature::try_from(signature).map_err(|_| CardError::BadSignature)?;
    VerifyingKey::<sha2::Sha256>::new(key)
        .verify_prehash(digest, &sig)
        .map_err(|_| CardError::BadSignature)
}

/// The card as the signer of a CMS SignedData: the CAdES builder hashes the
/// DER signed attributes and asks for a signature over that SHA-256 digest.
///
/// It holds the PIN for exactly one signature: the PIN is sent once, and the
/// signer refuses a second use, so a builder that calls it twice (or a retry
/// loop) can never spend a second PIN try.
pub struct CardSigner<'c> {
    card: &'c mut PcscCard,
    pin: Option<Pin>,
    last_try: LastTry,
    certificate: Vec<u8>,
    apdus: usize,
}

impl std::fmt::Debug for CardSigner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardSigner")
            .field("reader", &self.card.reader())
            .field("pin", &self.pin.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl<'c> CardSigner<'c> {
    /// Opens the card (reading its certificate) and takes the PIN for one signature.
    pub fn new(card: &'c mut PcscCard, pin: Pin, last_try: LastTry) -> Result<Self, CardError> {
        let certificate = card.open()?.certificate.clone();
        Ok(CardSigner {
            card,
            pin: Some(pin),
            last_try,
            certificate,
            apdus: 0,
        })
    }

    /// The signing certificate (DER).
    pub fn certificate(&self) -> &[u8] {
        &self.certificate
    }

    /// The card's CA certificates (DER), for the SignedData certificate set.
    pub fn ca_certificates(&mut self) -> Result<Vec<Vec<u8>>, CardError> {
        Ok(self.card.open()?.ca_certificates.clone())
    }

    /// APDUs used by the signature.
    pub fn apdus(&self) -> usize {
        self.apdus
    }

    /// Signs a SHA-256 digest once; the PIN is dropped (and wiped) afterwards,
    /// whatever the outcome.
    pub fn sign_sha256(&mut self, digest: &[u8; 32]) -> Result<Vec<u8>, CardError> {
        let pin = self.pin.take().ok_or(CardError::Protocol {
            detail: "the PIN was already used for one signature".into(),
        })?;
        let sig = self.card.sign_sha256(&pin, self.last_try, digest)?;
        self.apdus = sig.apdus;
        Ok(sig.signature)
    }
}

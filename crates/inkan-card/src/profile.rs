//! Card profiles: the known layouts of HPKI cards, as data.
//!
//! The directory files (EF.OD …) are the source of truth. A profile is what
//! Inkan falls back to when a card lacks them, and it says what the directory
//! files do not: how the card wants to be asked for a signature.

use crate::iso7816_15::FileRef;

/// RID of every HPKI application (MHLW-registered).
pub const HPKI_RID: [u8; 5] = [0xE8, 0x28, 0xBD, 0x08, 0x0F];
/// The full AID of the signing (電子署名用) application on MEDIS/JMA cards.
pub const HPKI_SIGNING_AID: [u8; 16] = [
    0xE8, 0x28, 0xBD, 0x08, 0x0F, 0xA0, 0x00, 0x00, 0x03, 0x91, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
];
/// The full AID of the authentication (電子認証用) application.
pub const HPKI_AUTH_AID: [u8; 16] = [
    0xE8, 0x28, 0xBD, 0x08, 0x0F, 0xA0, 0x00, 0x00, 0x03, 0x91, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
];

/// How the card computes a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignMode {
    /// JAHIS: `MSE SET DST` then `PSO COMPUTE DIGITAL SIGNATURE` (`00 2A 9E 9A`)
    /// over the whole EMSA-PKCS1-v1_5 block built by the host; the card only
    /// applies the raw RSA private-key operation.
    PsoCdsHostPadded,
    /// JPKI style (`80 2A 00 80 Lc <DigestInfo> 00`): the card pads.
    DigestInfoCardPads,
    /// The JMA 医師資格証 (docs: hpki-card.md, "The JMA card variant"):
    /// MSE with the profile's template and the host-padded PSO first (as
    /// miyako/hpki signs on a real card); where the card answers `6D 00`,
    /// `6E 00` or `6A 86` to either, `80 2A 00 80` with a SHA-256
    /// DigestInfo (as gebogebogebo/HPKIReader signs, without MSE).
    PsoThenCardPads,
}

/// A known card layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardProfile {
    /// Stable identifier (`jahis`, `jma`).
    pub id: &'static str,
    /// Human name.
    pub name: &'static str,
    /// VERIFY P2 (`80 | SFI` of the PIN IEF on JAHIS cards; the JMA card
    /// uses `88` with its PIN EF `0002`).
    pub pin_p2: u8,
    /// The PIN EF to SELECT before VERIFY, when the card wants it selected
    /// (JMA: `0002`).
    pub pin_file: Option<FileRef>,
    /// The key EF to SELECT before signing, when the card wants it selected
    /// (JMA: `000C`).
    pub key_file: Option<FileRef>,
    /// The data of `MSE SET DST` (`00 22 41 B6`): the key reference template.
    pub mse_dst: &'static [u8],
    /// How the card signs.
    pub sign_mode: SignMode,
    /// The end-entity (signing) certificate.
    pub ee_cert: FileRef,
    /// CA certificates the card may hold.
    pub ca_certs: &'static [FileRef],
}

/// The JAHIS reference layout (HPKI対応ICカードガイドライン Annex B):
/// PIN SFI 16 (`P2 96`), key SFI 17 (`MSE … 81 02 00 17`), certificates SFI 18–1B.
pub const JAHIS: CardProfile = CardProfile {
    id: "jahis",
    name: "JAHIS HPKI reference card",
    pin_p2: 0x96,
    pin_file: None,
    key_file: None,
    mse_dst: &[0x81, 0x02, 0x00, 0x17],
    sign_mode: SignMode::PsoCdsHostPadded,
    ee_cert: FileRef::Sfi(0x18),
    ca_certs: &[FileRef::Sfi(0x19), FileRef::Sfi(0x1A), FileRef::Sfi(0x1B)],
};

/// The Japan Medical Association card (医師資格証) as the two open
/// implementations that talk to real cards use it (hpki-card.md): PIN EF
/// `0002` selected before VERIFY `P2 88`, key EF `000C` selected before
/// signing, certificate EF `0016`; MSE with four zero bytes and the
/// host-padded PSO, else `80 2A` where the card pads.
pub const JMA: CardProfile = CardProfile {
    id: "jma",
    name: "JMA 医師資格証",
    pin_p2: 0x88,
    pin_file: Some(FileRef::Fid(0x0002)),
    key_file: Some(FileRef::Fid(0x000C)),
    mse_dst: &[0x00, 0x00, 0x00, 0x00],
    sign_mode: SignMode::PsoThenCardPads,
    ee_cert: FileRef::Fid(0x0016),
    ca_certs: &[],
};

/// The profiles tried, in order, when a card has no usable directory files.
pub const KNOWN_PROFILES: [CardProfile; 2] = [JAHIS, JMA];

/// Finds a profile by id.
pub fn by_id(id: &str) -> Option<CardProfile> {
    KNOWN_PROFILES.iter().copied().find(|p| p.id == id)
}

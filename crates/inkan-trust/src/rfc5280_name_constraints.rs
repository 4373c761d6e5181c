//! Name constraints (RFC 5280 §4.2.1.10, path validation state of §6.1).
//!
//! > The name constraints extension, which MUST be used only in a CA
//! > certificate, indicates a name space within which all subject names in
//! > subsequent certificates in a certification path MUST be located.
//! > Restrictions apply to the subject distinguished name and apply to
//! > subject alternative names. Restrictions apply only when the specified
//! > name form is present. If no name of the type is in the certificate,
//! > the certificate is acceptable.
//!
//! [`NameConstraintsState`] is the pair of §6.1 state variables
//! `permitted_subtrees` and `excluded_subtrees`:
//! [`check`](NameConstraintsState::check) is §6.1.3 (b)(c) and
//! [`update`](NameConstraintsState::update) is §6.1.4 (g).
//!
//! Name forms processed, with the §4.2.1.10 semantics:
//!
//! - directoryName: a subtree is a DN prefix, RDNs compared under §7.1
//!   ([`crate::rfc5280_names::rdn_keys`]). Applied to a non-empty subject
//!   and to every directoryName of subjectAltName.
//! - rfc822Name: a mailbox (`user@host`), every mailbox of one host
//!   (`host.example`), or every mailbox of any host below a domain
//!   (`.example`). The local part is compared exactly, the host without
//!   regard to case (§7.5). Without a subjectAltName rfc822Name, the
//!   emailAddress attributes of the subject are checked instead.
//! - dNSName: the name and every name made by adding labels on the left;
//!   labels are compared whole and without regard to case. A leading period
//!   (a common, non-RFC spelling) means names below only. A left-most `*`
//!   label in a certificate is a wildcard (RFC 6125): it must be permitted
//!   for every label it can stand for and excluded for none.
//! - uniformResourceIdentifier: the constraint applies to the host of the
//!   URI; `host.example` is that host only, `.example` any host below.
//! - iPAddress: address and mask, IPv4 (8 octets) and IPv6 (32 octets)
//!   kept apart.
//!
//! otherName, ediPartyName and registeredID constraints cannot be
//! evaluated; per §4.2.1.10 ("the application MUST either process the
//! constraint or reject the certificate") a later certificate with a name of
//! such a form is rejected when the extension was critical. x400Address is
//! not decodable by `x509-cert` 0.3: an extension that holds one is refused
//! as undecodable.
//!
//! A name that cannot be read unambiguously (a malformed host, a URI without
//! a host or with an IP-literal host) fails when its form is constrained,
//! because it cannot be shown to be inside the permitted and outside the
//! excluded subtrees.

use std::collections::HashSet;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::net::{Ipv4Addr, Ipv6Addr};

use der::asn1::ObjectIdentifier;
use der::{Any, Tag, Tagged};
use x509_cert::ext::pkix::constraints::name::GeneralSubtree;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{NameConstraints, SubjectAltName};
use x509_cert::name::Name;
use x509_cert::Certificate;

use crate::rfc5280_names::rdn_keys;

/// At most this many subtrees of one form in one extension, and in the state
/// after an intersection or union, so that a crafted chain cannot make the
/// pairwise intersections (§6.1.4 (g)(i)) or the checks grow without bound.
const MAX_SUBTREES: usize = 1024;

/// At most this many names (subjectAltName entries and subject emailAddress
/// attributes) are checked in one certificate.
const MAX_NAMES: usize = 1024;

/// PKCS #9 emailAddress (RFC 5280 §4.1.2.6, §4.2.1.10).
const EMAIL_ADDRESS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.1");

const RULE: &str = "RFC 5280 §4.2.1.10";

/// permitted_subtrees and excluded_subtrees (RFC 5280 §6.1.2 (b)(c)).
///
/// > (b) permitted_subtrees: a set of root names for each name type (e.g.,
/// > X.500 distinguished names, email addresses, or ip addresses) defining a
/// > set of subtrees within which all subject names in subsequent
/// > certificates in the certification path MUST fall. […]
/// > (c) excluded_subtrees: a set of root names for each name type […]
/// > defining a set of subtrees within which no subject name in subsequent
/// > certificates in the certification path may fall.
///
/// For each form, "no constraint yet" (everything permitted) and "an empty
/// set" (nothing of this form permitted, after disjoint intersections) are
/// different states. The default permits everything and excludes nothing.
#[derive(Debug, Clone, Default)]
pub struct NameConstraintsState {
    dn: FormState<DnSubtree>,
    rfc822: FormState<MailSubtree>,
    dns: FormState<DnsSubtree>,
    uri: FormState<UriSubtree>,
    ip: FormState<IpSubtree>,
    /// Forms (their RFC 5280 names) that a critical extension constrained
    /// and that this module cannot evaluate.
    unsupported: Vec<&'static str>,
}

impl NameConstraintsState {
    /// §6.1.3 (b)(c): whether the subject name and every subjectAltName of `cert` are within the permitted subtrees and outside the excluded ones.
    ///
    /// The caller skips this for a self-issued certificate that is not the
    /// last of the path (§6.1.3 (b)). A subjectAltName extension that is
    /// present but cannot be decoded is an error.
    pub fn check(&self, cert: &Certificate) -> Result<(), String> {
        let tbs = cert.tbs_certificate();
        let san = tbs.get_extension::<SubjectAltName>().map_err(|e| {
            format!(
                "the subjectAltName extension of {} cannot be decoded: {e} (RFC 5280 §4.2.1.6)",
                tbs.subject()
            )
        })?;
        let names = san.as_ref().map(|(_, s)| s.0.as_slice()).unwrap_or(&[]);
        self.check_names(tbs.subject(), names)
    }

    /// §6.1.4 (g): intersect/union with the nameConstraints of `cert` (a CA certificate), if any.
    ///
    /// A nameConstraints extension that cannot be decoded, is an empty
    /// sequence, has an empty list of subtrees, a malformed base, or a
    /// minimum other than 0 or any maximum (§4.2.1.10: "the minimum MUST be
    /// zero, and maximum MUST be absent") is an error of `cert`; the state is
    /// then left unchanged.
    pub fn update(&mut self, cert: &Certificate) -> Result<(), String> {
        let tbs = cert.tbs_certificate();
        match tbs.get_extension::<NameConstraints>() {
            Ok(None) => Ok(()),
            Ok(Some((critical, nc))) => self
                .apply(&nc, critical)
                .map_err(|e| format!("the nameConstraints of {}: {e} ({RULE})", tbs.subject())),
            Err(e) => Err(format!(
                "the nameConstraints extension of {} cannot be decoded: {e} ({RULE})",
                tbs.subject()
            )),
        }
    }

    fn constrains_anything(&self) -> bool {
        self.dn.constrained()
            || self.rfc822.constrained()
            || self.dns.constrained()
            || self.uri.constrained()
            || self.ip.constrained()
            || !self.unsupported.is_empty()
    }

    fn check_names(&self, subject: &Name, san: &[GeneralName]) -> Result<(), String> {
        if !self.constrains_anything() {
            return Ok(());
        }
        if san.len() > MAX_NAMES {
            return Err(format!(
                "the certificate of {subject} has {} subject alternative names, more than the {MAX_NAMES} this verifier checks against name constraints",
                san.len()
            ));
        }
        // §4.2.1.10: "Restrictions of the form directoryName MUST be applied
        // to the subject field in the certificate (when the certificate
        // includes a non-empty subject field)".
        if !subject.is_empty() {
            self.check_dn(subject, "subject name")?;
        }
        // §4.2.1.10: "When constraints are imposed on the rfc822Name name
        // form, but the certificate does not include a subject alternative
        // name, the rfc822Name constraint MUST be applied to the attribute of
        // type emailAddress in the subject distinguished name."
        let san_has_email = san.iter().any(|n| matches!(n, GeneralName::Rfc822Name(_)));
        if !san_has_email && self.rfc822.constrained() {
            let emails: Vec<&Any> = subject
                .iter()
                .filter(|a| a.oid == EMAIL_ADDRESS)
                .map(|a| &a.value)
                .collect();
            if emails.len() > MAX_NAMES {
                return Err(format!(
                    "the subject {subject} has more than {MAX_NAMES} emailAddress attributes"
                ));
            }
            for value in emails {
                match email_text(value) {
                    Some(text) => self.check_rfc822(text, "emailAddress attribute")?,
                    None => {
                        return Err(format!(
                            "the emailAddress attribute of {subject} is not a string and cannot be checked against the rfc822Name constraints ({RULE})"
                        ))
                    }
                }
            }
        }
        for name in san {
            match name {
                GeneralName::DirectoryName(dn) => self.check_dn(dn, "directoryName")?,
                GeneralName::Rfc822Name(s) => self.check_rfc822(s.as_str(), "rfc822Name")?,
                GeneralName::DnsName(s) => self.check_dns(s.as_str())?,
                GeneralName::UniformResourceIdentifier(s) => self.check_uri(s.as_str())?,
                GeneralName::IpAddress(o) => self.check_ip(o.as_bytes())?,
                GeneralName::OtherName(_) => self.check_unsupported("otherName")?,
                GeneralName::EdiPartyName(_) => self.check_unsupported("ediPartyName")?,
                GeneralName::RegisteredId(_) => self.check_unsupported("registeredID")?,
            }
        }
        Ok(())
    }

    fn check_dn(&self, dn: &Name, label: &str) -> Result<(), String> {
        if !self.dn.constrained() {
            return Ok(());
        }
        let keys = rdn_keys(dn).map_err(|e| {
            format!("the {label} {dn} cannot be compared with the directoryName constraints: {e} ({RULE})")
        })?;
        self.dn.check(&keys, label, &dn.to_string())
    }

    fn check_rfc822(&self, text: &str, label: &str) -> Result<(), String> {
        if !self.rfc822.constrained() {
            return Ok(());
        }
        let mailbox = parse_mailbox(text).ok_or_else(|| {
            format!("the {label} {text} is not a mailbox that can be checked against the rfc822Name constraints ({RULE})")
        })?;
        self.rfc822.check(&mailbox, label, text)
    }

    fn check_dns(&self, text: &str) -> Result<(), String> {
        if !self.dns.constrained() {
            return Ok(());
        }
        let name = parse_dns_name(text).ok_or_else(|| {
            format!("the dNSName {text} is not a host name that can be checked against the dNSName constraints ({RULE})")
        })?;
        self.dns.check(&name, "dNSName", text)
    }

    fn check_uri(&self, text: &str) -> Result<(), String> {
        if !self.uri.constrained() {
            return Ok(());
        }
        let host = uri_host(text).map_err(|why| {
            format!("the uniformResourceIdentifier {text} {why}, so it cannot be checked against the URI constraints, which apply to the host ({RULE})")
        })?;
        self.uri.check(&host, "uniformResourceIdentifier", text)
    }

    fn check_ip(&self, bytes: &[u8]) -> Result<(), String> {
        if !self.ip.constrained() {
            return Ok(());
        }
        let shown = show_ip(bytes);
        if bytes.len() != 4 && bytes.len() != 16 {
            return Err(format!(
                "the iPAddress {shown} is neither 4 nor 16 octets and cannot be checked against the iPAddress constraints (RFC 5280 §4.2.1.6)"
            ));
        }
        self.ip.check(&bytes.to_vec(), "iPAddress", &shown)
    }

    fn check_unsupported(&self, form: &str) -> Result<(), String> {
        if self.unsupported.contains(&form) {
            return Err(format!(
                "the certificate has a {form} name, and a critical name constraint of that form cannot be processed by this verifier, so the certificate is rejected ({RULE})"
            ));
        }
        Ok(())
    }

    fn apply(&mut self, nc: &NameConstraints, critical: bool) -> Result<(), String> {
        // §4.2.1.10: "Conforming CAs MUST NOT issue certificates where name
        // constraints is an empty sequence." and GeneralSubtrees is SIZE
        // (1..MAX): an empty list could be read as "nothing permitted" by one
        // verifier and "no constraint" by another, so it is refused.
        if nc.permitted_subtrees.is_none() && nc.excluded_subtrees.is_none() {
            return Err("the extension is an empty sequence".into());
        }
        let permitted = match &nc.permitted_subtrees {
            Some(list) => Some(Parsed::from_subtrees(list, "permittedSubtrees")?),
            None => None,
        };
        let excluded = match &nc.excluded_subtrees {
            Some(list) => Parsed::from_subtrees(list, "excludedSubtrees")?,
            None => Parsed::default(),
        };
        let mut next = self.clone();
        if let Some(p) = permitted {
            next.dn.narrow(p.dn, "directoryName")?;
            next.rfc822.narrow(p.rfc822, "rfc822Name")?;
            next.dns.narrow(p.dns, "dNSName")?;
            next.uri.narrow(p.uri, "uniformResourceIdentifier")?;
            next.ip.narrow(p.ip, "iPAddress")?;
            if critical {
                next.add_unsupported(&p.unsupported);
            }
        }
        next.dn
            .widen(excluded.dn.unwrap_or_default(), "directoryName")?;
        next.rfc822
            .widen(excluded.rfc822.unwrap_or_default(), "rfc822Name")?;
        next.dns
            .widen(excluded.dns.unwrap_or_default(), "dNSName")?;
        next.uri.widen(
            excluded.uri.unwrap_or_default(),
            "uniformResourceIdentifier",
        )?;
        next.ip
            .widen(excluded.ip.unwrap_or_default(), "iPAddress")?;
        // A non-critical extension may be ignored by an application that
        // does not process it (§4.2); only a critical one obliges rejection.
        if critical {
            next.add_unsupported(&excluded.unsupported);
        }
        *self = next;
        Ok(())
    }

    fn add_unsupported(&mut self, forms: &[&'static str]) {
        for f in forms {
            if !self.unsupported.contains(f) {
                self.unsupported.push(f);
            }
        }
    }
}

/// The subtrees of one list (permittedSubtrees or excludedSubtrees), by
/// form; `None` where the list has no subtree of that form.
#[derive(Default)]
struct Parsed {
    dn: Option<Vec<DnSubtree>>,
    rfc822: Option<Vec<MailSubtree>>,
    dns: Option<Vec<DnsSubtree>>,
    uri: Option<Vec<UriSubtree>>,
    ip: Option<Vec<IpSubtree>>,
    unsupported: Vec<&'static str>,
}

impl Parsed {
    fn from_subtrees(list: &[GeneralSubtree], field: &str) -> Result<Self, String> {
        if list.is_empty() {
            return Err(format!(
                "{field} is empty (GeneralSubtrees is SIZE (1..MAX))"
            ));
        }
        let mut out = Parsed::default();
        for subtree in list {
            if subtree.minimum != 0 || subtree.maximum.is_some() {
                return Err(format!(
                    "a subtree of {field} has minimum {} and maximum {:?}; the minimum MUST be zero and the maximum MUST be absent",
                    subtree.minimum, subtree.maximum
                ));
            }
            match &subtree.base {
                GeneralName::DirectoryName(dn) => {
                    let keys = rdn_keys(dn)
                        .map_err(|e| format!("the directoryName {dn} in {field}: {e}"))?;
                    push(
                        &mut out.dn,
                        DnSubtree {
                            keys,
                            shown: dn.to_string(),
                        },
                        field,
                    )?;
                }
                GeneralName::Rfc822Name(s) => {
                    let t = MailSubtree::parse(s.as_str()).ok_or_else(|| {
                        format!("the rfc822Name constraint {s} in {field} is malformed")
                    })?;
                    push(&mut out.rfc822, t, field)?;
                }
                GeneralName::DnsName(s) => {
                    let t = DnsSubtree::parse(s.as_str()).ok_or_else(|| {
                        format!("the dNSName constraint {s} in {field} is malformed")
                    })?;
                    push(&mut out.dns, t, field)?;
                }
                GeneralName::UniformResourceIdentifier(s) => {
                    let t = UriSubtree::parse(s.as_str()).ok_or_else(|| {
                        format!("the uniformResourceIdentifier constraint {s} in {field} is not a host or a domain")
                    })?;
                    push(&mut out.uri, t, field)?;
                }
                GeneralName::IpAddress(o) => {
                    let t = IpSubtree::parse(o.as_bytes()).ok_or_else(|| {
                        format!(
                            "the iPAddress constraint {} in {field} is not 8 or 32 octets",
                            hex::encode(o.as_bytes())
                        )
                    })?;
                    push(&mut out.ip, t, field)?;
                }
                GeneralName::OtherName(_) => add_form(&mut out.unsupported, "otherName"),
                GeneralName::EdiPartyName(_) => add_form(&mut out.unsupported, "ediPartyName"),
                GeneralName::RegisteredId(_) => add_form(&mut out.unsupported, "registeredID"),
            }
        }
        Ok(out)
    }
}

fn push<T>(set: &mut Option<Vec<T>>, t: T, field: &str) -> Result<(), String> {
    let v = set.get_or_insert_with(Vec::new);
    if v.len() >= MAX_SUBTREES {
        return Err(format!(
            "{field} has more than {MAX_SUBTREES} subtrees of one name form"
        ));
    }
    v.push(t);
    Ok(())
}

fn add_form(forms: &mut Vec<&'static str>, form: &'static str) {
    if !forms.contains(&form) {
        forms.push(form);
    }
}

/// A subtree of one name form: the set of names it stands for.
trait Subtree: Clone + Eq + Hash + fmt::Display {
    /// A name of this form, prepared for comparison.
    type Name;
    /// Whether every name that `name` stands for is in this subtree.
    fn permits(&self, name: &Self::Name) -> bool;
    /// Whether some name that `name` stands for is in this subtree; differs
    /// from `permits` only for names that stand for several (wildcards).
    fn touches(&self, name: &Self::Name) -> bool {
        self.permits(name)
    }
    /// The subtree of the names in both, if any. For every form here the
    /// intersection of two subtrees is again one subtree or empty.
    fn intersect(&self, other: &Self) -> Option<Self>;
}

/// The state of one name form.
#[derive(Debug, Clone)]
struct FormState<T> {
    /// `None`: no permittedSubtrees of this form seen, everything permitted.
    /// `Some(empty)`: the intersections left nothing of this form.
    permitted: Option<Vec<T>>,
    excluded: Vec<T>,
}

impl<T> Default for FormState<T> {
    fn default() -> Self {
        Self {
            permitted: None,
            excluded: Vec::new(),
        }
    }
}

impl<T: Subtree> FormState<T> {
    fn constrained(&self) -> bool {
        self.permitted.is_some() || !self.excluded.is_empty()
    }

    fn check(&self, name: &T::Name, label: &str, shown: &str) -> Result<(), String> {
        if let Some(permitted) = &self.permitted {
            if permitted.is_empty() {
                return Err(format!(
                    "the {label} {shown} is not within the permitted subtrees, which permit no name of this form ({RULE})"
                ));
            }
            if !permitted.iter().any(|t| t.permits(name)) {
                return Err(format!(
                    "the {label} {shown} is not within the permitted subtrees ({RULE})"
                ));
            }
        }
        if let Some(t) = self.excluded.iter().find(|t| t.touches(name)) {
            return Err(format!(
                "the {label} {shown} is within the excluded subtree {t} ({RULE})"
            ));
        }
        Ok(())
    }

    /// §6.1.4 (g)(i): "If permittedSubtrees does not include a particular
    /// name type, the permitted_subtrees state variable is unchanged for that
    /// name type."
    fn narrow(&mut self, new: Option<Vec<T>>, form: &str) -> Result<(), String> {
        let Some(new) = new else {
            return Ok(());
        };
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        let mut keep = |t: T| -> Result<(), String> {
            if seen.insert(t.clone()) {
                if out.len() >= MAX_SUBTREES {
                    return Err(format!(
                        "the permitted {form} subtrees would exceed {MAX_SUBTREES}"
                    ));
                }
                out.push(t);
            }
            Ok(())
        };
        match &self.permitted {
            None => new.into_iter().try_for_each(&mut keep)?,
            // The union of the old subtrees intersected with the union of
            // the new ones is the union of the pairwise intersections.
            Some(old) => {
                for a in old {
                    for b in &new {
                        if let Some(i) = a.intersect(b) {
                            keep(i)?;
                        }
                    }
                }
            }
        }
        self.permitted = Some(out);
        Ok(())
    }

    /// §6.1.4 (g)(ii): the union with excludedSubtrees.
    fn widen(&mut self, new: Vec<T>, form: &str) -> Result<(), String> {
        for t in new {
            if !self.excluded.contains(&t) {
                if self.excluded.len() >= MAX_SUBTREES {
                    return Err(format!(
                        "the excluded {form} subtrees would exceed {MAX_SUBTREES}"
                    ));
                }
                self.excluded.push(t);
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// directoryName

/// A DN prefix; compared by its §7.1 RDN keys, shown as written.
#[derive(Debug, Clone)]
struct DnSubtree {
    keys: Vec<Vec<u8>>,
    shown: String,
}

impl PartialEq for DnSubtree {
    fn eq(&self, other: &Self) -> bool {
        self.keys == other.keys
    }
}

impl Eq for DnSubtree {}

impl Hash for DnSubtree {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.keys.hash(state);
    }
}

impl fmt::Display for DnSubtree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl Subtree for DnSubtree {
    type Name = Vec<Vec<u8>>;

    fn permits(&self, name: &Self::Name) -> bool {
        name.starts_with(&self.keys)
    }

    fn intersect(&self, other: &Self) -> Option<Self> {
        if other.keys.starts_with(&self.keys) {
            Some(other.clone())
        } else if self.keys.starts_with(&other.keys) {
            Some(self.clone())
        } else {
            None
        }
    }
}

// ---------------------------------------------------------------------------
// Host names (rfc822Name hosts, dNSName, URI hosts)

/// A host name as lower-case labels, left to right.
type Labels = Vec<String>;

/// A set of host names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Hosts {
    /// This host only.
    Exact(Labels),
    /// Every host with at least one more label on the left.
    Below(Labels),
    /// This host and every host below it.
    AtOrBelow(Labels),
}

impl Hosts {
    fn has(&self, host: &[String]) -> bool {
        match self {
            Hosts::Exact(e) => host == e.as_slice(),
            Hosts::Below(d) => host.len() > d.len() && host.ends_with(d),
            Hosts::AtOrBelow(d) => host.ends_with(d),
        }
    }

    /// Whether `self` holds every host of `other`.
    fn covers(&self, other: &Hosts) -> bool {
        match (self, other) {
            (Hosts::Exact(a), Hosts::Exact(b)) => a == b,
            // The other two kinds are infinite sets.
            (Hosts::Exact(_), _) => false,
            (Hosts::Below(d), Hosts::Exact(e) | Hosts::AtOrBelow(e)) => {
                e.len() > d.len() && e.ends_with(d)
            }
            (Hosts::Below(d), Hosts::Below(e)) => e.ends_with(d),
            (Hosts::AtOrBelow(d), Hosts::Exact(e) | Hosts::Below(e) | Hosts::AtOrBelow(e)) => {
                e.ends_with(d)
            }
        }
    }

    /// Every kind is "hosts ending with these labels", possibly restricted
    /// by length; two such sets are disjoint unless one holds the other.
    fn intersect(&self, other: &Hosts) -> Option<Hosts> {
        if self.covers(other) {
            Some(other.clone())
        } else if other.covers(self) {
            Some(self.clone())
        } else {
            None
        }
    }

    /// Whether every host one label below `parent` is in the set.
    fn has_all_children(&self, parent: &[String]) -> bool {
        match self {
            Hosts::Exact(_) => false,
            Hosts::Below(d) | Hosts::AtOrBelow(d) => parent.ends_with(d),
        }
    }

    /// Whether some host one label below `parent` is in the set.
    fn has_a_child(&self, parent: &[String]) -> bool {
        let child_of_parent = |h: &Labels| h.len() == parent.len() + 1 && h.ends_with(parent);
        match self {
            Hosts::Exact(e) => child_of_parent(e),
            Hosts::Below(d) => parent.ends_with(d),
            Hosts::AtOrBelow(d) => parent.ends_with(d) || child_of_parent(d),
        }
    }

    fn labels(&self) -> &Labels {
        match self {
            Hosts::Exact(l) | Hosts::Below(l) | Hosts::AtOrBelow(l) => l,
        }
    }
}

impl fmt::Display for Hosts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if matches!(self, Hosts::Below(_)) {
            f.write_str(".")?;
        }
        f.write_str(&self.labels().join("."))
    }
}

/// Whether `label` is a host-name label (letters, digits, hyphen; the
/// underscore too, as found in service names). Anything else — `%`, `\`,
/// spaces, brackets — could be read differently by another parser.
fn is_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The lower-case labels of a host name; one trailing period (the root) is
/// ignored, so that `example.com.` cannot escape a constraint on
/// `example.com`.
fn parse_host(text: &str) -> Option<Labels> {
    let text = text.strip_suffix('.').unwrap_or(text);
    if text.is_empty() || text.len() > 253 {
        return None;
    }
    text.split('.')
        .map(|l| is_label(l).then(|| l.to_ascii_lowercase()))
        .collect()
}

/// A domain constraint after its leading period: possibly empty (the root).
fn parse_domain(text: &str) -> Option<Labels> {
    if text.is_empty() || text == "." {
        Some(Vec::new())
    } else {
        parse_host(text)
    }
}

// ---------------------------------------------------------------------------
// rfc822Name

/// A mailbox: local part (exact) and host.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Mailbox {
    local: String,
    host: Labels,
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local, self.host.join("."))
    }
}

/// The local part may itself hold `@` when quoted; the host cannot, so the
/// last `@` separates them. An address-literal host (`[…]`) is not a host
/// name and is refused.
fn parse_mailbox(text: &str) -> Option<Mailbox> {
    let (local, host) = text.rsplit_once('@')?;
    if local.is_empty() {
        return None;
    }
    Some(Mailbox {
        local: local.to_owned(),
        host: parse_host(host)?,
    })
}

/// §4.2.1.10: "a particular mailbox, all addresses at a particular host, or
/// all mailboxes in a domain".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum MailSubtree {
    Mailbox(Mailbox),
    /// `Exact` for a host, `Below` for a domain (leading period).
    Hosts(Hosts),
}

impl MailSubtree {
    fn parse(text: &str) -> Option<Self> {
        if text.contains('@') {
            parse_mailbox(text).map(MailSubtree::Mailbox)
        } else if let Some(domain) = text.strip_prefix('.') {
            parse_domain(domain).map(|d| MailSubtree::Hosts(Hosts::Below(d)))
        } else {
            parse_host(text).map(|h| MailSubtree::Hosts(Hosts::Exact(h)))
        }
    }
}

impl fmt::Display for MailSubtree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MailSubtree::Mailbox(m) => m.fmt(f),
            MailSubtree::Hosts(h) => h.fmt(f),
        }
    }
}

impl Subtree for MailSubtree {
    type Name = Mailbox;

    fn permits(&self, name: &Mailbox) -> bool {
        match self {
            MailSubtree::Mailbox(m) => m == name,
            MailSubtree::Hosts(h) => h.has(&name.host),
        }
    }

    fn intersect(&self, other: &Self) -> Option<Self> {
        match (self, other) {
            (MailSubtree::Mailbox(a), MailSubtree::Mailbox(b)) => (a == b).then(|| self.clone()),
            (MailSubtree::Mailbox(m), MailSubtree::Hosts(h))
            | (MailSubtree::Hosts(h), MailSubtree::Mailbox(m)) => {
                h.has(&m.host).then(|| MailSubtree::Mailbox(m.clone()))
            }
            (MailSubtree::Hosts(a), MailSubtree::Hosts(b)) => {
                a.intersect(b).map(MailSubtree::Hosts)
            }
        }
    }
}

// ---------------------------------------------------------------------------
// dNSName

/// A dNSName of a certificate: a host, or every host one label below
/// `labels` when it is a wildcard (`*.example.com`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct DnsName {
    labels: Labels,
    wildcard: bool,
}

fn parse_dns_name(text: &str) -> Option<DnsName> {
    match text.strip_prefix("*.") {
        Some(parent) => Some(DnsName {
            labels: parse_host(parent)?,
            wildcard: true,
        }),
        None => Some(DnsName {
            labels: parse_host(text)?,
            wildcard: false,
        }),
    }
}

/// §4.2.1.10: "Any DNS name that can be constructed by simply adding zero
/// or more labels to the left-hand side of the name satisfies the name
/// constraint." A leading period restricts it to names below.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct DnsSubtree(Hosts);

impl DnsSubtree {
    fn parse(text: &str) -> Option<Self> {
        if text.is_empty() {
            return Some(DnsSubtree(Hosts::AtOrBelow(Vec::new())));
        }
        match text.strip_prefix('.') {
            Some(domain) => parse_domain(domain).map(|d| DnsSubtree(Hosts::Below(d))),
            None => parse_host(text).map(|h| DnsSubtree(Hosts::AtOrBelow(h))),
        }
    }
}

impl fmt::Display for DnsSubtree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Subtree for DnsSubtree {
    type Name = DnsName;

    fn permits(&self, name: &DnsName) -> bool {
        if name.wildcard {
            self.0.has_all_children(&name.labels)
        } else {
            self.0.has(&name.labels)
        }
    }

    fn touches(&self, name: &DnsName) -> bool {
        if name.wildcard {
            self.0.has_a_child(&name.labels)
        } else {
            self.0.has(&name.labels)
        }
    }

    fn intersect(&self, other: &Self) -> Option<Self> {
        self.0.intersect(&other.0).map(DnsSubtree)
    }
}

// ---------------------------------------------------------------------------
// uniformResourceIdentifier

/// §4.2.1.10: "The constraint MUST be specified as a fully qualified domain
/// name and MAY specify a host or a domain. […] When the constraint begins
/// with a period, it MAY be expanded with one or more labels."
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct UriSubtree(Hosts);

impl UriSubtree {
    fn parse(text: &str) -> Option<Self> {
        match text.strip_prefix('.') {
            Some(domain) => parse_domain(domain).map(|d| UriSubtree(Hosts::Below(d))),
            None => parse_host(text).map(|h| UriSubtree(Hosts::Exact(h))),
        }
    }
}

impl fmt::Display for UriSubtree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Subtree for UriSubtree {
    type Name = Labels;

    fn permits(&self, host: &Labels) -> bool {
        self.0.has(host)
    }

    fn intersect(&self, other: &Self) -> Option<Self> {
        self.0.intersect(&other.0).map(UriSubtree)
    }
}

/// The host of a URI (RFC 3986 §3.2), as labels; `Err` says why there is
/// none. §4.2.1.10: "If a constraint is applied to the
/// uniformResourceIdentifier name form and a subsequent certificate
/// includes a subjectAltName extension with a uniformResourceIdentifier
/// that does not include an authority component with a host name specified
/// as a fully qualified domain name (e.g., if the URI either does not
/// include an authority component or includes an authority component in
/// which the host name is specified as an IP address), then the application
/// MUST reject the certificate."
fn uri_host(uri: &str) -> Result<Labels, &'static str> {
    let (scheme, rest) = uri.split_once(':').ok_or("has no scheme")?;
    let scheme_ok = scheme
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.');
    if !scheme_ok {
        return Err("has no valid scheme");
    }
    let after = rest.strip_prefix("//").ok_or("has no authority")?;
    let authority = after.split(['/', '?', '#']).next().unwrap_or_default();
    // A backslash is a path separator to some URL parsers, which would then
    // see another host.
    if authority.contains('\\') || authority.bytes().any(|b| b.is_ascii_whitespace()) {
        return Err("has an authority that parsers read differently");
    }
    let host_port = match authority.rsplit_once('@') {
        Some((_userinfo, hp)) => hp,
        None => authority,
    };
    if host_port.starts_with('[') {
        return Err("has an IP-literal host");
    }
    let host = match host_port.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        Some(_) => return Err("has a malformed port"),
        None => host_port,
    };
    if host.is_empty() {
        return Err("has no host");
    }
    let labels = parse_host(host).ok_or("has a malformed host")?;
    // WHATWG URL parsers read a host whose last label is numeric (`1.2.3.4`,
    // `0x7f.1`, `2130706433`) as an IPv4 address.
    let last = labels.last().map(String::as_str).unwrap_or_default();
    if last.bytes().all(|b| b.is_ascii_digit()) || last.starts_with("0x") {
        return Err("has an IP-address host");
    }
    Ok(labels)
}

// ---------------------------------------------------------------------------
// iPAddress

/// An address range: the addresses whose bits under `mask` equal `addr`
/// (kept masked). 4 octets (IPv4) or 16 (IPv6); the two never meet.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct IpSubtree {
    addr: Vec<u8>,
    mask: Vec<u8>,
}

impl IpSubtree {
    /// §4.2.1.10: "For IPv4 addresses, the iPAddress field of GeneralName
    /// MUST contain eight (8) octets […] For IPv6 addresses, the iPAddress
    /// field MUST contain 32 octets similarly encoded."
    fn parse(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != 8 && bytes.len() != 32 {
            return None;
        }
        let (addr, mask) = bytes.split_at(bytes.len() / 2);
        Some(IpSubtree {
            addr: addr.iter().zip(mask).map(|(a, m)| a & m).collect(),
            mask: mask.to_vec(),
        })
    }
}

impl fmt::Display for IpSubtree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ones: u32 = self.mask.iter().map(|b| b.count_ones()).sum();
        let contiguous = self
            .mask
            .iter()
            .flat_map(|b| (0..8).rev().map(move |i| (b >> i) & 1))
            .skip(ones as usize)
            .all(|bit| bit == 0);
        if contiguous {
            write!(f, "{}/{ones}", show_ip(&self.addr))
        } else {
            write!(f, "{}/{}", show_ip(&self.addr), show_ip(&self.mask))
        }
    }
}

impl Subtree for IpSubtree {
    type Name = Vec<u8>;

    fn permits(&self, ip: &Vec<u8>) -> bool {
        ip.len() == self.addr.len()
            && ip
                .iter()
                .zip(&self.mask)
                .zip(&self.addr)
                .all(|((b, m), a)| b & m == *a)
    }

    /// `{x : x&m1 = a1} ∩ {x : x&m2 = a2}` is empty when the two disagree
    /// on a bit both masks fix, and otherwise fixes the bits of either mask.
    /// Exact for any masks, not only prefix masks.
    fn intersect(&self, other: &Self) -> Option<Self> {
        if self.addr.len() != other.addr.len() {
            return None;
        }
        let agree = (0..self.addr.len())
            .all(|i| self.addr[i] & other.mask[i] == other.addr[i] & self.mask[i]);
        agree.then(|| IpSubtree {
            addr: (0..self.addr.len())
                .map(|i| self.addr[i] | other.addr[i])
                .collect(),
            mask: (0..self.addr.len())
                .map(|i| self.mask[i] | other.mask[i])
                .collect(),
        })
    }
}

fn show_ip(bytes: &[u8]) -> String {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        Ipv4Addr::from(v4).to_string()
    } else if let Ok(v6) = <[u8; 16]>::try_from(bytes) {
        Ipv6Addr::from(v6).to_string()
    } else {
        hex::encode(bytes)
    }
}

/// The text of an emailAddress value: IA5String as PKCS #9 defines it, and
/// the directory string types some issuers use instead.
fn email_text(value: &Any) -> Option<&str> {
    match value.tag() {
        Tag::Ia5String | Tag::Utf8String | Tag::PrintableString => {
            std::str::from_utf8(value.value()).ok()
        }
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use der::asn1::{Ia5String, OctetString};
    use der::Decode;
    use std::str::FromStr;
    use std::sync::OnceLock;

    // -- string matchers ---------------------------------------------------

    fn dns(t: &str) -> DnsSubtree {
        DnsSubtree::parse(t).unwrap()
    }
    fn dname(t: &str) -> DnsName {
        parse_dns_name(t).unwrap()
    }
    fn mail(t: &str) -> MailSubtree {
        MailSubtree::parse(t).unwrap()
    }
    fn mbox(t: &str) -> Mailbox {
        parse_mailbox(t).unwrap()
    }
    fn uri(t: &str) -> UriSubtree {
        UriSubtree::parse(t).unwrap()
    }
    fn ip(b: &[u8]) -> IpSubtree {
        IpSubtree::parse(b).unwrap()
    }

    #[test]
    fn dns_labels_are_matched_whole() {
        let c = dns("example.com");
        assert!(c.permits(&dname("example.com")));
        assert!(c.permits(&dname("www.example.com")));
        assert!(c.permits(&dname("a.b.example.com")));
        assert!(!c.permits(&dname("fooexample.com")));
        assert!(!c.permits(&dname("example.com.evil")));
        assert!(!c.permits(&dname("com")));
    }

    #[test]
    fn dns_is_case_insensitive_and_ignores_the_root_period() {
        let c = dns("Example.COM");
        assert!(c.permits(&dname("WWW.example.com")));
        assert!(c.permits(&dname("www.example.com.")));
        assert!(dns("example.com.").permits(&dname("example.com")));
    }

    #[test]
    fn dns_leading_period_means_below_only_and_empty_means_all() {
        let c = dns(".example.com");
        assert!(!c.permits(&dname("example.com")));
        assert!(c.permits(&dname("www.example.com")));
        assert!(dns("").permits(&dname("anything.example")));
    }

    #[test]
    fn dns_malformed_names_are_refused() {
        for t in [
            "",
            "a..b",
            "exa mple.com",
            "ex%61mple.com",
            "a.*.com",
            "*",
            "[::1]",
        ] {
            assert!(parse_dns_name(t).is_none(), "{t}");
        }
        assert!(DnsSubtree::parse("*.example.com").is_none());
    }

    #[test]
    fn dns_wildcards_must_be_wholly_permitted_and_not_touch_an_exclusion() {
        let w = dname("*.example.com");
        assert!(dns("example.com").permits(&w));
        assert!(dns(".example.com").permits(&w));
        assert!(!dns("www.example.com").permits(&w));
        assert!(dns("www.example.com").touches(&w));
        assert!(!dns("a.www.example.com").touches(&w));
        assert!(!dns("other.com").touches(&w));
        let mut st = NameConstraintsState::default();
        st.dns
            .widen(vec![dns("secret.example.com")], "dNSName")
            .unwrap();
        assert!(st.check_dns("*.example.com").is_err());
        assert!(st.check_dns("*.public.example.com").is_ok());
    }

    #[test]
    fn rfc822_forms() {
        // A mailbox: local part exact, host without case.
        let m = mail("Alice@Example.com");
        assert!(m.permits(&mbox("Alice@example.COM")));
        assert!(!m.permits(&mbox("alice@example.com")));
        assert!(!m.permits(&mbox("Alice@mail.example.com")));
        // A host: its mailboxes only.
        let h = mail("example.com");
        assert!(h.permits(&mbox("anyone@EXAMPLE.com")));
        assert!(!h.permits(&mbox("anyone@mail.example.com")));
        assert!(!h.permits(&mbox("anyone@fooexample.com")));
        // A domain: mailboxes of hosts below it, not of the domain itself.
        let d = mail(".example.com");
        assert!(d.permits(&mbox("anyone@mail.example.com")));
        assert!(d.permits(&mbox("anyone@a.b.example.com")));
        assert!(!d.permits(&mbox("anyone@example.com")));
        assert!(!d.permits(&mbox("anyone@mailexample.com")));
    }

    #[test]
    fn rfc822_parsing() {
        assert_eq!(mbox("\"a@b\"@example.com").local, "\"a@b\"");
        assert!(parse_mailbox("example.com").is_none());
        assert!(parse_mailbox("@example.com").is_none());
        assert!(parse_mailbox("a@[192.0.2.1]").is_none());
        assert!(MailSubtree::parse("").is_none());
    }

    #[test]
    fn uri_host_extraction() {
        let host = |u| uri_host(u).map(|l| l.join("."));
        assert_eq!(host("http://Example.com/x").unwrap(), "example.com");
        assert_eq!(
            host("https://user:pw@www.example.com:8443/a?b#c").unwrap(),
            "www.example.com"
        );
        assert_eq!(
            host("ftp://invalidcertificates.gov:21/test37/").unwrap(),
            "invalidcertificates.gov"
        );
        assert_eq!(
            host("http://example.com?q=@evil.com").unwrap(),
            "example.com"
        );
        assert_eq!(host("http://evil.com#@example.com").unwrap(), "evil.com");
        assert_eq!(host("http://a@b@example.com/").unwrap(), "example.com");
        assert!(host("urn:isbn:0451450523").is_err());
        assert!(host("mailto:a@example.com").is_err());
        assert!(host("http:///path").is_err());
        assert!(host("http://[2001:db8::1]/").is_err());
        assert!(host("http://192.0.2.1/").is_err());
        assert!(host("http://0x7f.1/").is_err());
        assert!(host("http://2130706433/").is_err());
        assert!(host("http://evil.com\\@example.com/").is_err());
        assert!(host("http://example.com:80x/").is_err());
        assert!(host("http://ex%61mple.com/").is_err());
        assert!(host("//example.com/").is_err());
    }

    #[test]
    fn uri_constraints_are_host_or_domain() {
        let host = |u| uri_host(u).unwrap();
        assert!(uri("example.com").permits(&host("http://EXAMPLE.com/")));
        assert!(!uri("example.com").permits(&host("http://www.example.com/")));
        assert!(uri(".example.com").permits(&host("http://www.example.com/")));
        assert!(!uri(".example.com").permits(&host("http://example.com/")));
        let mut st = NameConstraintsState::default();
        st.uri
            .widen(vec![uri("evil.example")], "uniformResourceIdentifier")
            .unwrap();
        assert!(st.check_uri("urn:x:y").is_err());
        assert!(st.check_uri("http://good.example/").is_ok());
        assert!(st.check_uri("http://EVIL.example:8080/").is_err());
    }

    #[test]
    fn ip_masks() {
        let net = ip(&[192, 0, 2, 0, 255, 255, 255, 0]);
        assert!(net.permits(&vec![192, 0, 2, 77]));
        assert!(!net.permits(&vec![192, 0, 3, 1]));
        assert_eq!(net.to_string(), "192.0.2.0/24");
        // Host bits in the address are ignored.
        assert_eq!(ip(&[192, 0, 2, 9, 255, 255, 255, 0]), net);
        // IPv4 and IPv6 never meet, not even ::ffff:192.0.2.1.
        let mut mapped = vec![0u8; 16];
        mapped[10] = 0xff;
        mapped[11] = 0xff;
        mapped[12..].copy_from_slice(&[192, 0, 2, 1]);
        assert!(!net.permits(&mapped));
        let mut v6 = vec![0x20, 0x01, 0x0d, 0xb8];
        v6.extend([0; 12]);
        v6.extend([0xff; 4]);
        v6.extend([0; 12]);
        let v6 = ip(&v6);
        assert_eq!(v6.to_string(), "2001:db8::/32");
        assert!(v6.permits(&[[0x20, 0x01, 0x0d, 0xb8].as_slice(), &[7; 12]].concat()));
        assert!(net.intersect(&v6).is_none());
        assert!(IpSubtree::parse(&[1, 2, 3, 4]).is_none());
        assert!(IpSubtree::parse(&[0; 16]).is_none());
        // A non-prefix mask.
        let odd = ip(&[10, 0, 0, 1, 255, 0, 0, 255]);
        assert!(odd.permits(&vec![10, 9, 9, 1]));
        assert_eq!(odd.to_string(), "10.0.0.1/255.0.0.255");
    }

    // -- intersections -----------------------------------------------------

    /// Every host of up to three labels from {a, b}.
    fn host_universe() -> Vec<Labels> {
        let mut out = vec![];
        let mut layer: Vec<Labels> = vec![vec![]];
        for _ in 0..3 {
            let mut next = vec![];
            for h in &layer {
                for l in ["a", "b"] {
                    let mut n = vec![l.to_string()];
                    n.extend(h.iter().cloned());
                    next.push(n);
                }
            }
            out.extend(next.iter().cloned());
            layer = next;
        }
        out
    }

    fn host_patterns() -> Vec<Hosts> {
        let mut v = vec![Hosts::Below(vec![]), Hosts::AtOrBelow(vec![])];
        for h in host_universe().into_iter().filter(|h| h.len() <= 2) {
            v.push(Hosts::Exact(h.clone()));
            v.push(Hosts::Below(h.clone()));
            v.push(Hosts::AtOrBelow(h));
        }
        v
    }

    #[test]
    fn host_intersections_are_exact() {
        let universe = host_universe();
        for a in host_patterns() {
            for b in host_patterns() {
                let i = a.intersect(&b);
                for h in &universe {
                    let want = a.has(h) && b.has(h);
                    let got = i.as_ref().is_some_and(|i| i.has(h));
                    assert_eq!(want, got, "{a:?} ∩ {b:?} at {h:?} gave {i:?}");
                }
            }
        }
    }

    #[test]
    fn wildcard_helpers_agree_with_enumeration() {
        let universe = host_universe();
        for p in host_patterns() {
            for parent in universe.iter().filter(|h| h.len() <= 2) {
                let children: Vec<&Labels> = universe
                    .iter()
                    .filter(|h| h.len() == parent.len() + 1 && h.ends_with(parent))
                    .collect();
                // Only in the universe: a label other than a/b must not change
                // the answer for the patterns used, except for Exact children.
                let all = children.iter().all(|c| p.has(c)) && !matches!(p, Hosts::Exact(_));
                assert_eq!(p.has_all_children(parent), all, "{p:?} {parent:?}");
                let some = children.iter().any(|c| p.has(c));
                assert_eq!(p.has_a_child(parent), some, "{p:?} {parent:?}");
            }
        }
    }

    #[test]
    fn mail_intersections_are_exact() {
        let texts = [
            "x@a", "y@a", "x@b.a", "x@A", "a", "b.a", "b", ".a", ".b.a", ".b", "x@b.b.a",
        ];
        let names: Vec<Mailbox> = ["x@a", "y@a", "x@b.a", "y@b.a", "x@b", "x@a.b.a", "x@b.b.a"]
            .iter()
            .map(|t| mbox(t))
            .collect();
        for a in texts {
            for b in texts {
                let (a, b) = (mail(a), mail(b));
                let i = a.intersect(&b);
                for n in &names {
                    let want = a.permits(n) && b.permits(n);
                    let got = i.as_ref().is_some_and(|i| i.permits(n));
                    assert_eq!(want, got, "{a} ∩ {b} at {n} gave {i:?}");
                }
            }
        }
    }

    #[test]
    fn ip_intersections_are_exact() {
        let subtrees: Vec<IpSubtree> = [
            [10, 0, 0, 0, 255, 0, 0, 0],
            [10, 1, 0, 0, 255, 255, 0, 0],
            [10, 2, 0, 0, 255, 255, 0, 0],
            [0, 0, 0, 0, 0, 0, 0, 0],
            [11, 1, 0, 0, 255, 255, 0, 0],
            [0, 1, 0, 0, 0, 255, 0, 0],
            [10, 1, 2, 3, 255, 255, 255, 255],
        ]
        .iter()
        .map(|b| ip(b))
        .collect();
        let addrs: Vec<Vec<u8>> = [
            [10, 1, 2, 3],
            [10, 1, 9, 9],
            [10, 2, 0, 1],
            [11, 1, 0, 0],
            [12, 1, 1, 1],
            [10, 0, 0, 0],
        ]
        .iter()
        .map(|a| a.to_vec())
        .collect();
        for a in &subtrees {
            for b in &subtrees {
                let i = a.intersect(b);
                for x in &addrs {
                    let want = a.permits(x) && b.permits(x);
                    assert_eq!(
                        want,
                        i.as_ref().is_some_and(|i| i.permits(x)),
                        "{a} ∩ {b} at {x:?}"
                    );
                }
            }
        }
    }

    fn dn(s: &str) -> DnSubtree {
        let n = Name::from_str(s).unwrap();
        DnSubtree {
            keys: rdn_keys(&n).unwrap(),
            shown: n.to_string(),
        }
    }

    #[test]
    fn dn_prefixes() {
        // Name::from_str takes RFC 4514 order (last RDN first).
        let org = dn("O=Test,C=US");
        let unit = dn("OU=One,O=Test,C=US");
        let other = dn("OU=Two,O=Test,C=US");
        assert_eq!(org.intersect(&unit), Some(unit.clone()));
        assert_eq!(unit.intersect(&org), Some(unit.clone()));
        assert_eq!(unit.intersect(&other), None);
        assert!(unit.permits(&dn("CN=x,ou=one,o=TEST,C=us").keys));
        assert!(!unit.permits(&dn("CN=x,OU=Two,O=Test,C=US").keys));
        assert!(!unit.permits(&dn("O=Test,C=US").keys));
        // Not a prefix: the same RDNs deeper in the name.
        assert!(!unit.permits(&dn("OU=One,O=Test,C=US,DC=x").keys));
    }

    #[test]
    fn empty_permitted_set_differs_from_no_constraint() {
        let mut st = FormState::<DnsSubtree>::default();
        assert!(st
            .check(&dname("x.example"), "dNSName", "x.example")
            .is_ok());
        // A form the new list lacks is unchanged.
        st.narrow(None, "dNSName").unwrap();
        assert!(st.permitted.is_none());
        st.narrow(Some(vec![dns("a.example")]), "dNSName").unwrap();
        st.narrow(Some(vec![dns("b.example")]), "dNSName").unwrap();
        assert_eq!(st.permitted, Some(vec![]));
        let e = st
            .check(&dname("a.example"), "dNSName", "a.example")
            .unwrap_err();
        assert!(e.contains("permit no name of this form"), "{e}");
        // Nothing permitted stays nothing, whatever comes later.
        st.narrow(Some(vec![dns("")]), "dNSName").unwrap();
        assert_eq!(st.permitted, Some(vec![]));
    }

    #[test]
    fn intersection_keeps_the_narrower_subtrees_of_a_union() {
        let mut st = FormState::<DnsSubtree>::default();
        st.narrow(Some(vec![dns("a.example"), dns("b.example")]), "dNSName")
            .unwrap();
        st.narrow(
            Some(vec![dns("x.a.example"), dns("c.example"), dns("example")]),
            "dNSName",
        )
        .unwrap();
        let mut got: Vec<String> = st
            .permitted
            .unwrap()
            .iter()
            .map(|t| t.to_string())
            .collect();
        got.sort();
        assert_eq!(got, ["a.example", "b.example", "x.a.example"]);
    }

    #[test]
    fn excluded_is_a_union() {
        let mut st = FormState::<DnsSubtree>::default();
        st.widen(vec![dns("a.example")], "dNSName").unwrap();
        st.widen(vec![dns("b.example"), dns("A.example")], "dNSName")
            .unwrap();
        assert_eq!(st.excluded.len(), 2);
        assert!(st
            .check(&dname("x.b.example"), "dNSName", "x.b.example")
            .is_err());
        assert!(st
            .check(&dname("c.example"), "dNSName", "c.example")
            .is_ok());
    }

    #[test]
    fn forms_are_independent() {
        let mut st = NameConstraintsState::default();
        let nc = NameConstraints {
            permitted_subtrees: Some(vec![subtree(GeneralName::DnsName(
                Ia5String::new("example.com").unwrap(),
            ))]),
            excluded_subtrees: None,
        };
        st.apply(&nc, true).unwrap();
        // No rfc822 constraint: any mailbox; the DNS one binds.
        let san = [
            GeneralName::Rfc822Name(Ia5String::new("a@elsewhere.example").unwrap()),
            GeneralName::DnsName(Ia5String::new("www.example.com").unwrap()),
        ];
        assert!(st.check_names(&Name::default(), &san).is_ok());
        let bad = [GeneralName::DnsName(
            Ia5String::new("www.example.org").unwrap(),
        )];
        let e = st.check_names(&Name::default(), &bad).unwrap_err();
        assert!(
            e.contains("dNSName www.example.org is not within the permitted"),
            "{e}"
        );
    }

    fn subtree(base: GeneralName) -> GeneralSubtree {
        GeneralSubtree {
            base,
            minimum: 0,
            maximum: None,
        }
    }

    #[test]
    fn minimum_and_maximum_must_be_default() {
        let mut st = NameConstraintsState::default();
        let base = GeneralName::DnsName(Ia5String::new("example.com").unwrap());
        for (minimum, maximum) in [(1, None), (0, Some(0)), (0, Some(3))] {
            let nc = NameConstraints {
                permitted_subtrees: Some(vec![GeneralSubtree {
                    base: base.clone(),
                    minimum,
                    maximum,
                }]),
                excluded_subtrees: None,
            };
            assert!(st.apply(&nc, true).is_err());
        }
        // Refused extensions leave the state as it was.
        assert!(!st.constrains_anything());
    }

    #[test]
    fn empty_extensions_are_refused() {
        let mut st = NameConstraintsState::default();
        let empty = NameConstraints {
            permitted_subtrees: None,
            excluded_subtrees: None,
        };
        assert!(st.apply(&empty, true).is_err());
        let empty_list = NameConstraints {
            permitted_subtrees: Some(vec![]),
            excluded_subtrees: None,
        };
        assert!(st.apply(&empty_list, true).is_err());
    }

    #[test]
    fn malformed_constraints_are_refused() {
        let mut st = NameConstraintsState::default();
        for base in [
            GeneralName::DnsName(Ia5String::new("a..b").unwrap()),
            GeneralName::Rfc822Name(Ia5String::new("").unwrap()),
            GeneralName::UniformResourceIdentifier(Ia5String::new("http://example.com/").unwrap()),
            GeneralName::IpAddress(OctetString::new(vec![10, 0, 0, 1]).unwrap()),
        ] {
            let nc = NameConstraints {
                permitted_subtrees: None,
                excluded_subtrees: Some(vec![subtree(base.clone())]),
            };
            assert!(st.apply(&nc, true).is_err(), "{base:?}");
        }
    }

    #[test]
    fn too_many_subtrees_are_refused() {
        let mut st = NameConstraintsState::default();
        let list: Vec<GeneralSubtree> = (0..=MAX_SUBTREES)
            .map(|i| {
                subtree(GeneralName::DnsName(
                    Ia5String::new(&format!("h{i}.example")).unwrap(),
                ))
            })
            .collect();
        let nc = NameConstraints {
            permitted_subtrees: Some(list),
            excluded_subtrees: None,
        };
        let e = st.apply(&nc, true).unwrap_err();
        assert!(e.contains("more than 1024"), "{e}");
    }

    #[test]
    fn ip_intersections_are_bounded() {
        // Pairwise intersections of non-prefix masks are new subtrees; the
        // state refuses to grow past the bound instead of growing to n².
        let mut st = FormState::<IpSubtree>::default();
        let a: Vec<IpSubtree> = (0..=255u8)
            .map(|i| ip(&[i, 0, 0, 0, 255, 0, 0, 0]))
            .collect();
        let b: Vec<IpSubtree> = (0..=255u8)
            .map(|i| ip(&[0, i, 0, 0, 0, 255, 0, 0]))
            .collect();
        st.narrow(Some(a), "iPAddress").unwrap();
        assert!(st.narrow(Some(b), "iPAddress").is_err());
    }

    #[test]
    fn unsupported_forms_reject_only_names_of_that_form() {
        let oid = ObjectIdentifier::new_unwrap("1.2.3.4");
        let nc = NameConstraints {
            permitted_subtrees: Some(vec![subtree(GeneralName::RegisteredId(oid))]),
            excluded_subtrees: None,
        };
        let mut st = NameConstraintsState::default();
        st.apply(&nc, true).unwrap();
        let dns_only = [GeneralName::DnsName(Ia5String::new("x.example").unwrap())];
        assert!(st.check_names(&Name::default(), &dns_only).is_ok());
        let e = st
            .check_names(&Name::default(), &[GeneralName::RegisteredId(oid)])
            .unwrap_err();
        assert!(e.contains("registeredID"), "{e}");
        // Not critical: may be ignored.
        let mut lax = NameConstraintsState::default();
        lax.apply(&nc, false).unwrap();
        assert!(lax
            .check_names(&Name::default(), &[GeneralName::RegisteredId(oid)])
            .is_ok());
        // Names of an unsupported form with no constraint of that form.
        let mut other = NameConstraintsState::default();
        other
            .apply(
                &NameConstraints {
                    permitted_subtrees: Some(dns_only.iter().cloned().map(subtree).collect()),
                    excluded_subtrees: None,
                },
                true,
            )
            .unwrap();
        assert!(other
            .check_names(&Name::default(), &[GeneralName::RegisteredId(oid)])
            .is_ok());
    }

    #[test]
    fn subject_email_is_checked_only_without_a_san_mailbox() {
        let mut st = NameConstraintsState::default();
        st.apply(
            &NameConstraints {
                permitted_subtrees: Some(vec![subtree(GeneralName::Rfc822Name(
                    Ia5String::new("example.com").unwrap(),
                ))]),
                excluded_subtrees: None,
            },
            true,
        )
        .unwrap();
        let subject = Name::from_str("emailAddress=x@other.example,CN=X").unwrap();
        let e = st.check_names(&subject, &[]).unwrap_err();
        assert!(e.contains("emailAddress attribute x@other.example"), "{e}");
        let san = [GeneralName::Rfc822Name(
            Ia5String::new("x@example.com").unwrap(),
        )];
        assert!(st.check_names(&subject, &san).is_ok());
    }

    #[test]
    fn malformed_names_fail_only_when_their_form_is_constrained() {
        let st = NameConstraintsState::default();
        let san = [GeneralName::DnsName(Ia5String::new("bad name").unwrap())];
        assert!(st.check_names(&Name::default(), &san).is_ok());
        let mut st = NameConstraintsState::default();
        st.dns.widen(vec![dns("evil.example")], "dNSName").unwrap();
        assert!(st.check_names(&Name::default(), &san).is_err());
        let ip4 = [GeneralName::IpAddress(
            OctetString::new(vec![1, 2, 3]).unwrap(),
        )];
        assert!(st.check_names(&Name::default(), &ip4).is_ok());
        st.ip
            .widen(vec![ip(&[10, 0, 0, 0, 255, 0, 0, 0])], "iPAddress")
            .unwrap();
        assert!(st.check_names(&Name::default(), &ip4).is_err());
    }

    // -- NIST PKITS 4.13 ---------------------------------------------------

    fn certs_dir() -> std::path::PathBuf {
        std::path::PathBuf::from(
            std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
        )
        .join("../../tests/fixtures/pkits/certs")
    }
    const ANCHOR: &str = "TrustAnchorRootCertificate.crt";

    /// Every certificate of the folder that decodes (a few of section 4.2
    /// do not), by file name.
    fn pool() -> &'static [(String, Certificate)] {
        static POOL: OnceLock<Vec<(String, Certificate)>> = OnceLock::new();
        POOL.get_or_init(|| {
            let mut v: Vec<(String, Certificate)> = std::fs::read_dir(certs_dir())
                .unwrap()
                .filter_map(|e| {
                    let path = e.unwrap().path();
                    let name = path.file_name()?.to_str()?.to_owned();
                    let cert = Certificate::from_der(&std::fs::read(&path).ok()?).ok()?;
                    Some((name, cert))
                })
                .collect();
            v.sort_by(|a, b| a.0.cmp(&b.0));
            v
        })
    }

    fn ski(c: &Certificate) -> Option<Vec<u8>> {
        let (_, s) = c
            .tbs_certificate()
            .get_extension::<x509_cert::ext::pkix::SubjectKeyIdentifier>()
            .ok()??;
        Some(s.0.as_bytes().to_vec())
    }

    fn aki(c: &Certificate) -> Option<Vec<u8>> {
        let (_, a) = c
            .tbs_certificate()
            .get_extension::<x509_cert::ext::pkix::AuthorityKeyIdentifier>()
            .ok()??;
        a.key_identifier.map(|k| k.as_bytes().to_vec())
    }

    /// The path from the anchor's child down to `ee`, by issuer → subject,
    /// disambiguated by authorityKeyIdentifier → subjectKeyIdentifier.
    fn chain(ee: &str) -> Vec<&'static (String, Certificate)> {
        let pool = pool();
        let mut path = vec![pool.iter().find(|(n, _)| n == ee).expect(ee)];
        loop {
            let child = &path.last().unwrap().1;
            let issuer = child.tbs_certificate().issuer();
            let mut candidates: Vec<_> = pool
                .iter()
                .filter(|(n, c)| {
                    c.tbs_certificate().subject() == issuer && !path.iter().any(|(m, _)| m == n)
                })
                .collect();
            if candidates.len() > 1 {
                let want = aki(child);
                candidates.retain(|(_, c)| want.is_some() && ski(c) == want);
            }
            assert_eq!(candidates.len(), 1, "issuer of {ee}: {candidates:?}");
            let parent = candidates[0];
            if parent.0 == ANCHOR {
                break;
            }
            path.push(parent);
            assert!(path.len() < 16, "no anchor for {ee}");
        }
        path.reverse();
        path
    }

    fn run(ee: &str) -> Result<(), String> {
        let path = chain(ee);
        let mut state = NameConstraintsState::default();
        for (i, (_, cert)) in path.iter().enumerate() {
            let last = i + 1 == path.len();
            let tbs = cert.tbs_certificate();
            let self_issued = crate::rfc5280_names::names_match(tbs.subject(), tbs.issuer());
            if last || !self_issued {
                state.check(cert)?;
            }
            if !last {
                state.update(cert)?;
            }
        }
        Ok(())
    }

    fn valid(ee: &str) {
        assert!(ee.starts_with("Valid"));
        if let Err(e) = run(ee) {
            panic!("{ee}: {e}");
        }
    }

    fn invalid(ee: &str, reason: &str) {
        assert!(ee.starts_with("Invalid"));
        match run(ee) {
            Ok(()) => panic!("{ee} passed"),
            Err(e) => {
                eprintln!("{ee}: {e}");
                assert!(e.contains(reason), "{ee}: {e}");
            }
        }
    }

    #[test]
    fn pkits_chains_are_found() {
        let names: Vec<&str> = chain("ValidDNnameConstraintsTest19EE.crt")
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "nameConstraintsDN1CACert.crt",
                "nameConstraintsDN1SelfIssuedCACert.crt",
                "ValidDNnameConstraintsTest19EE.crt"
            ]
        );
    }

    #[test]
    fn pkits_4_13_1_valid_dn_name_constraints() {
        valid("ValidDNnameConstraintsTest1EE.crt");
    }

    #[test]
    fn pkits_4_13_2_invalid_dn_name_constraints() {
        invalid("InvalidDNnameConstraintsTest2EE.crt", "subject name");
    }

    #[test]
    fn pkits_4_13_3_invalid_dn_name_constraints() {
        invalid("InvalidDNnameConstraintsTest3EE.crt", "directoryName");
    }

    #[test]
    fn pkits_4_13_4_valid_dn_name_constraints() {
        valid("ValidDNnameConstraintsTest4EE.crt");
    }

    #[test]
    fn pkits_4_13_5_valid_dn_name_constraints() {
        valid("ValidDNnameConstraintsTest5EE.crt");
    }

    #[test]
    fn pkits_4_13_6_valid_dn_name_constraints() {
        valid("ValidDNnameConstraintsTest6EE.crt");
    }

    #[test]
    fn pkits_4_13_7_invalid_dn_name_constraints() {
        invalid("InvalidDNnameConstraintsTest7EE.crt", "excluded subtree");
    }

    #[test]
    fn pkits_4_13_8_invalid_dn_name_constraints() {
        invalid("InvalidDNnameConstraintsTest8EE.crt", "excluded subtree");
    }

    #[test]
    fn pkits_4_13_9_invalid_dn_name_constraints() {
        invalid("InvalidDNnameConstraintsTest9EE.crt", "excluded subtree");
    }

    #[test]
    fn pkits_4_13_10_invalid_dn_name_constraints() {
        invalid("InvalidDNnameConstraintsTest10EE.crt", "excluded subtree");
    }

    #[test]
    fn pkits_4_13_11_valid_dn_name_constraints() {
        valid("ValidDNnameConstraintsTest11EE.crt");
    }

    #[test]
    fn pkits_4_13_12_invalid_dn_name_constraints() {
        invalid(
            "InvalidDNnameConstraintsTest12EE.crt",
            "not within the permitted",
        );
    }

    #[test]
    fn pkits_4_13_13_invalid_dn_name_constraints() {
        invalid(
            "InvalidDNnameConstraintsTest13EE.crt",
            "permit no name of this form",
        );
    }

    #[test]
    fn pkits_4_13_14_valid_dn_name_constraints() {
        valid("ValidDNnameConstraintsTest14EE.crt");
    }

    #[test]
    fn pkits_4_13_15_invalid_dn_name_constraints() {
        invalid("InvalidDNnameConstraintsTest15EE.crt", "excluded subtree");
    }

    #[test]
    fn pkits_4_13_16_invalid_dn_name_constraints() {
        invalid("InvalidDNnameConstraintsTest16EE.crt", "excluded subtree");
    }

    #[test]
    fn pkits_4_13_17_invalid_dn_name_constraints() {
        invalid("InvalidDNnameConstraintsTest17EE.crt", "excluded subtree");
    }

    #[test]
    fn pkits_4_13_18_valid_dn_name_constraints() {
        valid("ValidDNnameConstraintsTest18EE.crt");
    }

    #[test]
    fn pkits_4_13_19_valid_self_issued_dn_name_constraints() {
        valid("ValidDNnameConstraintsTest19EE.crt");
    }

    #[test]
    fn pkits_4_13_20_invalid_self_issued_dn_name_constraints() {
        invalid("InvalidDNnameConstraintsTest20EE.crt", "subject name");
    }

    #[test]
    fn pkits_4_13_21_valid_rfc822_name_constraints() {
        valid("ValidRFC822nameConstraintsTest21EE.crt");
    }

    #[test]
    fn pkits_4_13_22_invalid_rfc822_name_constraints() {
        invalid("InvalidRFC822nameConstraintsTest22EE.crt", "rfc822Name");
    }

    #[test]
    fn pkits_4_13_23_valid_rfc822_name_constraints() {
        valid("ValidRFC822nameConstraintsTest23EE.crt");
    }

    #[test]
    fn pkits_4_13_24_invalid_rfc822_name_constraints() {
        invalid("InvalidRFC822nameConstraintsTest24EE.crt", "rfc822Name");
    }

    #[test]
    fn pkits_4_13_25_valid_rfc822_name_constraints() {
        valid("ValidRFC822nameConstraintsTest25EE.crt");
    }

    #[test]
    fn pkits_4_13_26_invalid_rfc822_name_constraints() {
        invalid("InvalidRFC822nameConstraintsTest26EE.crt", "rfc822Name");
    }

    #[test]
    fn pkits_4_13_27_valid_dn_and_rfc822_name_constraints() {
        valid("ValidDNandRFC822nameConstraintsTest27EE.crt");
    }

    #[test]
    fn pkits_4_13_28_invalid_dn_and_rfc822_name_constraints() {
        invalid(
            "InvalidDNandRFC822nameConstraintsTest28EE.crt",
            "rfc822Name",
        );
    }

    #[test]
    fn pkits_4_13_29_invalid_dn_and_rfc822_name_constraints() {
        invalid(
            "InvalidDNandRFC822nameConstraintsTest29EE.crt",
            "emailAddress attribute",
        );
    }

    #[test]
    fn pkits_4_13_30_valid_dns_name_constraints() {
        valid("ValidDNSnameConstraintsTest30EE.crt");
    }

    #[test]
    fn pkits_4_13_31_invalid_dns_name_constraints() {
        invalid("InvalidDNSnameConstraintsTest31EE.crt", "dNSName");
    }

    #[test]
    fn pkits_4_13_32_valid_dns_name_constraints() {
        valid("ValidDNSnameConstraintsTest32EE.crt");
    }

    #[test]
    fn pkits_4_13_33_invalid_dns_name_constraints() {
        invalid("InvalidDNSnameConstraintsTest33EE.crt", "dNSName");
    }

    #[test]
    fn pkits_4_13_34_valid_uri_name_constraints() {
        valid("ValidURInameConstraintsTest34EE.crt");
    }

    #[test]
    fn pkits_4_13_35_invalid_uri_name_constraints() {
        invalid(
            "InvalidURInameConstraintsTest35EE.crt",
            "uniformResourceIdentifier",
        );
    }

    #[test]
    fn pkits_4_13_36_valid_uri_name_constraints() {
        valid("ValidURInameConstraintsTest36EE.crt");
    }

    #[test]
    fn pkits_4_13_37_invalid_uri_name_constraints() {
        invalid(
            "InvalidURInameConstraintsTest37EE.crt",
            "uniformResourceIdentifier",
        );
    }

    #[test]
    fn pkits_4_13_38_invalid_dns_name_constraints() {
        invalid("InvalidDNSnameConstraintsTest38EE.crt", "dNSName");
    }
}

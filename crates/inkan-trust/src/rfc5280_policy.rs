//! Certificate-policy processing of RFC 5280 §6.1 (the `valid_policy_tree`).
//!
//! RFC 5280 §6.1 checks the inputs user-initial-policy-set,
//! initial-policy-mapping-inhibit, initial-explicit-policy and
//! initial-any-policy-inhibit (§6.1.1 (c) (e) (f) (g)) against the
//! certificatePolicies, policyMappings, policyConstraints and inhibitAnyPolicy
//! extensions of every certificate of the path. This module runs exactly the
//! policy steps of the algorithm, as written:
//!
//! - §6.1.2 (a) (d) (e) (f): the initial tree and the three counters;
//! - §6.1.3 (d) (e) (f): growing and pruning the tree for certificate i;
//! - §6.1.4 (a) (b) (h) (i) (j): policy mappings and the counters, between
//!   certificate i and i+1;
//! - §6.1.5 (a) (b) (g): wrap-up on the end entity, including the
//!   intersection with the user-initial-policy-set.
//!
//! The tree is kept as RFC 5280 §6.1.2 (a) describes it — "Each node in the
//! valid_policy_tree includes three data objects: the valid policy, a set of
//! associated policy qualifiers, and a set of one or more expected policy
//! values" — with a link from every node to its parent. Qualifiers are not
//! kept: Inkan does not show them, and §6.1.2 (a) (2) says "It is only
//! necessary to maintain this field if policy qualifiers are returned to the
//! application."
//!
//! The §6.1 tree can grow exponentially with the path length (RFC 9618 §1).
//! Instead of RFC 9618's policy graph this module keeps the RFC 5280 tree but
//! refuses to hold more than [`MAX_NODES_PER_DEPTH`] nodes at one depth, so a
//! crafted path ends in an error, never in exhausted memory.
//!
//! The caller runs the rest of path validation and drives a
//! [`PolicyProcessor`] with the certificates in RFC order: i = 1 is the trust
//! anchor's child, i = n the end entity; for i < n it calls
//! [`PolicyProcessor::process_certificate`] then [`PolicyProcessor::prepare_next`],
//! and for i = n [`PolicyProcessor::process_certificate`] then
//! [`PolicyProcessor::wrap_up`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;

use der::asn1::ObjectIdentifier;
use der::oid::AssociatedOid;
use x509_cert::ext::pkix::{
    CertificatePolicies, InhibitAnyPolicy, PolicyConstraints, PolicyMappings,
};
use x509_cert::Certificate;

/// The special policy anyPolicy (RFC 5280 §4.2.1.4: "When a CA does not wish
/// to limit the set of policies for certification paths that include this
/// certificate, it MAY assert the special policy anyPolicy, with a value of
/// { 2 5 29 32 0 }.").
pub const ANY_POLICY: &str = "2.5.29.32.0";

const ANY: ObjectIdentifier = ObjectIdentifier::new_unwrap(ANY_POLICY);

/// The most nodes the `valid_policy_tree` may hold at one depth.
///
/// Real paths have a handful of policies per certificate; the limit only
/// stops the exponential growth a crafted path can cause (RFC 9618 §1).
pub const MAX_NODES_PER_DEPTH: usize = 1024;

/// The RFC 5280 §6.1.1 (c) (e) (f) (g) inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySettings {
    /// user-initial-policy-set (dotted OIDs); `{anyPolicy}` by default.
    ///
    /// RFC 5280 §6.1.1 (c): "A set of certificate policy identifiers naming
    /// the policies that are acceptable to the certificate user." A set
    /// containing anyPolicy is taken as the special value any-policy of
    /// §6.1.5 (g) (ii); an empty set accepts no policy, so it only passes
    /// paths that require none.
    pub initial_policy_set: Vec<String>,
    /// initial-explicit-policy, §6.1.1 (f): "indicates if the path must be
    /// valid for at least one of the certificate policies in the
    /// user-initial-policy-set."
    pub initial_explicit_policy: bool,
    /// initial-policy-mapping-inhibit, §6.1.1 (e): "indicates if policy
    /// mapping is allowed in the certification path."
    pub initial_policy_mapping_inhibit: bool,
    /// initial-any-policy-inhibit, §6.1.1 (g): "indicates whether the
    /// anyPolicy OID should be processed if it is included in a certificate."
    pub initial_any_policy_inhibit: bool,
}

impl Default for PolicySettings {
    /// The RFC 5280 §6.1.1 defaults: any policy is acceptable, nothing is
    /// required or inhibited.
    fn default() -> Self {
        Self {
            initial_policy_set: vec![ANY_POLICY.to_owned()],
            initial_explicit_policy: false,
            initial_policy_mapping_inhibit: false,
            initial_any_policy_inhibit: false,
        }
    }
}

/// A `valid_policy_tree` node (RFC 5280 §6.1.2 (a)); the qualifier set is
/// not kept (module docs).
#[derive(Debug, Clone)]
struct Node {
    valid_policy: ObjectIdentifier,
    expected_policy_set: BTreeSet<ObjectIdentifier>,
    /// Index of the parent in the level above; `None` only for the root.
    parent: Option<usize>,
}

impl Node {
    fn child(parent: usize, valid_policy: ObjectIdentifier) -> Self {
        Self {
            valid_policy,
            expected_policy_set: BTreeSet::from([valid_policy]),
            parent: Some(parent),
        }
    }
}

/// A non-NULL `valid_policy_tree`: `levels[d]` holds the nodes of depth d.
#[derive(Debug, Clone)]
struct PolicyTree {
    levels: Vec<Vec<Node>>,
}

impl PolicyTree {
    /// §6.1.2 (a): "The initial value of the valid_policy_tree is a single
    /// node with valid_policy anyPolicy, an empty qualifier_set, and an
    /// expected_policy_set with the single value anyPolicy."
    fn new() -> Self {
        Self {
            levels: vec![vec![Node {
                valid_policy: ANY,
                expected_policy_set: BTreeSet::from([ANY]),
                parent: None,
            }]],
        }
    }

    /// A tree whose root was deleted is NULL.
    fn is_null(&self) -> bool {
        self.levels.first().is_none_or(|root| root.is_empty())
    }

    fn level(&self, depth: usize) -> &[Node] {
        self.levels.get(depth).map_or(&[], Vec::as_slice)
    }

    /// Index of the node of `depth` whose valid_policy is anyPolicy. There
    /// is at most one: anyPolicy nodes only descend from anyPolicy nodes
    /// (§6.1.3 (d) (2)), and mapping to anyPolicy is refused (§6.1.4 (a)).
    fn any_policy_node(&self, depth: usize) -> Option<usize> {
        self.level(depth)
            .iter()
            .position(|node| node.valid_policy == ANY)
    }

    /// Adds `node` at `depth`, refusing to outgrow [`MAX_NODES_PER_DEPTH`].
    fn push(&mut self, depth: usize, node: Node) -> Result<(), String> {
        while self.levels.len() <= depth {
            self.levels.push(Vec::new());
        }
        let level = &mut self.levels[depth];
        if level.len() >= MAX_NODES_PER_DEPTH {
            return Err(too_many_nodes(depth));
        }
        level.push(node);
        Ok(())
    }

    /// Deletes the nodes of `depth` flagged in `delete`, and with them all
    /// their descendants (a node without its parent is not a path).
    fn delete(&mut self, depth: usize, delete: Vec<bool>) {
        let mut delete = delete;
        for d in depth..self.levels.len() {
            let mut new_index = Vec::with_capacity(delete.len());
            let mut next = 0;
            for &gone in &delete {
                new_index.push((!gone).then_some(next));
                next += usize::from(!gone);
            }
            let mut child_delete = Vec::new();
            if let Some(children) = self.levels.get_mut(d + 1) {
                for child in children.iter_mut() {
                    let parent = child
                        .parent
                        .and_then(|p| new_index.get(p).copied().flatten());
                    child_delete.push(parent.is_none());
                    child.parent = parent;
                }
            }
            let mut flags = delete.iter();
            self.levels[d].retain(|_| !flags.next().copied().unwrap_or(false));
            delete = child_delete;
        }
    }

    /// "If there is a node in the valid_policy_tree of depth `deepest` or
    /// less without any child nodes, delete that node. Repeat this step until
    /// there are no nodes of depth `deepest` or less without children."
    /// (§6.1.3 (d) (3), §6.1.4 (b) (2) (ii), §6.1.5 (g) (iii) 4.)
    fn prune(&mut self, deepest: usize) {
        // Bottom-up, one pass suffices: deleting at depth d can only leave
        // nodes of depth d-1 childless, and those are visited next.
        for d in (0..=deepest).rev() {
            let mut has_child = vec![false; self.level(d).len()];
            for child in self.level(d + 1) {
                if let Some(flag) = child.parent.and_then(|p| has_child.get_mut(p)) {
                    *flag = true;
                }
            }
            let delete = has_child.into_iter().map(|c| !c).collect();
            self.delete(d, delete);
        }
    }
}

fn too_many_nodes(depth: usize) -> String {
    format!(
        "the valid policy tree would hold more than {MAX_NODES_PER_DEPTH} nodes at depth {depth}; \
         the path's policies are refused as too complex (RFC 5280 §6.1.3 (d), RFC 9618 §1)"
    )
}

/// Reads extension `T` of `cert`; present-but-unparsable (or repeated) is an
/// error, because skipping a policy extension could validate a path the
/// issuer meant to constrain.
fn extension<'a, T>(cert: &'a Certificate, name: &str) -> Result<Option<T>, String>
where
    T: der::Decode<'a> + AssociatedOid,
    <T as der::Decode<'a>>::Error: Display,
{
    match cert.tbs_certificate().get_extension::<T>() {
        Ok(found) => Ok(found.map(|(_critical, value)| value)),
        Err(e) => Err(format!(
            "the {name} extension does not parse or appears more than once: {e} (RFC 5280 §4.2)"
        )),
    }
}

/// The policy OIDs of the certificatePolicies extension, in order, or `None`
/// when the extension is absent.
fn certificate_policies(cert: &Certificate) -> Result<Option<Vec<ObjectIdentifier>>, String> {
    let Some(policies) = extension::<CertificatePolicies>(cert, "certificatePolicies")? else {
        return Ok(None);
    };
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(policies.0.len());
    for info in &policies.0 {
        let oid = info.policy_identifier;
        // A repeated OID would put two identical nodes under one parent.
        if !seen.insert(oid) {
            return Err(format!(
                "certificatePolicies lists {oid} more than once (RFC 5280 §4.2.1.4: \
                 \"A certificate policy OID MUST NOT appear more than once\")"
            ));
        }
        out.push(oid);
    }
    Ok(Some(out))
}

fn skip_certs(value: u32) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

/// Where the processor is in the §6.1.3 / §6.1.4 alternation, so that a
/// caller that skips or repeats a step gets an error instead of a tree whose
/// depths no longer match the certificate numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Waiting for `process_certificate(i)`.
    Process(usize),
    /// Certificate i processed; waiting for `prepare_next(i)` (i < n) or
    /// `wrap_up` (i = n).
    Processed(usize),
}

/// RFC 5280 §6.1 policy processing for one path of n certificates.
///
/// Holds the state variables of §6.1.2: `valid_policy_tree` (a),
/// `explicit_policy` (d), `inhibit_anyPolicy` (e) and `policy_mapping` (f).
#[derive(Debug, Clone)]
pub struct PolicyProcessor {
    n: usize,
    /// user-initial-policy-set; `None` is the special value any-policy.
    user_initial_policy_set: Option<BTreeSet<ObjectIdentifier>>,
    /// A user-initial-policy-set entry that is not an OID; reported by every
    /// step, since nothing can be decided with an unreadable policy set.
    settings_error: Option<String>,
    /// `None` is the NULL tree.
    tree: Option<PolicyTree>,
    explicit_policy: usize,
    policy_mapping: usize,
    inhibit_any_policy: usize,
    stage: Stage,
}

impl PolicyProcessor {
    /// §6.1.2 initialization for a path of `n` certificates (not counting
    /// the trust anchor).
    ///
    /// "(d) explicit_policy: an integer that indicates if a non-NULL
    /// valid_policy_tree is required. The integer indicates the number of
    /// non-self-issued certificates to be processed before this requirement
    /// is imposed. […] If initial-explicit-policy is set, then the
    /// initial value is 0, otherwise the initial value is n+1." (e)
    /// inhibit_anyPolicy and (f) policy_mapping are set the same way from
    /// initial-any-policy-inhibit and initial-policy-mapping-inhibit.
    pub fn new(settings: &PolicySettings, n: usize) -> Self {
        let start = |inhibit: bool| if inhibit { 0 } else { n.saturating_add(1) };
        let mut settings_error = None;
        let mut set = BTreeSet::new();
        for s in &settings.initial_policy_set {
            match ObjectIdentifier::new(s) {
                Ok(oid) => {
                    set.insert(oid);
                }
                Err(e) => {
                    settings_error.get_or_insert_with(|| {
                        format!(
                            "user-initial-policy-set entry {s:?} is not an OID: {e} \
                             (RFC 5280 §6.1.1 (c))"
                        )
                    });
                }
            }
        }
        Self {
            n,
            user_initial_policy_set: (!set.contains(&ANY)).then_some(set),
            settings_error,
            tree: Some(PolicyTree::new()),
            explicit_policy: start(settings.initial_explicit_policy),
            policy_mapping: start(settings.initial_policy_mapping_inhibit),
            inhibit_any_policy: start(settings.initial_any_policy_inhibit),
            stage: Stage::Process(1),
        }
    }

    fn check_stage(&self, expected: Stage, step: &str) -> Result<(), String> {
        if let Some(e) = &self.settings_error {
            return Err(e.clone());
        }
        if self.stage != expected {
            return Err(format!(
                "policy processing called out of order: {step} at {expected:?}, \
                 but the processor is at {:?} of a path of {} certificates",
                self.stage, self.n
            ));
        }
        Ok(())
    }

    /// §6.1.3 (d) (e) (f) for certificate i (1-based) of the path.
    ///
    /// (d) "If the certificate policies extension is present in the
    /// certificate and the valid_policy_tree is not NULL, process the policy
    /// information": each policy P other than anyPolicy gets a child under
    /// every node of depth i-1 whose expected_policy_set holds P, or, "If
    /// there was no match in step (i)", under the anyPolicy node of depth
    /// i-1; anyPolicy in the certificate extends every expected policy not
    /// yet matched, but only "if either (a) inhibit_anyPolicy is greater than
    /// 0 or (b) i<n and the certificate is self-issued"; then childless nodes
    /// of depth i-1 or less are deleted.
    /// (e) "If the certificate policies extension is not present, set the
    /// valid_policy_tree to NULL."
    /// (f) "Verify that either explicit_policy is greater than 0 or the
    /// valid_policy_tree is not equal to NULL".
    pub fn process_certificate(
        &mut self,
        cert: &Certificate,
        i: usize,
        self_issued: bool,
    ) -> Result<(), String> {
        self.check_stage(Stage::Process(i), "process_certificate")?;
        if i == 0 || i > self.n {
            return Err(format!(
                "certificate number {i} is outside the path of {} certificates",
                self.n
            ));
        }
        let policies = certificate_policies(cert)?;
        self.tree = match (self.tree.take(), policies) {
            (Some(mut tree), Some(policies)) => {
                let any_allowed = self.inhibit_any_policy > 0 || (i < self.n && self_issued);
                process_policies(&mut tree, i, &policies, any_allowed)?;
                (!tree.is_null()).then_some(tree)
            }
            // (e), or a tree that is already NULL.
            _ => None,
        };
        if self.explicit_policy == 0 && self.tree.is_none() {
            return Err(format!(
                "explicit policy required but the valid policy tree is empty after \
                 certificate {i} (RFC 5280 §6.1.3 (f))"
            ));
        }
        self.stage = Stage::Processed(i);
        Ok(())
    }

    /// §6.1.4 (a) (b) (h) (i) (j): preparation for the next certificate;
    /// called for i < n only, after process_certificate.
    ///
    /// (a) "verify that the special value anyPolicy does not appear as an
    /// issuerDomainPolicy or a subjectDomainPolicy."
    /// (b) for each issuerDomainPolicy ID-P: "(1) If the policy_mapping
    /// variable is greater than 0, for each node in the valid_policy_tree of
    /// depth i where ID-P is the valid_policy, set expected_policy_set to the
    /// set of subjectDomainPolicy values that are specified as equivalent to
    /// ID-P" — or, if there is no such node but an anyPolicy node of depth i,
    /// a new node ID-P under the anyPolicy node of depth i-1; "(2) If the
    /// policy_mapping variable is equal to 0: (i) delete each node of depth i
    /// in the valid_policy_tree where ID-P is the valid_policy", then prune.
    /// (h) "If certificate i is not self-issued", decrement each non-zero
    /// counter. (i) requireExplicitPolicy and inhibitPolicyMapping, and (j)
    /// inhibitAnyPolicy, lower the counters when smaller.
    pub fn prepare_next(
        &mut self,
        cert: &Certificate,
        i: usize,
        self_issued: bool,
    ) -> Result<(), String> {
        self.check_stage(Stage::Processed(i), "prepare_next")?;
        if i >= self.n {
            return Err(format!(
                "prepare_next is for certificates 1..n-1, not certificate {i} of {} \
                 (RFC 5280 §6.1.4)",
                self.n
            ));
        }
        // (a), checked even when policy_mapping is 0: the extension itself
        // is malformed.
        let mappings = extension::<PolicyMappings>(cert, "policyMappings")?;
        let mut equivalents: BTreeMap<ObjectIdentifier, BTreeSet<ObjectIdentifier>> =
            BTreeMap::new();
        for m in mappings.iter().flat_map(|m| m.0.iter()) {
            if m.issuer_domain_policy == ANY {
                return Err("policyMappings maps from anyPolicy (RFC 5280 §6.1.4 (a))".into());
            }
            if m.subject_domain_policy == ANY {
                return Err("policyMappings maps to anyPolicy (RFC 5280 §6.1.4 (a))".into());
            }
            equivalents
                .entry(m.issuer_domain_policy)
                .or_default()
                .insert(m.subject_domain_policy);
        }
        // (b)
        if let Some(mut tree) = self.tree.take() {
            if self.policy_mapping > 0 {
                map_policies(&mut tree, i, equivalents)?;
            } else if !equivalents.is_empty() {
                let delete = tree
                    .level(i)
                    .iter()
                    .map(|node| equivalents.contains_key(&node.valid_policy))
                    .collect();
                tree.delete(i, delete);
                tree.prune(i - 1);
            }
            self.tree = (!tree.is_null()).then_some(tree);
        }
        // (h)
        if !self_issued {
            self.explicit_policy = self.explicit_policy.saturating_sub(1);
            self.policy_mapping = self.policy_mapping.saturating_sub(1);
            self.inhibit_any_policy = self.inhibit_any_policy.saturating_sub(1);
        }
        // (i)
        if let Some(pc) = extension::<PolicyConstraints>(cert, "policyConstraints")? {
            if let Some(r) = pc.require_explicit_policy.map(skip_certs) {
                self.explicit_policy = self.explicit_policy.min(r);
            }
            if let Some(q) = pc.inhibit_policy_mapping.map(skip_certs) {
                self.policy_mapping = self.policy_mapping.min(q);
            }
        }
        // (j)
        if let Some(InhibitAnyPolicy(skip)) =
            extension::<InhibitAnyPolicy>(cert, "inhibitAnyPolicy")?
        {
            self.inhibit_any_policy = self.inhibit_any_policy.min(skip_certs(skip));
        }
        self.stage = Stage::Process(i + 1);
        Ok(())
    }

    /// §6.1.5 (a) (b) (g) on the end entity (i = n), after
    /// process_certificate; returns the user-constrained policy set (dotted
    /// OIDs, sorted) on success.
    ///
    /// "(a) If explicit_policy is not 0, decrement explicit_policy by 1.
    /// (b) If a policy constraints extension is included in the certificate
    /// and requireExplicitPolicy is present and has a value of 0, set the
    /// explicit_policy state variable to 0." (g) intersects the tree with the
    /// user-initial-policy-set. "If either (1) the value of explicit_policy
    /// variable is greater than zero or (2) the valid_policy_tree is not
    /// NULL, then path processing has succeeded."
    ///
    /// The returned set holds the valid policies of the nodes whose parent
    /// is anyPolicy — policies in the trust anchor's domain, as the
    /// user-initial-policy-set is — and anyPolicy itself when the tree ends
    /// in an anyPolicy node. It is empty when no policy is required and the
    /// tree is NULL: such a path is valid for no particular policy.
    pub fn wrap_up(mut self, cert: &Certificate) -> Result<Vec<String>, String> {
        let n = self.n;
        self.check_stage(Stage::Processed(n), "wrap_up")?;
        // (a)
        self.explicit_policy = self.explicit_policy.saturating_sub(1);
        // (b)
        if let Some(pc) = extension::<PolicyConstraints>(cert, "policyConstraints")? {
            if pc.require_explicit_policy == Some(0) {
                self.explicit_policy = 0;
            }
        }
        // (g)
        let was_null = self.tree.is_none();
        let tree = match (self.tree.take(), &self.user_initial_policy_set) {
            // (i) and (ii)
            (None, _) => None,
            (Some(tree), None) => Some(tree),
            // (iii)
            (Some(mut tree), Some(user_set)) => {
                intersect(&mut tree, n, user_set)?;
                (!tree.is_null()).then_some(tree)
            }
        };
        match tree {
            Some(tree) => Ok(user_constrained_policy_set(&tree)),
            None if self.explicit_policy > 0 => Ok(Vec::new()),
            None if was_null => Err(
                "explicit policy required but the valid policy tree is empty (RFC 5280 §6.1.5 (g))"
                    .into(),
            ),
            None => Err(
                "explicit policy required but no policy of the path is in the \
                 user-initial-policy-set (RFC 5280 §6.1.5 (g) (iii))"
                    .into(),
            ),
        }
    }
}

/// §6.1.3 (d) (1)–(3) for certificate i on a non-NULL tree.
fn process_policies(
    tree: &mut PolicyTree,
    i: usize,
    policies: &[ObjectIdentifier],
    any_allowed: bool,
) -> Result<(), String> {
    let parents = tree.level(i - 1).to_vec();
    let any_parent = tree.any_policy_node(i - 1);
    let mut children: Vec<Node> = Vec::new();
    let add = |children: &mut Vec<Node>, node: Node| {
        if children.len() >= MAX_NODES_PER_DEPTH {
            return Err(too_many_nodes(i));
        }
        children.push(node);
        Ok(())
    };
    // (1)
    for &p in policies.iter().filter(|&&p| p != ANY) {
        let mut matched = false;
        // (i) "For each node of depth i-1 in the valid_policy_tree where
        // P-OID is in the expected_policy_set, create a child node"
        for (j, parent) in parents.iter().enumerate() {
            if parent.expected_policy_set.contains(&p) {
                add(&mut children, Node::child(j, p))?;
                matched = true;
            }
        }
        // (ii) "If there was no match in step (i) and the valid_policy_tree
        // includes a node of depth i-1 with the valid_policy anyPolicy,
        // generate a child node"
        if let (false, Some(j)) = (matched, any_parent) {
            add(&mut children, Node::child(j, p))?;
        }
    }
    // (2) "For each node in the valid_policy_tree of depth i-1, for each value
    // in the expected_policy_set (including anyPolicy) that does not appear
    // in a child node, create a child node"
    if any_allowed && policies.contains(&ANY) {
        let mut present: BTreeSet<(usize, ObjectIdentifier)> = children
            .iter()
            .filter_map(|c| c.parent.map(|p| (p, c.valid_policy)))
            .collect();
        for (j, parent) in parents.iter().enumerate() {
            for &value in &parent.expected_policy_set {
                if present.insert((j, value)) {
                    add(&mut children, Node::child(j, value))?;
                }
            }
        }
    }
    tree.levels.truncate(i);
    tree.levels.push(children);
    // (3)
    tree.prune(i - 1);
    Ok(())
}

/// §6.1.4 (b) (1): policy_mapping > 0.
fn map_policies(
    tree: &mut PolicyTree,
    i: usize,
    equivalents: BTreeMap<ObjectIdentifier, BTreeSet<ObjectIdentifier>>,
) -> Result<(), String> {
    let any_at_i = tree.any_policy_node(i).is_some();
    let any_parent = tree.any_policy_node(i - 1);
    for (id_p, subjects) in equivalents {
        let mut found = false;
        if let Some(level) = tree.levels.get_mut(i) {
            for node in level.iter_mut().filter(|n| n.valid_policy == id_p) {
                node.expected_policy_set = subjects.clone();
                found = true;
            }
        }
        // "If no node of depth i in the valid_policy_tree has a valid_policy
        // of ID-P but there is a node of depth i with a valid_policy of
        // anyPolicy, then generate a child node of the node of depth i-1 that
        // has a valid_policy of anyPolicy"
        if let (false, true, Some(parent)) = (found, any_at_i, any_parent) {
            tree.push(
                i,
                Node {
                    valid_policy: id_p,
                    expected_policy_set: subjects,
                    parent: Some(parent),
                },
            )?;
        }
    }
    Ok(())
}

/// The nodes "whose parent nodes have a valid_policy of anyPolicy", as
/// (depth, index) pairs (§6.1.5 (g) (iii) 1).
fn valid_policy_node_set(tree: &PolicyTree) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for depth in 1..tree.levels.len() {
        let parents = tree.level(depth - 1);
        for (k, node) in tree.level(depth).iter().enumerate() {
            let parent_is_any = node
                .parent
                .and_then(|p| parents.get(p))
                .is_some_and(|p| p.valid_policy == ANY);
            if parent_is_any {
                out.push((depth, k));
            }
        }
    }
    out
}

/// §6.1.5 (g) (iii): the intersection with a user-initial-policy-set that is
/// not any-policy, on a non-NULL tree whose deepest level is n.
fn intersect(
    tree: &mut PolicyTree,
    n: usize,
    user_set: &BTreeSet<ObjectIdentifier>,
) -> Result<(), String> {
    // 1.
    let node_set = valid_policy_node_set(tree);
    let node_set_policies: BTreeSet<ObjectIdentifier> = node_set
        .iter()
        .map(|&(d, k)| tree.levels[d][k].valid_policy)
        .collect();
    // 2. "If the valid_policy of any node in the valid_policy_node_set is not
    // in the user-initial-policy-set and is not anyPolicy, delete this node
    // and all its children." Depth by depth, because deleting renumbers the
    // deeper levels.
    for depth in 1..tree.levels.len() {
        let delete = {
            let parents = tree.level(depth - 1);
            tree.level(depth)
                .iter()
                .map(|node| {
                    let parent_is_any = node
                        .parent
                        .and_then(|p| parents.get(p))
                        .is_some_and(|p| p.valid_policy == ANY);
                    parent_is_any
                        && node.valid_policy != ANY
                        && !user_set.contains(&node.valid_policy)
                })
                .collect::<Vec<_>>()
        };
        if delete.contains(&true) {
            tree.delete(depth, delete);
        }
    }
    // 3. "If the valid_policy_tree includes a node of depth n with the
    // valid_policy anyPolicy and the user-initial-policy-set is not
    // any-policy": replace it by one node per user policy not already in the
    // valid_policy_node_set, under the anyPolicy node of depth n-1.
    if let Some(any_leaf) = tree.any_policy_node(n) {
        let parent = tree.levels[n][any_leaf].parent;
        for &p in user_set.difference(&node_set_policies) {
            tree.push(
                n,
                Node {
                    valid_policy: p,
                    expected_policy_set: BTreeSet::from([p]),
                    parent,
                },
            )?;
        }
        let delete = (0..tree.level(n).len()).map(|k| k == any_leaf).collect();
        tree.delete(n, delete);
    }
    // 4.
    tree.prune(n - 1);
    Ok(())
}

/// The valid policies in the trust anchor's domain that survive to the end
/// entity: the valid_policy_node_set without anyPolicy, plus anyPolicy when
/// the tree ends in an anyPolicy node (which then stands for every policy).
fn user_constrained_policy_set(tree: &PolicyTree) -> Vec<String> {
    let mut out: BTreeSet<String> = valid_policy_node_set(tree)
        .into_iter()
        .map(|(d, k)| tree.levels[d][k].valid_policy)
        .filter(|p| *p != ANY)
        .map(|p| p.to_string())
        .collect();
    let deepest = tree.levels.len().saturating_sub(1);
    if tree.any_policy_node(deepest).is_some() {
        out.insert(ANY_POLICY.to_owned());
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    //! NIST PKITS sections 4.8–4.12 (certificate policies, requireExplicitPolicy,
    //! policy mappings, inhibitPolicyMapping, inhibitAnyPolicy).
    //!
    //! The paths (trust anchor left out) and the settings and outcomes of each
    //! sub-part are those of the PKITS document ("Public Key Interoperability
    //! Test Suite, Certification Path Validation", NIST), as transcribed in the
    //! Go standard library's `crypto/x509/testdata/nist-pkits/vectors.json`.
    //! Under the default settings the outcome is also the prefix of the end
    //! entity's file name. All the tests in these sections fail, when they
    //! fail, on policy grounds, so policy processing alone must reproduce
    //! every outcome.
    #![allow(clippy::unwrap_used)]

    use super::*;
    use der::{Decode, Encode};

    const P1: &str = "2.16.840.1.101.3.2.1.48.1";
    const P2: &str = "2.16.840.1.101.3.2.1.48.2";
    const P3: &str = "2.16.840.1.101.3.2.1.48.3";
    const P6: &str = "2.16.840.1.101.3.2.1.48.6";

    fn load(name: &str) -> Certificate {
        let path = format!(
            "{}/../../tests/fixtures/pkits/certs/{name}.crt",
            std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR")
        );
        let der = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        Certificate::from_der(&der).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn is_self_issued(cert: &Certificate) -> bool {
        cert.tbs_certificate().subject() == cert.tbs_certificate().issuer()
    }

    /// Drives the processor over `certs` (anchor's child first).
    fn run_certs(certs: &[Certificate], settings: &PolicySettings) -> Result<Vec<String>, String> {
        let n = certs.len();
        let mut p = PolicyProcessor::new(settings, n);
        for (k, cert) in certs.iter().enumerate() {
            let i = k + 1;
            let self_issued = is_self_issued(cert);
            p.process_certificate(cert, i, self_issued)?;
            if i < n {
                p.prepare_next(cert, i, self_issued)?;
            }
        }
        p.wrap_up(&certs[n - 1])
    }

    /// Loads the PKITS files `names` (without `.crt`), checks that they chain
    /// by name from the trust anchor, and runs policy processing.
    fn run(names: &[&str], settings: &PolicySettings) -> Result<Vec<String>, String> {
        let anchor = load("TrustAnchorRootCertificate");
        let certs: Vec<Certificate> = names.iter().map(|n| load(n)).collect();
        let mut issuer = anchor.tbs_certificate().subject().clone();
        for (name, cert) in names.iter().zip(&certs) {
            assert_eq!(
                cert.tbs_certificate().issuer(),
                &issuer,
                "{name} does not chain"
            );
            issuer = cert.tbs_certificate().subject().clone();
        }
        run_certs(&certs, settings)
    }

    fn settings(
        set: &[&str],
        explicit: bool,
        mapping_inhibit: bool,
        any_inhibit: bool,
    ) -> PolicySettings {
        PolicySettings {
            initial_policy_set: set.iter().map(|s| s.to_string()).collect(),
            initial_explicit_policy: explicit,
            initial_policy_mapping_inhibit: mapping_inhibit,
            initial_any_policy_inhibit: any_inhibit,
        }
    }

    fn default() -> PolicySettings {
        PolicySettings::default()
    }

    fn explicit(set: &[&str]) -> PolicySettings {
        settings(set, true, false, false)
    }

    fn only(set: &[&str]) -> PolicySettings {
        settings(set, false, false, false)
    }

    #[track_caller]
    fn valid(names: &[&str], settings: PolicySettings) -> Vec<String> {
        match run(names, &settings) {
            Ok(set) => set,
            Err(e) => panic!("expected a valid path, got: {e}"),
        }
    }

    #[track_caller]
    fn invalid(names: &[&str], settings: PolicySettings) -> String {
        match run(names, &settings) {
            Ok(set) => panic!("expected an invalid path, got the policy set {set:?}"),
            Err(e) => e,
        }
    }

    // ---- 4.8 Certificate Policies ----

    const T4_8_1: &[&str] = &["GoodCACert", "ValidCertificatePathTest1EE"];

    #[test]
    fn pkits_4_8_1_all_certificates_same_policy_default() {
        valid(T4_8_1, default());
    }

    #[test]
    fn pkits_4_8_1_subpart1_any_policy_explicit() {
        valid(T4_8_1, explicit(&[ANY_POLICY]));
    }

    #[test]
    fn pkits_4_8_1_subpart2_policy1_explicit() {
        assert_eq!(valid(T4_8_1, explicit(&[P1])), vec![P1]);
    }

    #[test]
    fn pkits_4_8_1_subpart3_policy2_explicit() {
        let e = invalid(T4_8_1, explicit(&[P2]));
        assert!(e.contains("§6.1.5 (g) (iii)"), "{e}");
    }

    #[test]
    fn pkits_4_8_1_subpart4_policy1_and_2_explicit() {
        assert_eq!(valid(T4_8_1, explicit(&[P1, P2])), vec![P1]);
    }

    const T4_8_2: &[&str] = &["NoPoliciesCACert", "AllCertificatesNoPoliciesTest2EE"];

    #[test]
    fn pkits_4_8_2_subpart1_all_certificates_no_policies_default() {
        // No policy required and a NULL tree: valid for no policy.
        assert_eq!(valid(T4_8_2, default()), Vec::<String>::new());
    }

    #[test]
    fn pkits_4_8_2_subpart2_explicit() {
        let e = invalid(T4_8_2, explicit(&[ANY_POLICY]));
        assert!(e.contains("§6.1.3 (f)"), "{e}");
    }

    const T4_8_3: &[&str] = &[
        "GoodCACert",
        "PoliciesP2subCACert",
        "DifferentPoliciesTest3EE",
    ];

    #[test]
    fn pkits_4_8_3_subpart1_different_policies_default() {
        valid(T4_8_3, default());
    }

    #[test]
    fn pkits_4_8_3_subpart2_explicit() {
        invalid(T4_8_3, explicit(&[ANY_POLICY]));
    }

    #[test]
    fn pkits_4_8_3_subpart3_policy1_and_2_explicit() {
        invalid(T4_8_3, explicit(&[P1, P2]));
    }

    #[test]
    fn pkits_4_8_4_different_policies_test4() {
        invalid(
            &["GoodCACert", "GoodsubCACert", "DifferentPoliciesTest4EE"],
            default(),
        );
    }

    #[test]
    fn pkits_4_8_5_different_policies_test5() {
        invalid(
            &[
                "GoodCACert",
                "PoliciesP2subCA2Cert",
                "DifferentPoliciesTest5EE",
            ],
            default(),
        );
    }

    const T4_8_6: &[&str] = &[
        "PoliciesP1234CACert",
        "PoliciesP1234subCAP123Cert",
        "PoliciesP1234subsubCAP123P12Cert",
        "OverlappingPoliciesTest6EE",
    ];

    #[test]
    fn pkits_4_8_6_subpart1_overlapping_policies_default() {
        valid(T4_8_6, default());
    }

    #[test]
    fn pkits_4_8_6_subpart2_policy1() {
        assert_eq!(valid(T4_8_6, only(&[P1])), vec![P1]);
    }

    #[test]
    fn pkits_4_8_6_subpart3_policy2() {
        invalid(T4_8_6, only(&[P2]));
    }

    #[test]
    fn pkits_4_8_7_different_policies_test7() {
        invalid(
            &[
                "PoliciesP123CACert",
                "PoliciesP123subCAP12Cert",
                "PoliciesP123subsubCAP12P1Cert",
                "DifferentPoliciesTest7EE",
            ],
            default(),
        );
    }

    #[test]
    fn pkits_4_8_8_different_policies_test8() {
        invalid(
            &[
                "PoliciesP12CACert",
                "PoliciesP12subCAP1Cert",
                "PoliciesP12subsubCAP1P2Cert",
                "DifferentPoliciesTest8EE",
            ],
            default(),
        );
    }

    #[test]
    fn pkits_4_8_9_different_policies_test9() {
        invalid(
            &[
                "PoliciesP123CACert",
                "PoliciesP123subCAP12Cert",
                "PoliciesP123subsubCAP12P2Cert",
                "PoliciesP123subsubsubCAP12P2P1Cert",
                "DifferentPoliciesTest9EE",
            ],
            default(),
        );
    }

    const T4_8_10: &[&str] = &["PoliciesP12CACert", "AllCertificatesSamePoliciesTest10EE"];

    #[test]
    fn pkits_4_8_10_subpart1_all_certificates_same_policies_default() {
        assert_eq!(valid(T4_8_10, default()), vec![P1, P2]);
    }

    #[test]
    fn pkits_4_8_10_subpart2_policy1() {
        assert_eq!(valid(T4_8_10, only(&[P1])), vec![P1]);
    }

    #[test]
    fn pkits_4_8_10_subpart3_policy2() {
        assert_eq!(valid(T4_8_10, only(&[P2])), vec![P2]);
    }

    const T4_8_11: &[&str] = &["anyPolicyCACert", "AllCertificatesanyPolicyTest11EE"];

    #[test]
    fn pkits_4_8_11_subpart1_all_certificates_any_policy_default() {
        assert_eq!(valid(T4_8_11, default()), vec![ANY_POLICY]);
    }

    #[test]
    fn pkits_4_8_11_subpart2_policy1() {
        // §6.1.5 (g) (iii) 3: the anyPolicy leaf becomes the user's policy.
        assert_eq!(valid(T4_8_11, only(&[P1])), vec![P1]);
    }

    #[test]
    fn pkits_4_8_12_different_policies_test12() {
        invalid(
            &["PoliciesP3CACert", "DifferentPoliciesTest12EE"],
            default(),
        );
    }

    const T4_8_13: &[&str] = &["PoliciesP123CACert", "AllCertificatesSamePoliciesTest13EE"];

    #[test]
    fn pkits_4_8_13_all_certificates_same_policies_default() {
        valid(T4_8_13, default());
    }

    #[test]
    fn pkits_4_8_13_subpart1_policy1() {
        valid(T4_8_13, only(&[P1]));
    }

    #[test]
    fn pkits_4_8_13_subpart2_policy2() {
        valid(T4_8_13, only(&[P2]));
    }

    #[test]
    fn pkits_4_8_13_subpart3_policy3() {
        assert_eq!(valid(T4_8_13, only(&[P3])), vec![P3]);
    }

    const T4_8_14: &[&str] = &["anyPolicyCACert", "AnyPolicyTest14EE"];

    #[test]
    fn pkits_4_8_14_any_policy_default() {
        valid(T4_8_14, default());
    }

    #[test]
    fn pkits_4_8_14_subpart1_policy1() {
        valid(T4_8_14, only(&[P1]));
    }

    #[test]
    fn pkits_4_8_14_subpart2_policy2() {
        invalid(T4_8_14, only(&[P2]));
    }

    #[test]
    fn pkits_4_8_15_user_notice_qualifier_test15() {
        valid(&["UserNoticeQualifierTest15EE"], default());
    }

    #[test]
    fn pkits_4_8_16_user_notice_qualifier_test16() {
        valid(&["GoodCACert", "UserNoticeQualifierTest16EE"], default());
    }

    #[test]
    fn pkits_4_8_17_user_notice_qualifier_test17() {
        valid(&["GoodCACert", "UserNoticeQualifierTest17EE"], default());
    }

    const T4_8_18: &[&str] = &["PoliciesP12CACert", "UserNoticeQualifierTest18EE"];

    #[test]
    fn pkits_4_8_18_user_notice_qualifier_default() {
        valid(T4_8_18, default());
    }

    #[test]
    fn pkits_4_8_18_subpart1_policy1() {
        valid(T4_8_18, only(&[P1]));
    }

    #[test]
    fn pkits_4_8_18_subpart2_policy2() {
        valid(T4_8_18, only(&[P2]));
    }

    #[test]
    fn pkits_4_8_19_user_notice_qualifier_test19() {
        valid(&["UserNoticeQualifierTest19EE"], default());
    }

    const T4_8_20: &[&str] = &["GoodCACert", "CPSPointerQualifierTest20EE"];

    #[test]
    fn pkits_4_8_20_cps_pointer_qualifier_default() {
        valid(T4_8_20, default());
    }

    #[test]
    fn pkits_4_8_20_cps_pointer_qualifier_policy1_explicit() {
        valid(T4_8_20, explicit(&[P1]));
    }

    // ---- 4.9 Require Explicit Policy ----

    fn require_explicit_chain(k: &str, ee: &str) -> Vec<String> {
        let mut names: Vec<String> = ["CA", "subCA", "subsubCA", "subsubsubCA"]
            .iter()
            .map(|s| format!("requireExplicitPolicy{k}{s}Cert"))
            .collect();
        names.push(ee.to_owned());
        names
    }

    fn refs(names: &[String]) -> Vec<&str> {
        names.iter().map(String::as_str).collect()
    }

    #[test]
    fn pkits_4_9_1_valid_require_explicit_policy_test1() {
        valid(
            &refs(&require_explicit_chain(
                "10",
                "ValidrequireExplicitPolicyTest1EE",
            )),
            default(),
        );
    }

    #[test]
    fn pkits_4_9_2_valid_require_explicit_policy_test2() {
        valid(
            &refs(&require_explicit_chain(
                "5",
                "ValidrequireExplicitPolicyTest2EE",
            )),
            default(),
        );
    }

    #[test]
    fn pkits_4_9_3_invalid_require_explicit_policy_test3() {
        invalid(
            &refs(&require_explicit_chain(
                "4",
                "InvalidrequireExplicitPolicyTest3EE",
            )),
            default(),
        );
    }

    #[test]
    fn pkits_4_9_4_valid_require_explicit_policy_test4() {
        valid(
            &refs(&require_explicit_chain(
                "0",
                "ValidrequireExplicitPolicyTest4EE",
            )),
            default(),
        );
    }

    #[test]
    fn pkits_4_9_5_invalid_require_explicit_policy_test5() {
        invalid(
            &[
                "requireExplicitPolicy7CACert",
                "requireExplicitPolicy7subCARE2Cert",
                "requireExplicitPolicy7subsubCARE2RE4Cert",
                "requireExplicitPolicy7subsubsubCARE2RE4Cert",
                "InvalidrequireExplicitPolicyTest5EE",
            ],
            default(),
        );
    }

    #[test]
    fn pkits_4_9_6_valid_self_issued_require_explicit_policy_test6() {
        valid(
            &[
                "requireExplicitPolicy2CACert",
                "requireExplicitPolicy2SelfIssuedCACert",
                "ValidSelfIssuedrequireExplicitPolicyTest6EE",
            ],
            default(),
        );
    }

    #[test]
    fn pkits_4_9_7_invalid_self_issued_require_explicit_policy_test7() {
        invalid(
            &[
                "requireExplicitPolicy2CACert",
                "requireExplicitPolicy2SelfIssuedCACert",
                "requireExplicitPolicy2subCACert",
                "InvalidSelfIssuedrequireExplicitPolicyTest7EE",
            ],
            default(),
        );
    }

    #[test]
    fn pkits_4_9_8_invalid_self_issued_require_explicit_policy_test8() {
        invalid(
            &[
                "requireExplicitPolicy2CACert",
                "requireExplicitPolicy2SelfIssuedCACert",
                "requireExplicitPolicy2subCACert",
                "requireExplicitPolicy2SelfIssuedsubCACert",
                "InvalidSelfIssuedrequireExplicitPolicyTest8EE",
            ],
            default(),
        );
    }

    // ---- 4.10 Policy Mappings ----

    const T4_10_1: &[&str] = &["Mapping1to2CACert", "ValidPolicyMappingTest1EE"];

    #[test]
    fn pkits_4_10_1_valid_policy_mapping_test1_default() {
        // The set is in the trust anchor's domain: P1, mapped to P2 below.
        assert_eq!(valid(T4_10_1, default()), vec![P1]);
    }

    #[test]
    fn pkits_4_10_1_subpart1_policy1() {
        assert_eq!(valid(T4_10_1, only(&[P1])), vec![P1]);
    }

    #[test]
    fn pkits_4_10_1_subpart2_policy2() {
        invalid(T4_10_1, only(&[P2]));
    }

    #[test]
    fn pkits_4_10_1_subpart3_mapping_inhibit() {
        invalid(T4_10_1, settings(&[ANY_POLICY], false, true, false));
    }

    const T4_10_2: &[&str] = &["Mapping1to2CACert", "InvalidPolicyMappingTest2EE"];

    #[test]
    fn pkits_4_10_2_subpart1_invalid_policy_mapping_test2_default() {
        invalid(T4_10_2, default());
    }

    #[test]
    fn pkits_4_10_2_subpart2_mapping_inhibit() {
        invalid(T4_10_2, settings(&[ANY_POLICY], false, true, false));
    }

    const P12_MAPPING_1TO3: [&str; 3] = [
        "P12Mapping1to3CACert",
        "P12Mapping1to3subCACert",
        "P12Mapping1to3subsubCACert",
    ];

    fn with_ee<'a>(cas: &[&'a str], ee: &'a str) -> Vec<&'a str> {
        let mut v = cas.to_vec();
        v.push(ee);
        v
    }

    #[test]
    fn pkits_4_10_3_valid_policy_mapping_test3_default() {
        valid(
            &with_ee(&P12_MAPPING_1TO3, "ValidPolicyMappingTest3EE"),
            default(),
        );
    }

    #[test]
    fn pkits_4_10_3_subpart1_policy1() {
        invalid(
            &with_ee(&P12_MAPPING_1TO3, "ValidPolicyMappingTest3EE"),
            only(&[P1]),
        );
    }

    #[test]
    fn pkits_4_10_3_subpart2_policy2() {
        assert_eq!(
            valid(
                &with_ee(&P12_MAPPING_1TO3, "ValidPolicyMappingTest3EE"),
                only(&[P2])
            ),
            vec![P2]
        );
    }

    #[test]
    fn pkits_4_10_4_invalid_policy_mapping_test4() {
        invalid(
            &with_ee(&P12_MAPPING_1TO3, "InvalidPolicyMappingTest4EE"),
            default(),
        );
    }

    const P1_MAPPING_1TO234: [&str; 2] = ["P1Mapping1to234CACert", "P1Mapping1to234subCACert"];

    #[test]
    fn pkits_4_10_5_valid_policy_mapping_test5_default() {
        valid(
            &with_ee(&P1_MAPPING_1TO234, "ValidPolicyMappingTest5EE"),
            default(),
        );
    }

    #[test]
    fn pkits_4_10_5_subpart1_policy1() {
        valid(
            &with_ee(&P1_MAPPING_1TO234, "ValidPolicyMappingTest5EE"),
            only(&[P1]),
        );
    }

    #[test]
    fn pkits_4_10_5_subpart2_policy6() {
        invalid(
            &with_ee(&P1_MAPPING_1TO234, "ValidPolicyMappingTest5EE"),
            only(&[P6]),
        );
    }

    #[test]
    fn pkits_4_10_6_valid_policy_mapping_test6_default() {
        valid(
            &with_ee(&P1_MAPPING_1TO234, "ValidPolicyMappingTest6EE"),
            default(),
        );
    }

    #[test]
    fn pkits_4_10_6_subpart1_policy1() {
        valid(
            &with_ee(&P1_MAPPING_1TO234, "ValidPolicyMappingTest6EE"),
            only(&[P1]),
        );
    }

    #[test]
    fn pkits_4_10_6_subpart2_policy6() {
        invalid(
            &with_ee(&P1_MAPPING_1TO234, "ValidPolicyMappingTest6EE"),
            only(&[P6]),
        );
    }

    #[test]
    fn pkits_4_10_7_invalid_mapping_from_any_policy_test7() {
        let e = invalid(
            &[
                "MappingFromanyPolicyCACert",
                "InvalidMappingFromanyPolicyTest7EE",
            ],
            default(),
        );
        assert!(
            e.contains("maps from anyPolicy (RFC 5280 §6.1.4 (a))"),
            "{e}"
        );
    }

    #[test]
    fn pkits_4_10_8_invalid_mapping_to_any_policy_test8() {
        let e = invalid(
            &[
                "MappingToanyPolicyCACert",
                "InvalidMappingToanyPolicyTest8EE",
            ],
            default(),
        );
        assert!(e.contains("maps to anyPolicy (RFC 5280 §6.1.4 (a))"), "{e}");
    }

    #[test]
    fn pkits_4_10_9_valid_policy_mapping_test9() {
        valid(
            &["PanyPolicyMapping1to2CACert", "ValidPolicyMappingTest9EE"],
            default(),
        );
    }

    #[test]
    fn pkits_4_10_10_invalid_policy_mapping_test10() {
        invalid(
            &[
                "GoodCACert",
                "GoodsubCAPanyPolicyMapping1to2CACert",
                "InvalidPolicyMappingTest10EE",
            ],
            default(),
        );
    }

    #[test]
    fn pkits_4_10_11_valid_policy_mapping_test11() {
        valid(
            &[
                "GoodCACert",
                "GoodsubCAPanyPolicyMapping1to2CACert",
                "ValidPolicyMappingTest11EE",
            ],
            default(),
        );
    }

    const T4_10_12: &[&str] = &["P12Mapping1to3CACert", "ValidPolicyMappingTest12EE"];

    #[test]
    fn pkits_4_10_12_valid_policy_mapping_test12_default() {
        valid(T4_10_12, default());
    }

    #[test]
    fn pkits_4_10_12_subpart1_policy1() {
        valid(T4_10_12, only(&[P1]));
    }

    #[test]
    fn pkits_4_10_12_subpart2_policy2() {
        valid(T4_10_12, only(&[P2]));
    }

    const T4_10_13: &[&str] = &["P1anyPolicyMapping1to2CACert", "ValidPolicyMappingTest13EE"];

    #[test]
    fn pkits_4_10_13_subpart1_valid_policy_mapping_test13_default() {
        valid(T4_10_13, default());
    }

    #[test]
    fn pkits_4_10_13_subpart2_policy1_and_2() {
        valid(T4_10_13, only(&[P1, P2]));
    }

    #[test]
    fn pkits_4_10_13_subpart3_policy2() {
        invalid(T4_10_13, only(&[P2]));
    }

    #[test]
    fn pkits_4_10_14_valid_policy_mapping_test14() {
        valid(
            &["P1anyPolicyMapping1to2CACert", "ValidPolicyMappingTest14EE"],
            default(),
        );
    }

    // ---- 4.11 Inhibit Policy Mapping ----

    #[test]
    fn pkits_4_11_1_invalid_inhibit_policy_mapping_test1() {
        invalid(
            &[
                "inhibitPolicyMapping0CACert",
                "inhibitPolicyMapping0subCACert",
                "InvalidinhibitPolicyMappingTest1EE",
            ],
            default(),
        );
    }

    #[test]
    fn pkits_4_11_2_valid_inhibit_policy_mapping_test2() {
        valid(
            &[
                "inhibitPolicyMapping1P12CACert",
                "inhibitPolicyMapping1P12subCACert",
                "ValidinhibitPolicyMappingTest2EE",
            ],
            default(),
        );
    }

    const INHIBIT_MAPPING_1P12: [&str; 3] = [
        "inhibitPolicyMapping1P12CACert",
        "inhibitPolicyMapping1P12subCACert",
        "inhibitPolicyMapping1P12subsubCACert",
    ];

    #[test]
    fn pkits_4_11_3_invalid_inhibit_policy_mapping_test3() {
        invalid(
            &with_ee(&INHIBIT_MAPPING_1P12, "InvalidinhibitPolicyMappingTest3EE"),
            default(),
        );
    }

    #[test]
    fn pkits_4_11_4_valid_inhibit_policy_mapping_test4() {
        valid(
            &with_ee(&INHIBIT_MAPPING_1P12, "ValidinhibitPolicyMappingTest4EE"),
            default(),
        );
    }

    #[test]
    fn pkits_4_11_5_invalid_inhibit_policy_mapping_test5() {
        invalid(
            &[
                "inhibitPolicyMapping5CACert",
                "inhibitPolicyMapping5subCACert",
                "inhibitPolicyMapping5subsubCACert",
                "inhibitPolicyMapping5subsubsubCACert",
                "InvalidinhibitPolicyMappingTest5EE",
            ],
            default(),
        );
    }

    #[test]
    fn pkits_4_11_6_invalid_inhibit_policy_mapping_test6() {
        invalid(
            &[
                "inhibitPolicyMapping1P12CACert",
                "inhibitPolicyMapping1P12subCAIPM5Cert",
                "inhibitPolicyMapping1P12subsubCAIPM5Cert",
                "InvalidinhibitPolicyMappingTest6EE",
            ],
            default(),
        );
    }

    const INHIBIT_MAPPING_1P1_SI: [&str; 3] = [
        "inhibitPolicyMapping1P1CACert",
        "inhibitPolicyMapping1P1SelfIssuedCACert",
        "inhibitPolicyMapping1P1subCACert",
    ];

    #[test]
    fn pkits_4_11_7_valid_self_issued_inhibit_policy_mapping_test7() {
        valid(
            &with_ee(
                &INHIBIT_MAPPING_1P1_SI,
                "ValidSelfIssuedinhibitPolicyMappingTest7EE",
            ),
            default(),
        );
    }

    #[test]
    fn pkits_4_11_8_invalid_self_issued_inhibit_policy_mapping_test8() {
        let mut path = INHIBIT_MAPPING_1P1_SI.to_vec();
        path.extend([
            "inhibitPolicyMapping1P1subsubCACert",
            "InvalidSelfIssuedinhibitPolicyMappingTest8EE",
        ]);
        invalid(&path, default());
    }

    #[test]
    fn pkits_4_11_9_invalid_self_issued_inhibit_policy_mapping_test9() {
        let mut path = INHIBIT_MAPPING_1P1_SI.to_vec();
        path.extend([
            "inhibitPolicyMapping1P1subsubCACert",
            "InvalidSelfIssuedinhibitPolicyMappingTest9EE",
        ]);
        invalid(&path, default());
    }

    #[test]
    fn pkits_4_11_10_invalid_self_issued_inhibit_policy_mapping_test10() {
        let mut path = INHIBIT_MAPPING_1P1_SI.to_vec();
        path.extend([
            "inhibitPolicyMapping1P1SelfIssuedsubCACert",
            "InvalidSelfIssuedinhibitPolicyMappingTest10EE",
        ]);
        invalid(&path, default());
    }

    #[test]
    fn pkits_4_11_11_invalid_self_issued_inhibit_policy_mapping_test11() {
        let mut path = INHIBIT_MAPPING_1P1_SI.to_vec();
        path.extend([
            "inhibitPolicyMapping1P1SelfIssuedsubCACert",
            "InvalidSelfIssuedinhibitPolicyMappingTest11EE",
        ]);
        invalid(&path, default());
    }

    // ---- 4.12 Inhibit Any Policy ----

    #[test]
    fn pkits_4_12_1_invalid_inhibit_any_policy_test1() {
        invalid(
            &["inhibitAnyPolicy0CACert", "InvalidinhibitAnyPolicyTest1EE"],
            default(),
        );
    }

    #[test]
    fn pkits_4_12_2_valid_inhibit_any_policy_test2() {
        valid(
            &["inhibitAnyPolicy0CACert", "ValidinhibitAnyPolicyTest2EE"],
            default(),
        );
    }

    const T4_12_3: &[&str] = &[
        "inhibitAnyPolicy1CACert",
        "inhibitAnyPolicy1subCA1Cert",
        "inhibitAnyPolicyTest3EE",
    ];

    #[test]
    fn pkits_4_12_3_subpart1_inhibit_any_policy_test3_default() {
        valid(T4_12_3, default());
    }

    #[test]
    fn pkits_4_12_3_subpart2_any_policy_inhibit() {
        invalid(T4_12_3, settings(&[ANY_POLICY], false, false, true));
    }

    #[test]
    fn pkits_4_12_4_invalid_inhibit_any_policy_test4() {
        invalid(
            &[
                "inhibitAnyPolicy1CACert",
                "inhibitAnyPolicy1subCA1Cert",
                "InvalidinhibitAnyPolicyTest4EE",
            ],
            default(),
        );
    }

    #[test]
    fn pkits_4_12_5_invalid_inhibit_any_policy_test5() {
        invalid(
            &[
                "inhibitAnyPolicy5CACert",
                "inhibitAnyPolicy5subCACert",
                "inhibitAnyPolicy5subsubCACert",
                "InvalidinhibitAnyPolicyTest5EE",
            ],
            default(),
        );
    }

    #[test]
    fn pkits_4_12_6_invalid_inhibit_any_policy_test6() {
        invalid(
            &[
                "inhibitAnyPolicy1CACert",
                "inhibitAnyPolicy1subCAIAP5Cert",
                "InvalidinhibitAnyPolicyTest6EE",
            ],
            default(),
        );
    }

    const INHIBIT_ANY_1_SI: [&str; 3] = [
        "inhibitAnyPolicy1CACert",
        "inhibitAnyPolicy1SelfIssuedCACert",
        "inhibitAnyPolicy1subCA2Cert",
    ];

    #[test]
    fn pkits_4_12_7_valid_self_issued_inhibit_any_policy_test7() {
        valid(
            &with_ee(&INHIBIT_ANY_1_SI, "ValidSelfIssuedinhibitAnyPolicyTest7EE"),
            default(),
        );
    }

    #[test]
    fn pkits_4_12_8_invalid_self_issued_inhibit_any_policy_test8() {
        let mut path = INHIBIT_ANY_1_SI.to_vec();
        path.extend([
            "inhibitAnyPolicy1subsubCA2Cert",
            "InvalidSelfIssuedinhibitAnyPolicyTest8EE",
        ]);
        invalid(&path, default());
    }

    #[test]
    fn pkits_4_12_9_valid_self_issued_inhibit_any_policy_test9() {
        let mut path = INHIBIT_ANY_1_SI.to_vec();
        path.extend([
            "inhibitAnyPolicy1SelfIssuedsubCA2Cert",
            "ValidSelfIssuedinhibitAnyPolicyTest9EE",
        ]);
        valid(&path, default());
    }

    #[test]
    fn pkits_4_12_10_invalid_self_issued_inhibit_any_policy_test10() {
        invalid(
            &with_ee(
                &INHIBIT_ANY_1_SI,
                "InvalidSelfIssuedinhibitAnyPolicyTest10EE",
            ),
            default(),
        );
    }

    // ---- Crafted certificates: limits and malformed extensions ----
    //
    // Policy processing does not look at signatures, so a PKITS certificate
    // re-assembled with other extensions (and its old signature) is enough.

    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes: Vec<u8> = len
                .to_be_bytes()
                .into_iter()
                .skip_while(|b| *b == 0)
                .collect();
            out.push(0x80 | bytes.len() as u8);
            out.extend(bytes);
        }
        out.extend_from_slice(content);
        out
    }

    fn oid_der(oid: &str) -> Vec<u8> {
        tlv(0x06, ObjectIdentifier::new(oid).unwrap().as_bytes())
    }

    /// `base` with its extensions replaced by `(oid, critical, extnValue)`.
    fn crafted(base: &str, extensions: &[(&str, bool, Vec<u8>)]) -> Certificate {
        let base = load(base);
        let tbs = base.tbs_certificate();
        let mut exts = Vec::new();
        for (oid, critical, value) in extensions {
            let mut ext = oid_der(oid);
            if *critical {
                ext.extend([0x01, 0x01, 0xff]);
            }
            ext.extend(tlv(0x04, value));
            exts.extend(tlv(0x30, &ext));
        }
        let mut body = vec![0xa0, 0x03, 0x02, 0x01, 0x02];
        body.extend(tbs.serial_number().to_der().unwrap());
        body.extend(tbs.signature().to_der().unwrap());
        body.extend(tbs.issuer().to_der().unwrap());
        body.extend(tbs.validity().to_der().unwrap());
        body.extend(tbs.subject().to_der().unwrap());
        body.extend(tbs.subject_public_key_info().to_der().unwrap());
        body.extend(tlv(0xa3, &tlv(0x30, &exts)));
        let mut cert = tlv(0x30, &body);
        cert.extend(base.signature_algorithm().to_der().unwrap());
        cert.extend(base.signature().to_der().unwrap());
        Certificate::from_der(&tlv(0x30, &cert)).unwrap()
    }

    fn policies_value(oids: &[String]) -> Vec<u8> {
        let infos: Vec<u8> = oids.iter().flat_map(|o| tlv(0x30, &oid_der(o))).collect();
        tlv(0x30, &infos)
    }

    const CERTIFICATE_POLICIES: &str = "2.5.29.32";

    #[test]
    fn too_many_policies_at_one_depth_is_refused() {
        let oids: Vec<String> = (0..=MAX_NODES_PER_DEPTH)
            .map(|k| format!("1.2.3.4.{k}"))
            .collect();
        let ca = crafted(
            "GoodCACert",
            &[(CERTIFICATE_POLICIES, false, policies_value(&oids))],
        );
        let mut p = PolicyProcessor::new(&default(), 2);
        let e = p.process_certificate(&ca, 1, false).unwrap_err();
        assert!(e.contains("more than 1024 nodes"), "{e}");
    }

    #[test]
    fn many_policies_below_the_limit_are_processed() {
        let oids: Vec<String> = (0..MAX_NODES_PER_DEPTH)
            .map(|k| format!("1.2.3.4.{k}"))
            .collect();
        let ca = crafted(
            "GoodCACert",
            &[(CERTIFICATE_POLICIES, false, policies_value(&oids))],
        );
        let ee = crafted(
            "ValidCertificatePathTest1EE",
            &[(CERTIFICATE_POLICIES, false, policies_value(&oids[..1]))],
        );
        assert_eq!(run_certs(&[ca, ee], &default()).unwrap(), vec!["1.2.3.4.0"]);
    }

    #[test]
    fn repeated_policy_is_refused() {
        let oids = vec![P1.to_owned(), P1.to_owned()];
        let ca = crafted(
            "GoodCACert",
            &[(CERTIFICATE_POLICIES, false, policies_value(&oids))],
        );
        let mut p = PolicyProcessor::new(&default(), 2);
        let e = p.process_certificate(&ca, 1, false).unwrap_err();
        assert!(e.contains("more than once"), "{e}");
    }

    #[test]
    fn unparsable_policy_extensions_are_errors() {
        let garbage = vec![0x05, 0x00];
        let ca = crafted(
            "GoodCACert",
            &[(CERTIFICATE_POLICIES, false, garbage.clone())],
        );
        let mut p = PolicyProcessor::new(&default(), 2);
        let e = p.process_certificate(&ca, 1, false).unwrap_err();
        assert!(
            e.contains("certificatePolicies extension does not parse"),
            "{e}"
        );

        for (oid, name) in [
            ("2.5.29.33", "policyMappings"),
            ("2.5.29.36", "policyConstraints"),
            ("2.5.29.54", "inhibitAnyPolicy"),
        ] {
            let ca = crafted(
                "GoodCACert",
                &[
                    (
                        CERTIFICATE_POLICIES,
                        false,
                        policies_value(&[P1.to_owned()]),
                    ),
                    (oid, true, garbage.clone()),
                ],
            );
            let mut p = PolicyProcessor::new(&default(), 2);
            p.process_certificate(&ca, 1, false).unwrap();
            let e = p.prepare_next(&ca, 1, false).unwrap_err();
            assert!(
                e.contains(&format!("{name} extension does not parse")),
                "{e}"
            );
        }
    }

    #[test]
    fn steps_out_of_order_are_refused() {
        let ca = load("GoodCACert");
        let ee = load("ValidCertificatePathTest1EE");
        let mut p = PolicyProcessor::new(&default(), 2);
        assert!(p.prepare_next(&ca, 1, false).is_err());
        assert!(p.process_certificate(&ca, 2, false).is_err());
        p.process_certificate(&ca, 1, false).unwrap();
        assert!(p.process_certificate(&ee, 2, false).is_err());
        assert!(p.clone().wrap_up(&ee).is_err());
        p.prepare_next(&ca, 1, false).unwrap();
        p.process_certificate(&ee, 2, false).unwrap();
        assert!(p.prepare_next(&ee, 2, false).is_err());
        assert_eq!(p.wrap_up(&ee).unwrap(), vec![P1]);
    }

    #[test]
    fn unreadable_initial_policy_set_is_an_error() {
        let e = run(T4_8_1, &only(&["not an oid"])).unwrap_err();
        assert!(e.contains("§6.1.1 (c)"), "{e}");
    }

    #[test]
    fn default_settings_are_the_rfc_defaults() {
        assert_eq!(default(), settings(&[ANY_POLICY], false, false, false));
    }
}

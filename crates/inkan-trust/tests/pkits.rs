//! NIST PKITS (tests/fixtures/pkits), every test of the suite, run in
//! process through [`inkan_trust::validate_path`] with the RFC 5280 profile.
//!
//! Each case is one `#[test]` named after the PKITS test. The setting is
//! the PKITS one: the trust anchor `TrustAnchorRootCertificate`, every CA
//! certificate of the suite offered as possible intermediate (path building
//! must pick the right ones, including across key rollovers), every CRL
//! offered (the verifier must pick those in scope), CRL checking on,
//! validation time 2020-06-15. The expected verdict is the one the test's
//! name gives (`Valid…` / `Invalid…`) under the PKITS default settings; the
//! twenty 4.8 tests whose names carry no prefix take the default-settings
//! outcome the PKITS document gives (4.8.4, 4.8.5, 4.8.7, 4.8.8, 4.8.9 and
//! 4.8.12 invalid, the others valid). The runs of sections 4.8–4.12 that
//! PKITS also defines with other initial policy settings are in
//! `pkits_policy_settings` below.
//!
//! DSA (4.1.4, 4.1.5) is out of scope: HPKI is RSA-only. Those two must
//! come out INDETERMINATE with an "unsupported algorithm" reason, never
//! PASSED.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use inkan_trust::rfc5280_policy::PolicySettings;
use inkan_trust::{
    validate_path, PathFailure, PathInput, PathReport, RevocationConfig, TrustStore,
    ValidationProfile,
};

/// Read at run time (not `env!`), so that a binary built from another
/// checkout sharing the target directory reads this checkout's files.
fn pkits() -> PathBuf {
    PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/pkits")
}

struct Suite {
    trust: TrustStore,
    revocation: RevocationConfig,
}

fn files(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(pkits().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn suite() -> &'static Suite {
    static SUITE: OnceLock<Suite> = OnceLock::new();
    SUITE.get_or_init(|| {
        let anchor = std::fs::read(pkits().join("certs/TrustAnchorRootCertificate.crt")).unwrap();
        let pool = files("certs")
            .into_iter()
            .filter(|p| {
                let n = p.file_name().unwrap().to_string_lossy();
                !n.ends_with("EE.crt") && !n.starts_with("TrustAnchorRoot")
            })
            .map(|p| std::fs::read(p).unwrap())
            .collect();
        let crls = files("crls")
            .into_iter()
            .map(|p| std::fs::read(p).unwrap())
            .collect();
        Suite {
            trust: TrustStore::Test {
                anchors: vec![anchor],
                pool,
                label: "NIST PKITS".into(),
            },
            revocation: RevocationConfig {
                crls,
                ..RevocationConfig::offline()
            },
        }
    })
}

/// 2020-06-15T00:00:00Z.
fn at() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_592_179_200)
}

fn run(ee: &str, policy: &PolicySettings) -> PathReport {
    let s = suite();
    let der = std::fs::read(pkits().join("certs").join(format!("{ee}.crt"))).unwrap();
    validate_path(&PathInput {
        end_entity: &der,
        pool: &[],
        trust: &s.trust,
        at: at(),
        profile: ValidationProfile::Rfc5280,
        revocation: &s.revocation,
        policy: Some(policy),
    })
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Valid,
    Invalid,
    /// DSA: INDETERMINATE, unsupported algorithm.
    Unsupported,
}

fn check_with(ee: &str, policy: &PolicySettings, expect: Expect) {
    let r = run(ee, policy);
    let explain = || {
        format!(
            "{ee} with {policy:?}: expected {expect:?}, got {} {:?}\nchain: {:#?}\nrevocation: {:#?}",
            r.status.indication(),
            r.status.failure(),
            r.chain.iter().map(|c| &c.subject).collect::<Vec<_>>(),
            r.revocation
        )
    };
    match expect {
        Expect::Valid => assert!(r.status.is_passed(), "{}", explain()),
        Expect::Invalid => assert!(!r.status.is_passed(), "{}", explain()),
        Expect::Unsupported => {
            assert_eq!(r.status.indication(), "INDETERMINATE", "{}", explain());
            assert!(
                matches!(r.status.failure(), Some(PathFailure::WeakAlgorithm { detail, .. }) if detail.contains("unsupported")),
                "{}",
                explain()
            );
        }
    }
}

fn check(ee: &str, expect: Expect) {
    check_with(ee, &PolicySettings::default(), expect);
}

macro_rules! pkits {
    ($($name:ident: $ee:literal => $expect:ident;)*) => {
        $(
            #[test]
            fn $name() {
                check($ee, Expect::$expect);
            }
        )*

        /// Every end-entity certificate of the suite has a case above.
        #[test]
        fn every_pkits_test_has_a_case() {
            let listed = [$($ee),*];
            for f in files("certs") {
                let n = f.file_stem().unwrap().to_string_lossy().to_string();
                if n.ends_with("EE") {
                    assert!(listed.contains(&n.as_str()), "no case for {n}");
                }
            }
        }
    };
}

pkits! {
    all_certificates_no_policies_test_2: "AllCertificatesNoPoliciesTest2EE" => Valid;
    all_certificates_same_policies_test_10: "AllCertificatesSamePoliciesTest10EE" => Valid;
    all_certificates_same_policies_test_13: "AllCertificatesSamePoliciesTest13EE" => Valid;
    all_certificates_any_policy_test_11: "AllCertificatesanyPolicyTest11EE" => Valid;
    any_policy_test_14: "AnyPolicyTest14EE" => Valid;
    cps_pointer_qualifier_test_20: "CPSPointerQualifierTest20EE" => Valid;
    different_policies_test_12: "DifferentPoliciesTest12EE" => Invalid;
    different_policies_test_3: "DifferentPoliciesTest3EE" => Valid;
    different_policies_test_4: "DifferentPoliciesTest4EE" => Invalid;
    different_policies_test_5: "DifferentPoliciesTest5EE" => Invalid;
    different_policies_test_7: "DifferentPoliciesTest7EE" => Invalid;
    different_policies_test_8: "DifferentPoliciesTest8EE" => Invalid;
    different_policies_test_9: "DifferentPoliciesTest9EE" => Invalid;
    invalid_bad_crl_issuer_name_test_5: "InvalidBadCRLIssuerNameTest5EE" => Invalid;
    invalid_bad_crl_signature_test_4: "InvalidBadCRLSignatureTest4EE" => Invalid;
    invalid_basic_self_issued_crl_signing_key_test_7: "InvalidBasicSelfIssuedCRLSigningKeyTest7EE" => Invalid;
    invalid_basic_self_issued_crl_signing_key_test_8: "InvalidBasicSelfIssuedCRLSigningKeyTest8EE" => Invalid;
    invalid_basic_self_issued_new_with_old_test_5: "InvalidBasicSelfIssuedNewWithOldTest5EE" => Invalid;
    invalid_basic_self_issued_old_with_new_test_2: "InvalidBasicSelfIssuedOldWithNewTest2EE" => Invalid;
    invalid_ca_signature_test_2: "InvalidCASignatureTest2EE" => Invalid;
    invalid_ca_not_after_date_test_5: "InvalidCAnotAfterDateTest5EE" => Invalid;
    invalid_ca_not_before_date_test_1: "InvalidCAnotBeforeDateTest1EE" => Invalid;
    invalid_dns_name_constraints_test_31: "InvalidDNSnameConstraintsTest31EE" => Invalid;
    invalid_dns_name_constraints_test_33: "InvalidDNSnameConstraintsTest33EE" => Invalid;
    invalid_dns_name_constraints_test_38: "InvalidDNSnameConstraintsTest38EE" => Invalid;
    invalid_dn_and_rfc822_name_constraints_test_28: "InvalidDNandRFC822nameConstraintsTest28EE" => Invalid;
    invalid_dn_and_rfc822_name_constraints_test_29: "InvalidDNandRFC822nameConstraintsTest29EE" => Invalid;
    invalid_dn_name_constraints_test_10: "InvalidDNnameConstraintsTest10EE" => Invalid;
    invalid_dn_name_constraints_test_12: "InvalidDNnameConstraintsTest12EE" => Invalid;
    invalid_dn_name_constraints_test_13: "InvalidDNnameConstraintsTest13EE" => Invalid;
    invalid_dn_name_constraints_test_15: "InvalidDNnameConstraintsTest15EE" => Invalid;
    invalid_dn_name_constraints_test_16: "InvalidDNnameConstraintsTest16EE" => Invalid;
    invalid_dn_name_constraints_test_17: "InvalidDNnameConstraintsTest17EE" => Invalid;
    invalid_dn_name_constraints_test_20: "InvalidDNnameConstraintsTest20EE" => Invalid;
    invalid_dn_name_constraints_test_2: "InvalidDNnameConstraintsTest2EE" => Invalid;
    invalid_dn_name_constraints_test_3: "InvalidDNnameConstraintsTest3EE" => Invalid;
    invalid_dn_name_constraints_test_7: "InvalidDNnameConstraintsTest7EE" => Invalid;
    invalid_dn_name_constraints_test_8: "InvalidDNnameConstraintsTest8EE" => Invalid;
    invalid_dn_name_constraints_test_9: "InvalidDNnameConstraintsTest9EE" => Invalid;
    invalid_dsa_signature_test_6: "InvalidDSASignatureTest6EE" => Invalid;
    invalid_ee_signature_test_3: "InvalidEESignatureTest3EE" => Invalid;
    invalid_ee_not_after_date_test_6: "InvalidEEnotAfterDateTest6EE" => Invalid;
    invalid_ee_not_before_date_test_2: "InvalidEEnotBeforeDateTest2EE" => Invalid;
    invalid_idp_with_indirect_crl_test_23: "InvalidIDPwithindirectCRLTest23EE" => Invalid;
    invalid_idp_with_indirect_crl_test_26: "InvalidIDPwithindirectCRLTest26EE" => Invalid;
    invalid_long_serial_number_test_18: "InvalidLongSerialNumberTest18EE" => Invalid;
    invalid_mapping_from_any_policy_test_7: "InvalidMappingFromanyPolicyTest7EE" => Invalid;
    invalid_mapping_to_any_policy_test_8: "InvalidMappingToanyPolicyTest8EE" => Invalid;
    invalid_missing_crl_test_1: "InvalidMissingCRLTest1EE" => Invalid;
    invalid_missing_basic_constraints_test_1: "InvalidMissingbasicConstraintsTest1EE" => Invalid;
    invalid_name_chaining_order_test_2: "InvalidNameChainingOrderTest2EE" => Invalid;
    invalid_name_chaining_test_1: "InvalidNameChainingTest1EE" => Invalid;
    invalid_negative_serial_number_test_15: "InvalidNegativeSerialNumberTest15EE" => Invalid;
    invalid_old_crl_next_update_test_11: "InvalidOldCRLnextUpdateTest11EE" => Invalid;
    invalid_policy_mapping_test_10: "InvalidPolicyMappingTest10EE" => Invalid;
    invalid_policy_mapping_test_2: "InvalidPolicyMappingTest2EE" => Invalid;
    invalid_policy_mapping_test_4: "InvalidPolicyMappingTest4EE" => Invalid;
    invalid_rfc822_name_constraints_test_22: "InvalidRFC822nameConstraintsTest22EE" => Invalid;
    invalid_rfc822_name_constraints_test_24: "InvalidRFC822nameConstraintsTest24EE" => Invalid;
    invalid_rfc822_name_constraints_test_26: "InvalidRFC822nameConstraintsTest26EE" => Invalid;
    invalid_revoked_ca_test_2: "InvalidRevokedCATest2EE" => Invalid;
    invalid_revoked_ee_test_3: "InvalidRevokedEETest3EE" => Invalid;
    invalid_self_issued_inhibit_any_policy_test_10: "InvalidSelfIssuedinhibitAnyPolicyTest10EE" => Invalid;
    invalid_self_issued_inhibit_any_policy_test_8: "InvalidSelfIssuedinhibitAnyPolicyTest8EE" => Invalid;
    invalid_self_issued_inhibit_policy_mapping_test_10: "InvalidSelfIssuedinhibitPolicyMappingTest10EE" => Invalid;
    invalid_self_issued_inhibit_policy_mapping_test_11: "InvalidSelfIssuedinhibitPolicyMappingTest11EE" => Invalid;
    invalid_self_issued_inhibit_policy_mapping_test_8: "InvalidSelfIssuedinhibitPolicyMappingTest8EE" => Invalid;
    invalid_self_issued_inhibit_policy_mapping_test_9: "InvalidSelfIssuedinhibitPolicyMappingTest9EE" => Invalid;
    invalid_self_issued_path_len_constraint_test_16: "InvalidSelfIssuedpathLenConstraintTest16EE" => Invalid;
    invalid_self_issued_require_explicit_policy_test_7: "InvalidSelfIssuedrequireExplicitPolicyTest7EE" => Invalid;
    invalid_self_issued_require_explicit_policy_test_8: "InvalidSelfIssuedrequireExplicitPolicyTest8EE" => Invalid;
    invalid_separate_certificate_and_crl_keys_test_20: "InvalidSeparateCertificateandCRLKeysTest20EE" => Invalid;
    invalid_separate_certificate_and_crl_keys_test_21: "InvalidSeparateCertificateandCRLKeysTest21EE" => Invalid;
    invalid_uri_name_constraints_test_35: "InvalidURInameConstraintsTest35EE" => Invalid;
    invalid_uri_name_constraints_test_37: "InvalidURInameConstraintsTest37EE" => Invalid;
    invalid_unknown_crl_entry_extension_test_8: "InvalidUnknownCRLEntryExtensionTest8EE" => Invalid;
    invalid_unknown_crl_extension_test_10: "InvalidUnknownCRLExtensionTest10EE" => Invalid;
    invalid_unknown_crl_extension_test_9: "InvalidUnknownCRLExtensionTest9EE" => Invalid;
    invalid_unknown_critical_certificate_extension_test_2: "InvalidUnknownCriticalCertificateExtensionTest2EE" => Invalid;
    invalid_wrong_crl_test_6: "InvalidWrongCRLTest6EE" => Invalid;
    invalid_ca_false_test_2: "InvalidcAFalseTest2EE" => Invalid;
    invalid_ca_false_test_3: "InvalidcAFalseTest3EE" => Invalid;
    invalid_crl_issuer_test_27: "InvalidcRLIssuerTest27EE" => Invalid;
    invalid_crl_issuer_test_31: "InvalidcRLIssuerTest31EE" => Invalid;
    invalid_crl_issuer_test_32: "InvalidcRLIssuerTest32EE" => Invalid;
    invalid_crl_issuer_test_34: "InvalidcRLIssuerTest34EE" => Invalid;
    invalid_crl_issuer_test_35: "InvalidcRLIssuerTest35EE" => Invalid;
    invalid_delta_crl_indicator_no_base_test_1: "InvaliddeltaCRLIndicatorNoBaseTest1EE" => Invalid;
    invalid_delta_crl_test_10: "InvaliddeltaCRLTest10EE" => Invalid;
    invalid_delta_crl_test_3: "InvaliddeltaCRLTest3EE" => Invalid;
    invalid_delta_crl_test_4: "InvaliddeltaCRLTest4EE" => Invalid;
    invalid_delta_crl_test_6: "InvaliddeltaCRLTest6EE" => Invalid;
    invalid_delta_crl_test_9: "InvaliddeltaCRLTest9EE" => Invalid;
    invalid_distribution_point_test_2: "InvaliddistributionPointTest2EE" => Invalid;
    invalid_distribution_point_test_3: "InvaliddistributionPointTest3EE" => Invalid;
    invalid_distribution_point_test_6: "InvaliddistributionPointTest6EE" => Invalid;
    invalid_distribution_point_test_8: "InvaliddistributionPointTest8EE" => Invalid;
    invalid_distribution_point_test_9: "InvaliddistributionPointTest9EE" => Invalid;
    invalid_inhibit_any_policy_test_1: "InvalidinhibitAnyPolicyTest1EE" => Invalid;
    invalid_inhibit_any_policy_test_4: "InvalidinhibitAnyPolicyTest4EE" => Invalid;
    invalid_inhibit_any_policy_test_5: "InvalidinhibitAnyPolicyTest5EE" => Invalid;
    invalid_inhibit_any_policy_test_6: "InvalidinhibitAnyPolicyTest6EE" => Invalid;
    invalid_inhibit_policy_mapping_test_1: "InvalidinhibitPolicyMappingTest1EE" => Invalid;
    invalid_inhibit_policy_mapping_test_3: "InvalidinhibitPolicyMappingTest3EE" => Invalid;
    invalid_inhibit_policy_mapping_test_5: "InvalidinhibitPolicyMappingTest5EE" => Invalid;
    invalid_inhibit_policy_mapping_test_6: "InvalidinhibitPolicyMappingTest6EE" => Invalid;
    invalid_key_usage_critical_crl_sign_false_test_4: "InvalidkeyUsageCriticalcRLSignFalseTest4EE" => Invalid;
    invalid_key_usage_critical_key_cert_sign_false_test_1: "InvalidkeyUsageCriticalkeyCertSignFalseTest1EE" => Invalid;
    invalid_key_usage_not_critical_crl_sign_false_test_5: "InvalidkeyUsageNotCriticalcRLSignFalseTest5EE" => Invalid;
    invalid_key_usage_not_critical_key_cert_sign_false_test_2: "InvalidkeyUsageNotCriticalkeyCertSignFalseTest2EE" => Invalid;
    invalid_only_contains_attribute_certs_test_14: "InvalidonlyContainsAttributeCertsTest14EE" => Invalid;
    invalid_only_contains_ca_certs_test_12: "InvalidonlyContainsCACertsTest12EE" => Invalid;
    invalid_only_contains_user_certs_test_11: "InvalidonlyContainsUserCertsTest11EE" => Invalid;
    invalid_only_some_reasons_test_15: "InvalidonlySomeReasonsTest15EE" => Invalid;
    invalid_only_some_reasons_test_16: "InvalidonlySomeReasonsTest16EE" => Invalid;
    invalid_only_some_reasons_test_17: "InvalidonlySomeReasonsTest17EE" => Invalid;
    invalid_only_some_reasons_test_20: "InvalidonlySomeReasonsTest20EE" => Invalid;
    invalid_only_some_reasons_test_21: "InvalidonlySomeReasonsTest21EE" => Invalid;
    invalid_path_len_constraint_test_10: "InvalidpathLenConstraintTest10EE" => Invalid;
    invalid_path_len_constraint_test_11: "InvalidpathLenConstraintTest11EE" => Invalid;
    invalid_path_len_constraint_test_12: "InvalidpathLenConstraintTest12EE" => Invalid;
    invalid_path_len_constraint_test_5: "InvalidpathLenConstraintTest5EE" => Invalid;
    invalid_path_len_constraint_test_6: "InvalidpathLenConstraintTest6EE" => Invalid;
    invalid_path_len_constraint_test_9: "InvalidpathLenConstraintTest9EE" => Invalid;
    invalid_pre2000_crl_next_update_test_12: "Invalidpre2000CRLnextUpdateTest12EE" => Invalid;
    invalid_pre2000_utc_ee_not_after_date_test_7: "Invalidpre2000UTCEEnotAfterDateTest7EE" => Invalid;
    invalid_require_explicit_policy_test_3: "InvalidrequireExplicitPolicyTest3EE" => Invalid;
    invalid_require_explicit_policy_test_5: "InvalidrequireExplicitPolicyTest5EE" => Invalid;
    overlapping_policies_test_6: "OverlappingPoliciesTest6EE" => Valid;
    user_notice_qualifier_test_15: "UserNoticeQualifierTest15EE" => Valid;
    user_notice_qualifier_test_16: "UserNoticeQualifierTest16EE" => Valid;
    user_notice_qualifier_test_17: "UserNoticeQualifierTest17EE" => Valid;
    user_notice_qualifier_test_18: "UserNoticeQualifierTest18EE" => Valid;
    user_notice_qualifier_test_19: "UserNoticeQualifierTest19EE" => Valid;
    valid_basic_self_issued_crl_signing_key_test_6: "ValidBasicSelfIssuedCRLSigningKeyTest6EE" => Valid;
    valid_basic_self_issued_new_with_old_test_3: "ValidBasicSelfIssuedNewWithOldTest3EE" => Valid;
    valid_basic_self_issued_new_with_old_test_4: "ValidBasicSelfIssuedNewWithOldTest4EE" => Valid;
    valid_basic_self_issued_old_with_new_test_1: "ValidBasicSelfIssuedOldWithNewTest1EE" => Valid;
    valid_certificate_path_test_1: "ValidCertificatePathTest1EE" => Valid;
    valid_dns_name_constraints_test_30: "ValidDNSnameConstraintsTest30EE" => Valid;
    valid_dns_name_constraints_test_32: "ValidDNSnameConstraintsTest32EE" => Valid;
    valid_dn_and_rfc822_name_constraints_test_27: "ValidDNandRFC822nameConstraintsTest27EE" => Valid;
    valid_dn_name_constraints_test_11: "ValidDNnameConstraintsTest11EE" => Valid;
    valid_dn_name_constraints_test_14: "ValidDNnameConstraintsTest14EE" => Valid;
    valid_dn_name_constraints_test_18: "ValidDNnameConstraintsTest18EE" => Valid;
    valid_dn_name_constraints_test_19: "ValidDNnameConstraintsTest19EE" => Valid;
    valid_dn_name_constraints_test_1: "ValidDNnameConstraintsTest1EE" => Valid;
    valid_dn_name_constraints_test_4: "ValidDNnameConstraintsTest4EE" => Valid;
    valid_dn_name_constraints_test_5: "ValidDNnameConstraintsTest5EE" => Valid;
    valid_dn_name_constraints_test_6: "ValidDNnameConstraintsTest6EE" => Valid;
    valid_dsa_parameter_inheritance_test_5: "ValidDSAParameterInheritanceTest5EE" => Unsupported;
    valid_dsa_signatures_test_4: "ValidDSASignaturesTest4EE" => Unsupported;
    valid_generalized_time_crl_next_update_test_13: "ValidGeneralizedTimeCRLnextUpdateTest13EE" => Valid;
    valid_generalized_time_not_after_date_test_8: "ValidGeneralizedTimenotAfterDateTest8EE" => Valid;
    valid_generalized_time_not_before_date_test_4: "ValidGeneralizedTimenotBeforeDateTest4EE" => Valid;
    valid_idp_with_indirect_crl_test_22: "ValidIDPwithindirectCRLTest22EE" => Valid;
    valid_idp_with_indirect_crl_test_24: "ValidIDPwithindirectCRLTest24EE" => Valid;
    valid_idp_with_indirect_crl_test_25: "ValidIDPwithindirectCRLTest25EE" => Valid;
    valid_long_serial_number_test_16: "ValidLongSerialNumberTest16EE" => Valid;
    valid_long_serial_number_test_17: "ValidLongSerialNumberTest17EE" => Valid;
    valid_name_chaining_capitalization_test_5: "ValidNameChainingCapitalizationTest5EE" => Valid;
    valid_name_chaining_whitespace_test_3: "ValidNameChainingWhitespaceTest3EE" => Valid;
    valid_name_chaining_whitespace_test_4: "ValidNameChainingWhitespaceTest4EE" => Valid;
    valid_name_uids_test_6: "ValidNameUIDsTest6EE" => Valid;
    valid_negative_serial_number_test_14: "ValidNegativeSerialNumberTest14EE" => Valid;
    valid_no_issuing_distribution_point_test_10: "ValidNoissuingDistributionPointTest10EE" => Valid;
    valid_policy_mapping_test_11: "ValidPolicyMappingTest11EE" => Valid;
    valid_policy_mapping_test_12: "ValidPolicyMappingTest12EE" => Valid;
    valid_policy_mapping_test_13: "ValidPolicyMappingTest13EE" => Valid;
    valid_policy_mapping_test_14: "ValidPolicyMappingTest14EE" => Valid;
    valid_policy_mapping_test_1: "ValidPolicyMappingTest1EE" => Valid;
    valid_policy_mapping_test_3: "ValidPolicyMappingTest3EE" => Valid;
    valid_policy_mapping_test_5: "ValidPolicyMappingTest5EE" => Valid;
    valid_policy_mapping_test_6: "ValidPolicyMappingTest6EE" => Valid;
    valid_policy_mapping_test_9: "ValidPolicyMappingTest9EE" => Valid;
    valid_rfc3280_mandatory_attribute_types_test_7: "ValidRFC3280MandatoryAttributeTypesTest7EE" => Valid;
    valid_rfc3280_optional_attribute_types_test_8: "ValidRFC3280OptionalAttributeTypesTest8EE" => Valid;
    valid_rfc822_name_constraints_test_21: "ValidRFC822nameConstraintsTest21EE" => Valid;
    valid_rfc822_name_constraints_test_23: "ValidRFC822nameConstraintsTest23EE" => Valid;
    valid_rfc822_name_constraints_test_25: "ValidRFC822nameConstraintsTest25EE" => Valid;
    valid_rollover_from_printable_string_to_utf8_string_test_10: "ValidRolloverfromPrintableStringtoUTF8StringTest10EE" => Valid;
    valid_self_issued_inhibit_any_policy_test_7: "ValidSelfIssuedinhibitAnyPolicyTest7EE" => Valid;
    valid_self_issued_inhibit_any_policy_test_9: "ValidSelfIssuedinhibitAnyPolicyTest9EE" => Valid;
    valid_self_issued_inhibit_policy_mapping_test_7: "ValidSelfIssuedinhibitPolicyMappingTest7EE" => Valid;
    valid_self_issued_path_len_constraint_test_15: "ValidSelfIssuedpathLenConstraintTest15EE" => Valid;
    valid_self_issued_path_len_constraint_test_17: "ValidSelfIssuedpathLenConstraintTest17EE" => Valid;
    valid_self_issued_require_explicit_policy_test_6: "ValidSelfIssuedrequireExplicitPolicyTest6EE" => Valid;
    valid_separate_certificate_and_crl_keys_test_19: "ValidSeparateCertificateandCRLKeysTest19EE" => Valid;
    valid_two_crls_test_7: "ValidTwoCRLsTest7EE" => Valid;
    valid_uri_name_constraints_test_34: "ValidURInameConstraintsTest34EE" => Valid;
    valid_uri_name_constraints_test_36: "ValidURInameConstraintsTest36EE" => Valid;
    valid_utf8_string_case_insensitive_match_test_11: "ValidUTF8StringCaseInsensitiveMatchTest11EE" => Valid;
    valid_utf8_string_encoded_names_test_9: "ValidUTF8StringEncodedNamesTest9EE" => Valid;
    valid_unknown_not_critical_certificate_extension_test_1: "ValidUnknownNotCriticalCertificateExtensionTest1EE" => Valid;
    valid_basic_constraints_not_critical_test_4: "ValidbasicConstraintsNotCriticalTest4EE" => Valid;
    valid_crl_issuer_test_28: "ValidcRLIssuerTest28EE" => Valid;
    valid_crl_issuer_test_29: "ValidcRLIssuerTest29EE" => Valid;
    valid_crl_issuer_test_30: "ValidcRLIssuerTest30EE" => Valid;
    valid_crl_issuer_test_33: "ValidcRLIssuerTest33EE" => Valid;
    valid_delta_crl_test_2: "ValiddeltaCRLTest2EE" => Valid;
    valid_delta_crl_test_5: "ValiddeltaCRLTest5EE" => Valid;
    valid_delta_crl_test_7: "ValiddeltaCRLTest7EE" => Valid;
    valid_delta_crl_test_8: "ValiddeltaCRLTest8EE" => Valid;
    valid_distribution_point_test_1: "ValiddistributionPointTest1EE" => Valid;
    valid_distribution_point_test_4: "ValiddistributionPointTest4EE" => Valid;
    valid_distribution_point_test_5: "ValiddistributionPointTest5EE" => Valid;
    valid_distribution_point_test_7: "ValiddistributionPointTest7EE" => Valid;
    valid_inhibit_any_policy_test_2: "ValidinhibitAnyPolicyTest2EE" => Valid;
    valid_inhibit_policy_mapping_test_2: "ValidinhibitPolicyMappingTest2EE" => Valid;
    valid_inhibit_policy_mapping_test_4: "ValidinhibitPolicyMappingTest4EE" => Valid;
    valid_key_usage_not_critical_test_3: "ValidkeyUsageNotCriticalTest3EE" => Valid;
    valid_only_contains_ca_certs_test_13: "ValidonlyContainsCACertsTest13EE" => Valid;
    valid_only_some_reasons_test_18: "ValidonlySomeReasonsTest18EE" => Valid;
    valid_only_some_reasons_test_19: "ValidonlySomeReasonsTest19EE" => Valid;
    valid_path_len_constraint_test_13: "ValidpathLenConstraintTest13EE" => Valid;
    valid_path_len_constraint_test_14: "ValidpathLenConstraintTest14EE" => Valid;
    valid_path_len_constraint_test_7: "ValidpathLenConstraintTest7EE" => Valid;
    valid_path_len_constraint_test_8: "ValidpathLenConstraintTest8EE" => Valid;
    valid_pre2000_utc_not_before_date_test_3: "Validpre2000UTCnotBeforeDateTest3EE" => Valid;
    valid_require_explicit_policy_test_1: "ValidrequireExplicitPolicyTest1EE" => Valid;
    valid_require_explicit_policy_test_2: "ValidrequireExplicitPolicyTest2EE" => Valid;
    valid_require_explicit_policy_test_4: "ValidrequireExplicitPolicyTest4EE" => Valid;
    inhibit_any_policy_test_3: "inhibitAnyPolicyTest3EE" => Valid;
}

const ANY: &str = "2.5.29.32.0";
const P1: &str = "2.16.840.1.101.3.2.1.48.1";
const P2: &str = "2.16.840.1.101.3.2.1.48.2";
const P3: &str = "2.16.840.1.101.3.2.1.48.3";
const P6: &str = "2.16.840.1.101.3.2.1.48.6";

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

/// The PKITS runs of sections 4.8–4.12 with other initial settings
/// (user-initial-policy-set, initial-explicit-policy, initial-policy-mapping-
/// inhibit, initial-any-policy-inhibit), as the PKITS document gives them.
macro_rules! pkits_policy_settings {
    ($($name:ident: $ee:literal, [$($p:expr),*], explicit $e:literal, mapping_inhibit $m:literal, any_inhibit $a:literal => $expect:ident;)*) => {
        $(
            #[test]
            fn $name() {
                check_with($ee, &settings(&[$($p),*], $e, $m, $a), Expect::$expect);
            }
        )*
    };
}

pkits_policy_settings! {
    pkits_4_8_1_explicit_any_policy: "ValidCertificatePathTest1EE", [ANY], explicit true, mapping_inhibit false, any_inhibit false => Valid;
    pkits_4_8_1_explicit_policy_1: "ValidCertificatePathTest1EE", [P1], explicit true, mapping_inhibit false, any_inhibit false => Valid;
    pkits_4_8_1_explicit_policy_2_is_invalid: "ValidCertificatePathTest1EE", [P2], explicit true, mapping_inhibit false, any_inhibit false => Invalid;
    pkits_4_8_1_explicit_policies_1_and_2: "ValidCertificatePathTest1EE", [P1, P2], explicit true, mapping_inhibit false, any_inhibit false => Valid;
    pkits_4_8_2_explicit_is_invalid: "AllCertificatesNoPoliciesTest2EE", [ANY], explicit true, mapping_inhibit false, any_inhibit false => Invalid;
    pkits_4_8_3_explicit_is_invalid: "DifferentPoliciesTest3EE", [ANY], explicit true, mapping_inhibit false, any_inhibit false => Invalid;
    pkits_4_8_3_explicit_policies_1_and_2_is_invalid: "DifferentPoliciesTest3EE", [P1, P2], explicit true, mapping_inhibit false, any_inhibit false => Invalid;
    pkits_4_8_6_policy_1: "OverlappingPoliciesTest6EE", [P1], explicit false, mapping_inhibit false, any_inhibit false => Valid;
    pkits_4_8_6_policy_2_is_invalid: "OverlappingPoliciesTest6EE", [P2], explicit false, mapping_inhibit false, any_inhibit false => Invalid;
    pkits_4_8_10_policy_1: "AllCertificatesSamePoliciesTest10EE", [P1], explicit false, mapping_inhibit false, any_inhibit false => Valid;
    pkits_4_8_10_policy_2: "AllCertificatesSamePoliciesTest10EE", [P2], explicit false, mapping_inhibit false, any_inhibit false => Valid;
    pkits_4_8_11_policy_1: "AllCertificatesanyPolicyTest11EE", [P1], explicit false, mapping_inhibit false, any_inhibit false => Valid;
    pkits_4_8_13_policy_1: "AllCertificatesSamePoliciesTest13EE", [P1], explicit false, mapping_inhibit false, any_inhibit false => Valid;
    pkits_4_8_13_policy_2: "AllCertificatesSamePoliciesTest13EE", [P2], explicit false, mapping_inhibit false, any_inhibit false => Valid;
    pkits_4_8_13_policy_3: "AllCertificatesSamePoliciesTest13EE", [P3], explicit false, mapping_inhibit false, any_inhibit false => Valid;
    pkits_4_8_14_policy_1: "AnyPolicyTest14EE", [P1], explicit false, mapping_inhibit false, any_inhibit false => Valid;
    pkits_4_8_14_policy_2_is_invalid: "AnyPolicyTest14EE", [P2], explicit false, mapping_inhibit false, any_inhibit false => Invalid;
    pkits_4_8_18_policy_1: "UserNoticeQualifierTest18EE", [P1], explicit false, mapping_inhibit false, any_inhibit false => Valid;
    pkits_4_8_18_policy_2: "UserNoticeQualifierTest18EE", [P2], explicit false, mapping_inhibit false, any_inhibit false => Valid;
    pkits_4_8_20_explicit_policy_1: "CPSPointerQualifierTest20EE", [P1], explicit true, mapping_inhibit false, any_inhibit false => Valid;
    pkits_4_10_1_policy_1: "ValidPolicyMappingTest1EE", [P1], explicit false, mapping_inhibit false, any_inhibit false => Valid;
    pkits_4_10_1_policy_2_is_invalid: "ValidPolicyMappingTest1EE", [P2], explicit false, mapping_inhibit false, any_inhibit false => Invalid;
    pkits_4_10_1_mapping_inhibit_is_invalid: "ValidPolicyMappingTest1EE", [ANY], explicit false, mapping_inhibit true, any_inhibit false => Invalid;
    pkits_4_10_2_mapping_inhibit_is_invalid: "InvalidPolicyMappingTest2EE", [ANY], explicit false, mapping_inhibit true, any_inhibit false => Invalid;
    pkits_4_10_3_policy_1_is_invalid: "ValidPolicyMappingTest3EE", [P1], explicit false, mapping_inhibit false, any_inhibit false => Invalid;
    pkits_4_10_3_policy_2: "ValidPolicyMappingTest3EE", [P2], explicit false, mapping_inhibit false, any_inhibit false => Valid;
    pkits_4_10_5_policy_1: "ValidPolicyMappingTest5EE", [P1], explicit false, mapping_inhibit false, any_inhibit false => Valid;
    pkits_4_10_5_policy_6_is_invalid: "ValidPolicyMappingTest5EE", [P6], explicit false, mapping_inhibit false, any_inhibit false => Invalid;
    pkits_4_10_6_policy_1: "ValidPolicyMappingTest6EE", [P1], explicit false, mapping_inhibit false, any_inhibit false => Valid;
    pkits_4_10_6_policy_6_is_invalid: "ValidPolicyMappingTest6EE", [P6], explicit false, mapping_inhibit false, any_inhibit false => Invalid;
    pkits_4_10_12_policy_1: "ValidPolicyMappingTest12EE", [P1], explicit false, mapping_inhibit false, any_inhibit false => Valid;
    pkits_4_10_12_policy_2: "ValidPolicyMappingTest12EE", [P2], explicit false, mapping_inhibit false, any_inhibit false => Valid;
    pkits_4_10_13_policies_1_and_2: "ValidPolicyMappingTest13EE", [P1, P2], explicit false, mapping_inhibit false, any_inhibit false => Valid;
    pkits_4_10_13_policy_2_is_invalid: "ValidPolicyMappingTest13EE", [P2], explicit false, mapping_inhibit false, any_inhibit false => Invalid;
    pkits_4_12_3_any_policy_inhibit_is_invalid: "inhibitAnyPolicyTest3EE", [ANY], explicit false, mapping_inhibit false, any_inhibit true => Invalid;
}

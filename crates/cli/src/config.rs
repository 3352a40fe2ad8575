//! The flags as the engine's configuration.

use vigie_engine::config::{EngineConfig, InputConfig, IntelConfig, RuleConfig};

use crate::args::{InputArgs, IntelArgs, RuleArgs, ScanArgs};

impl From<&RuleArgs> for RuleConfig {
    fn from(args: &RuleArgs) -> RuleConfig {
        RuleConfig {
            sigma: args.sigma.clone(),
            no_builtin_rules: args.no_builtin_rules,
            mapping: args.mapping.clone(),
        }
    }
}

impl From<&IntelArgs> for IntelConfig {
    fn from(args: &IntelArgs) -> IntelConfig {
        IntelConfig {
            ioc: args.ioc.clone(),
            intel_dir: args.intel_dir.clone(),
            no_intel_store: args.no_intel_store,
        }
    }
}

impl From<&InputArgs> for InputConfig {
    fn from(args: &InputArgs) -> InputConfig {
        InputConfig {
            log_format: args.log_format.clone(),
            tz: args.tz.clone(),
            reference_time: args.reference_time.clone(),
            max_line: args.max_line,
            max_decompressed: args.max_decompressed,
            max_ratio: args.max_ratio,
        }
    }
}

impl From<&ScanArgs> for EngineConfig {
    fn from(args: &ScanArgs) -> EngineConfig {
        EngineConfig {
            rules: (&args.rules).into(),
            intel: (&args.intel).into(),
            input: (&args.input).into(),
            yara: args.yara.clone(),
            geoip: args.geo.geoip.clone(),
            asn: args.geo.asn.clone(),
            baseline_until: args.baseline_until.clone(),
            findings_only: args.findings_only,
            all_accounts: args.all_accounts,
            timeline_profile: args.timeline_profile.clone(),
        }
    }
}
